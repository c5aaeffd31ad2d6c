"""Defectors, the press items that reported them, and their quoted testimony."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Trim
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from config.services import record_url

from .languages import LANGUAGE_CHOICES
from .querysets import DefectorQuerySet, QuoteQuerySet
from .urls_normal import normal_url
from .validators import validate_not_future


class Precision(models.TextChoices):
    """How much of a partial date the press gave. The stored date is the first
    day of the month (or year) when only the month (or year) is known."""

    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


def precision_constraints(date_field: str, precision_field: str, *, optional: bool) -> list:
    """A month-precision date must fall on the 1st, a year-precision date on 1 January,
    so that grouping by month or year never depends on an invented day."""
    prefix = date_field
    valid_choices = Q(**{f"{precision_field}__in": Precision.values})
    if optional:
        valid_choices |= Q(**{f"{date_field}__isnull": True, precision_field: ""})
    return [
        models.CheckConstraint(condition=valid_choices, name=f"%(app_label)s_%(class)s_{prefix}_valid"),
        models.CheckConstraint(
            condition=~Q(**{precision_field: Precision.MONTH}) | Q(**{f"{date_field}__day": 1}),
            name=f"%(app_label)s_%(class)s_{prefix}_month_on_first",
        ),
        models.CheckConstraint(
            condition=~Q(**{precision_field: Precision.YEAR})
            | Q(**{f"{date_field}__day": 1, f"{date_field}__month": 1}),
            name=f"%(app_label)s_%(class)s_{prefix}_year_on_first",
        ),
    ]


def choices_constraint(field: str, choices: type[models.TextChoices]) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": choices.values}), name=f"%(app_label)s_%(class)s_{field}_valid"
    )


class OutletKind(models.TextChoices):
    NEWSPAPER = "newspaper", "Newspaper"
    BROADCASTER = "broadcaster", "Broadcaster"
    NEWS_AGENCY = "news_agency", "News agency"
    ONLINE = "online", "Online"
    OTHER = "other", "Other"


class Sex(models.TextChoices):
    MALE = "male", "Male"
    FEMALE = "female", "Female"
    UNKNOWN = "unknown", "Unknown"


class Role(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    FIGHTER = "fighter", "Fighter"
    COMMANDER = "commander", "Commander"
    SECURITY = "security", "Security or police"
    ADMINISTRATION = "administration", "Administration"
    MEDIA = "media", "Media"
    SUPPORT = "support", "Support (non-combat)"
    SPOUSE = "spouse", "Spouse or family member"
    RECRUIT = "recruit", "Recruit (not yet deployed)"


class Status(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    AT_LARGE = "at_large", "At large"
    DETAINED = "detained", "Detained or in custody"
    RETURNED = "returned", "Returned home"
    IN_THIRD_COUNTRY = "in_third_country", "In a third country"
    DECEASED = "deceased", "Deceased"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    RESTRICTED = "restricted", "Restricted"


class Provenance(models.TextChoices):
    PUBLISHED = "published", "Published case"
    RECONSTRUCTED = "reconstructed", "Reconstructed record"
    SYNTHETIC = "synthetic", "Synthetic record"


def fold_outlet_name(name: str) -> str:
    """An outlet's name as stored: no surrounding space and single spaces inside,
    so that "Asharq  Al-Awsat " is saved as "Asharq Al-Awsat"."""
    return " ".join(name.split())


class OutletManager(models.Manager):
    # Natural keys let fixtures refer to rows by their stable name instead of a database id.
    def get_by_natural_key(self, name):
        return self.get(name=name)


class Outlet(models.Model):
    Kind = OutletKind

    name = models.CharField(max_length=200, unique=True)
    country = CountryField(blank=True)
    website = models.URLField(blank=True)
    kind = models.CharField(max_length=20, choices=OutletKind.choices, default=OutletKind.NEWSPAPER)

    history = HistoricalRecords()
    objects = OutletManager()

    class Meta:
        ordering = ["name"]
        constraints = [
            choices_constraint("kind", OutletKind),
            # "BBC News" and "bbc news " are one outlet (names are folded by clean() before saving).
            models.UniqueConstraint(
                Lower(Trim("name")),
                name="testimony_outlet_name_folded_unique",
                violation_error_message="An outlet with this name (ignoring case and spaces) already exists.",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        self.name = fold_outlet_name(self.name)
        clash = Outlet.objects.filter(name__iexact=self.name).exclude(pk=self.pk).first()
        if clash is not None:
            raise ValidationError(
                {"name": f"an outlet {clash.name!r} already exists (differs only in case or spacing)"},
                code="outlet_name_folded",
            )

    def natural_key(self):
        return (self.name,)


class Source(models.Model):
    """One published item (article, broadcast). One source can cover several defectors."""

    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="sources")
    title = models.CharField(max_length=500)
    url = models.URLField("URL", max_length=1000, blank=True)
    published_on = models.DateField(null=True, blank=True, validators=[validate_not_future])
    language = models.CharField(max_length=2, choices=LANGUAGE_CHOICES, default="en")
    archived_url = models.URLField("archived URL", max_length=1000, blank=True)
    accessed_on = models.DateField(null=True, blank=True, validators=[validate_not_future])

    history = HistoricalRecords()

    class Meta:
        ordering = ["-published_on", "title"]
        constraints = [
            # The importer finds existing sources by URL, so a URL names one source.
            models.UniqueConstraint(fields=["url"], condition=~Q(url=""), name="testimony_source_url_unique"),
        ]
        indexes = [models.Index(fields=["outlet", "published_on"])]

    def __str__(self):
        date = self.published_on.isoformat() if self.published_on else "undated"
        return f"{self.outlet}: {self.title} ({date})"

    def clean(self):
        # One spelling per address (urls_normal.py), before the uniqueness check compares it.
        self.url = normal_url(self.url)
        if self.archived_url:
            self.archived_url = normal_url(self.archived_url)
        clash = Source.objects.filter(url=self.url).exclude(pk=self.pk).first() if self.url else None
        if clash is not None:
            raise ValidationError(
                {"url": f"the source {clash.title!r} (id {clash.pk}) already has this URL"}, code="url_taken"
            )


class DefectorManager(models.Manager.from_queryset(DefectorQuerySet)):
    def get_by_natural_key(self, case_id):
        return self.get(case_id=case_id)


class Defector(models.Model):
    """One person who left IS and spoke publicly: the study's unit of count."""

    Sex = Sex

    Role = Role

    Status = Status

    Visibility = Visibility

    Provenance = Provenance

    # Fields that could expose a person to reprisal (docs/contract.md, "Identity
    # protection"): shown only to holders of testimony.view_identity.
    IDENTITY_FIELDS = ("legal_name", "current_location", "contact_notes")

    case_id = models.CharField(
        "case ID",
        max_length=32,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                "Use letters, digits, '.', '_' or '-' (for example ICSR15-001).",
            )
        ],
    )
    name = models.CharField(
        "name as published", max_length=200, help_text='A name, a pseudonym or "anonymous defector".'
    )
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    country = CountryField(blank=True, help_text="Country of origin; leave blank when no source gives it.")
    reported_on = models.DateField(
        validators=[validate_not_future],
        help_text="When the defection was first publicly reported (the study timeline counts this date).",
    )
    reported_precision = models.CharField(max_length=5, choices=Precision.choices, default=Precision.DAY)
    defected_on = models.DateField(null=True, blank=True, validators=[validate_not_future])
    defected_precision = models.CharField(max_length=5, choices=Precision.choices, blank=True)
    role = models.CharField("role in IS", max_length=20, choices=Role.choices, default=Role.UNKNOWN)
    status = models.CharField("current status", max_length=20, choices=Status.choices, default=Status.UNKNOWN)
    sources = models.ManyToManyField(Source, related_name="defectors", blank=True)
    notes = models.TextField(blank=True, help_text="Assumptions, doubts and how the record was made.")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    provenance = models.CharField(max_length=15, choices=Provenance.choices, default=Provenance.PUBLISHED)

    legal_name = models.CharField(max_length=200, blank=True)
    current_location = models.CharField(max_length=200, blank=True)
    contact_notes = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[sources])
    objects = DefectorManager()

    class Meta:
        ordering = ["case_id"]
        permissions = [
            ("view_identity", "Can view identity fields (legal name, location, contact)"),
            ("view_restricted", "Can view restricted defectors"),
        ]
        constraints = [
            choices_constraint("sex", Sex),
            choices_constraint("role", Role),
            choices_constraint("status", Status),
            choices_constraint("visibility", Visibility),
            choices_constraint("provenance", Provenance),
            *precision_constraints("reported_on", "reported_precision", optional=False),
            *precision_constraints("defected_on", "defected_precision", optional=True),
            # ux-2015-001 and UX-2015-001 would be two cases of one person in every count.
            models.UniqueConstraint(
                Lower("case_id"),
                name="testimony_defector_case_id_ci_unique",
                violation_error_message="A case with this case ID (ignoring case) already exists.",
            ),
        ]
        indexes = [
            models.Index(fields=["reported_on"]),
            models.Index(fields=["sex", "reported_on"]),
            models.Index(fields=["country", "reported_on"]),
            models.Index(fields=["provenance", "visibility"]),
        ]

    def __str__(self):
        return f"{self.case_id} {self.name}"

    def get_absolute_url(self):
        return record_url("testimony:defector-detail", self.case_id)

    def natural_key(self):
        return (self.case_id,)

    def clean(self):
        from .validators import clean_defection_before_report, clean_partial_date

        clean_partial_date(self, "reported_on", "reported_precision")
        clean_partial_date(self, "defected_on", "defected_precision")
        clean_defection_before_report(self)
        if self.case_id:
            clash = Defector.objects.filter(case_id__iexact=self.case_id).exclude(pk=self.pk)
            clash = clash.values_list("case_id", flat=True).first()
            if clash is not None and clash != self.case_id:
                raise ValidationError(
                    {"case_id": f"a case {clash} already exists (differs only in case)"}, code="case_id_folded"
                )
            alias = DefectorAlias.objects.filter(case_id__iexact=self.case_id).select_related("defector").first()
            if alias is not None and alias.defector_id != self.pk:
                raise ValidationError(
                    {
                        "case_id": f"case {alias.case_id} was merged into {alias.defector.case_id}; "
                        "its ID stays reserved"
                    },
                    code="case_id_merged",
                )


