"""Studies and the figures they published, so that a report can regenerate
each figure from the database and say whether the published wording holds."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords


class StudyManager(models.Manager):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class Study(models.Model):
    """A named study of defectors with the window its figures cover."""

    code = models.SlugField(max_length=50, unique=True, help_text="Stable identifier used in URLs, e.g. icsr-2015.")
    title = models.CharField(max_length=300)
    author = models.CharField(max_length=200, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    published_on = models.DateField(null=True, blank=True)
    window_start = models.DateField(help_text="First day of the reporting window (inclusive).")
    window_end = models.DateField(help_text="Last day of the reporting window (inclusive).")
    url = models.URLField("URL", max_length=1000, blank=True)
    notes = models.TextField(blank=True, help_text="Where the figures come from and what is uncertain.")
    criteria = models.CharField(
        "inclusion criteria",
        max_length=500,
        blank=True,
        default="provenance_not=synthetic",
        help_text=(
            "Besides the window: defector filters in the /defectors/ query-string vocabulary, "
            "e.g. provenance_not=synthetic. The 'today' scope applies them to the whole database."
        ),
    )
    frozen_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=(
            "When the case list was frozen: 'as published' counts the members as their records "
            "stood at this moment (change history), so later corrections do not rewrite the study."
        ),
    )
    members = models.ManyToManyField(
        "testimony.Defector", through="StudyMembership", related_name="studies", blank=True
    )

    objects = StudyManager()

    class Meta:
        ordering = ["-published_on", "code"]
        verbose_name_plural = "studies"
        constraints = [
            models.CheckConstraint(
                condition=Q(window_start__lte=models.F("window_end")), name="reports_study_window_ordered"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("reports:study-report", args=[self.code])

    def natural_key(self):
        return (self.code,)

    def clean(self):
        from .measures import SelectionError, parse_selection

        try:
            parse_selection(self.criteria, allow_study=False)
        except SelectionError as error:
            raise ValidationError({"criteria": str(error)}) from error

    def meeting_criteria(self, defectors, *, include_synthetic: bool = False):
        """The defectors of ``defectors`` that meet the study's inclusion criteria (window and filters)."""
        from .measures import parse_selection, select

        criteria = parse_selection(self.criteria, allow_study=False)
        if include_synthetic and "synthetic" in criteria.getlist("provenance_not"):
            criteria.setlist("provenance_not", [v for v in criteria.getlist("provenance_not") if v != "synthetic"])
        return select(defectors.in_window(self.window_start, self.window_end), criteria)


