"""The codebook of narratives and the tags that code quotes with them."""

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from config.services import record_url


class NarrativeManager(models.Manager):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class Narrative(models.Model):
    """One code of the codebook, e.g. ``infighting``. Sub-themes point at a parent."""

    code = models.SlugField(max_length=50, unique=True, help_text="Stable identifier used in URLs, CSV and the API.")
    name = models.CharField(max_length=100)
    definition = models.TextField()
    inclusion_notes = models.TextField(blank=True, help_text="What a quote must say to carry this code.")
    exclusion_notes = models.TextField(blank=True, help_text="Near misses that belong to another code.")
    display_order = models.PositiveSmallIntegerField(default=0)
    colour = models.CharField(
        max_length=7,
        default="#555555",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Give the colour as #RRGGBB, e.g. #1f77b4.")],
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", help_text="For sub-themes."
    )
    quotes = models.ManyToManyField("testimony.Quote", through="Tag", related_name="narratives", blank=True)
    # REFI-QDA codebooks (.qdc) name codes by GUID; it stays the same when the code is renamed.
    guid = models.UUIDField("GUID", default=uuid.uuid4, unique=True, editable=False)

    history = HistoricalRecords(excluded_fields=["quotes"])
    objects = NarrativeManager()

    class Meta:
        ordering = ["display_order", "code"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="narratives_narrative_not_own_parent"),
        ]

    def __str__(self):
        return self.name if self.parent_id is None else f"{self.parent.name} \u203a {self.name}"

    def get_absolute_url(self):
        return record_url("narratives:narrative-detail", self.code)

    def natural_key(self):
        return (self.code,)


class Tag(models.Model):
    """A quote coded with a narrative by one coder.

    Several coders may code the same quote (for inter-coder agreement later),
    so uniqueness is per coder; tags loaded from the study fixture or an
    import have no coder and are unique per quote and narrative.
    """

    quote = models.ForeignKey("testimony.Quote", on_delete=models.CASCADE, related_name="tags")
    narrative = models.ForeignKey(Narrative, on_delete=models.PROTECT, related_name="tags")
    coder = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="narrative_tags"
    )
    coded_at = models.DateTimeField(auto_now_add=True)
    codebook_version = models.ForeignKey(
        "coding.CodebookVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tags",
        help_text="The codebook as it read when this tag was applied; empty for tags loaded from a fixture or import.",
    )
    note = models.CharField(max_length=300, blank=True, help_text="Why this code applies, if not obvious.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["narrative__display_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["quote", "narrative", "coder"],
                condition=Q(coder__isnull=False),
                name="narratives_tag_unique_per_coder",
            ),
            models.UniqueConstraint(
                fields=["quote", "narrative"], condition=Q(coder__isnull=True), name="narratives_tag_unique_uncoded"
            ),
        ]
        indexes = [models.Index(fields=["narrative", "quote"])]

    def __str__(self):
        return f"{self.narrative.code} on quote {self.quote_id}"