class Quote(models.Model):
    """A verbatim excerpt of a defector's testimony as printed by one source."""

    defector = models.ForeignKey(Defector, on_delete=models.CASCADE, related_name="quotes")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="quotes")
    text = models.TextField("verbatim text")
    language = models.CharField(max_length=2, choices=LANGUAGE_CHOICES, default="en")
    translation = models.TextField("English translation", blank=True)
    locator = models.CharField(max_length=100, blank=True, help_text="Paragraph number or timestamp in the source.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = QuoteQuerySet.as_manager()

    class Meta:
        ordering = ["defector__case_id", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="testimony_quote_text_not_empty"),
        ]

    def __str__(self):
        excerpt = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        return f"{self.defector.case_id}: \u201c{excerpt}\u201d"

    @property
    def is_rtl(self) -> bool:
        from .languages import RTL_LANGUAGES

        return self.language in RTL_LANGUAGES


# The auto-created table behind Defector.sources: its rows are listed when a source or
# a defector is deleted, where "Defector_sources object (11)" told the researcher nothing.
DefectorSource = Defector.sources.through
DefectorSource.__str__ = lambda row: f"{row.defector} cited in {row.source}"
DefectorSource._meta.verbose_name = "source of a defector"
DefectorSource._meta.verbose_name_plural = "sources of defectors"


class DefectorAlias(models.Model):
    """The case ID of a record merged into another (services.defector_merge).

    Published tables, exported files and links cite the old case ID; it keeps
    resolving (the page redirects, the API points to the kept record) and is
    never given to a new case."""

    case_id = models.CharField("merged case ID", max_length=32, unique=True)
    defector = models.ForeignKey(Defector, on_delete=models.CASCADE, related_name="aliases")
    merged_at = models.DateTimeField(auto_now_add=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["case_id"]
        verbose_name_plural = "defector aliases"
        constraints = [models.UniqueConstraint(Lower("case_id"), name="testimony_defectoralias_case_id_ci_unique")]

    def __str__(self):
        return f"{self.case_id} \u2192 {self.defector.case_id}"