class StudyMembership(models.Model):
    """One defector on a study's case list: the study counted this person."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="memberships")
    defector = models.ForeignKey("testimony.Defector", on_delete=models.CASCADE, related_name="study_memberships")
    note = models.CharField(max_length=300, blank=True, help_text="e.g. 'counted in the report's annex'.")
    source = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why we know the study counted it, e.g. 'reconstructed to match the published totals'.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["study", "defector__case_id"]
        constraints = [
            models.UniqueConstraint(fields=["study", "defector"], name="reports_membership_unique"),
        ]

    def __str__(self):
        return f"{self.study.code}: {self.defector.case_id}"


class Aggregate(models.TextChoices):
    """What a figure computes over its selection (reports/measures.py)."""

    COUNT = "count", "count of defectors"
    SHARE = "share", "share of the denominator's defectors"
    DISTINCT_COUNTRIES = "distinct_countries", "distinct countries"
    PEAK_MONTH = "peak_month", "peak month"
    REPORTED_MONTHS = "reported_months", "first and last month"
    NARRATIVE_COUNT = "narrative_count", "narratives of the codebook"


class FigureKind(models.TextChoices):
    COUNT = "count", "Count of defectors"
    SHARE = "share", "Share of the window's defectors (0..1)"
    MONTH = "month", "A month (YYYY-MM)"
    RANGE = "range", "A range of months (YYYY-MM/YYYY-MM)"


class Qualifier(models.TextChoices):
    """How the published wording is to be judged against the computed value.

    "nearly" and "almost" imply a value slightly *below* the stated one, so
    0.62 is "nearly two thirds" but not quite "almost 60%" (reports/reconcile.py).
    """

    EXACT = "exact", "exact (as stated)"
    AT_LEAST = "at_least", "at least"
    NEARLY = "nearly", "nearly"
    ALMOST = "almost", "almost"
    ABOUT = "about", "about / around / some"
    OVER = "over", "over / more than"


class FigureStatus(models.TextChoices):
    STATED = "V", "V: stated in the source"
    INFERRED = "I", "I: inferred from stated figures"


class PublishedFigure(models.Model):
    """One figure as a source published it, with its exact wording."""

    Kind = FigureKind
    Qualifier = Qualifier
    Status = FigureStatus

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="figures")
    key = models.CharField(
        max_length=80,
        validators=[RegexValidator(r"^[A-Za-z0-9_]+$", "Use letters, digits and '_', e.g. defectors_from_GB.")],
        help_text="Unique within the study. Two wordings of one measure get two keys.",
    )
    measure = models.CharField(
        max_length=80,
        blank=True,
        help_text="Name of the computed value in the report's measures; empty: the figure's key.",
    )
    aggregate = models.CharField(
        max_length=20,
        choices=Aggregate.choices,
        blank=True,
        help_text="What is computed over the selection. Empty when the database cannot compute it.",
    )
    selection = models.CharField(
        max_length=500,
        blank=True,
        help_text=(
            "The defectors it is about, in the /defectors/ query-string vocabulary, e.g. country=SY, "
            "narrative=brutality, region=middle_east, reported_after=2015-01-01. Empty: the whole study."
        ),
    )
    denominator = models.CharField(
        max_length=500,
        blank=True,
        help_text="For a share: the defectors it is a share of, same vocabulary. Empty: the whole study.",
    )
    kind = models.CharField(max_length=5, choices=FigureKind.choices, default=FigureKind.COUNT)
    value = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="The number the wording states: a count, or a share as a fraction (two thirds = 0.6667).",
    )
    value_text = models.CharField(
        max_length=30, blank=True, help_text="For months and ranges: 2015-08, 2014-01/2015-08."
    )
    qualifier = models.CharField(max_length=10, choices=Qualifier.choices, default=Qualifier.EXACT)
    wording = models.TextField("published wording", blank=True, help_text="Verbatim, as printed.")
    outlet = models.CharField(max_length=200, blank=True, help_text="Who printed it, e.g. Press Association.")
    source = models.CharField(max_length=300, blank=True, help_text="The item, e.g. 'ICSR report, executive summary'.")
    source_url = models.URLField("source URL", max_length=1000, blank=True)
    status = models.CharField(max_length=1, choices=FigureStatus.choices, default=FigureStatus.STATED)
    notes = models.TextField(blank=True)
    display_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["study", "display_order", "key"]
        constraints = [
            models.UniqueConstraint(fields=["study", "key"], name="reports_figure_key_unique_per_study"),
            models.CheckConstraint(condition=Q(kind__in=FigureKind.values), name="reports_publishedfigure_kind_valid"),
            models.CheckConstraint(
                condition=Q(qualifier__in=Qualifier.values), name="reports_publishedfigure_qualifier_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=FigureStatus.values), name="reports_publishedfigure_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(aggregate__in=[*Aggregate.values, ""]), name="reports_publishedfigure_aggregate_valid"
            ),
        ]

    def __str__(self):
        return f"{self.study.code}: {self.key}"

    @property
    def measure_name(self) -> str:
        return self.measure or self.key

    def clean(self):
        from .measures import SelectionError, parse_selection

        if self.kind in (FigureKind.COUNT, FigureKind.SHARE) and self.value is None:
            raise ValidationError({"value": "A count or a share needs its published value."})
        if self.kind == FigureKind.SHARE and self.value is not None and not 0 <= self.value <= 1:
            raise ValidationError({"value": "Give a share as a fraction between 0 and 1 (60% = 0.6)."})
        if self.kind in (FigureKind.MONTH, FigureKind.RANGE) and not self.value_text:
            raise ValidationError({"value_text": "Give the month (2015-08) or range (2014-01/2015-08)."})
        for field in ("selection", "denominator"):
            try:
                parse_selection(getattr(self, field))
            except SelectionError as error:
                raise ValidationError({field: str(error)}) from error
        if self.denominator and self.aggregate != Aggregate.SHARE:
            raise ValidationError({"denominator": "Only a share has a denominator."})
        if self.aggregate == Aggregate.SHARE and self.kind != FigureKind.SHARE:
            raise ValidationError({"kind": "A share aggregate is judged as a share."})
