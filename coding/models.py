"""Coding as research: who coded which quote under which codebook version,
what a reviewer decided where coders disagree, and which tags a study counts.

A Tag (narratives.Tag) says "this coder applied this narrative"; a
CodingDecision says "this coder has coded this quote", so a quote coded with
no narrative ("none applies") differs from one not yet coded. Reliability
(coding/reliability.py) reads decisions and tags together.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords


class CodebookVersionQuerySet(models.QuerySet):
    def current(self):
        return self.order_by("-number").first()


class CodebookVersion(models.Model):
    """A state of the codebook's definitions. A change to a narrative's
    definition or its inclusion/exclusion notes makes a new one
    (coding.services.codebook_record_change); every tag records the version
    it was coded under, so a study can say whether its tags mix versions."""

    number = models.PositiveIntegerField(unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(help_text="What changed and why.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The definitions as they read in this version: {code: {name, definition, inclusion_notes, exclusion_notes}}.
    snapshot = models.JSONField(default=dict, blank=True)

    objects = CodebookVersionQuerySet.as_manager()

    class Meta:
        ordering = ["number"]

    def __str__(self):
        return f"Codebook version {self.number} ({self.created_at:%Y-%m-%d})"


class CodingDecision(models.Model):
    """One coder has coded one quote: its tags by that coder are the decision,
    none at all meaning "none applies"."""

    quote = models.ForeignKey("testimony.Quote", on_delete=models.CASCADE, related_name="coding_decisions")
    coder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coding_decisions")
    codebook_version = models.ForeignKey(CodebookVersion, null=True, on_delete=models.PROTECT, related_name="+")
    coded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["quote_id", "coder_id"]
        constraints = [models.UniqueConstraint(fields=["quote", "coder"], name="coding_decision_one_per_coder")]

    def __str__(self):
        return f"quote {self.quote_id} coded by {self.coder}"


class Adjudication(models.Model):
    """A reviewer's decision on a quote the coders disagree on: the agreed
    narratives (chosen among those the coders applied) and why."""

    quote = models.OneToOneField("testimony.Quote", on_delete=models.CASCADE, related_name="adjudication")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="adjudications")
    narratives = models.ManyToManyField("narratives.Narrative", blank=True, related_name="adjudications")
    note = models.TextField(blank=True, help_text="Why these narratives apply.")
    decided_at = models.DateTimeField(default=timezone.now)
    codebook_version = models.ForeignKey(CodebookVersion, null=True, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords(m2m_fields=[narratives])

    class Meta:
        ordering = ["-decided_at"]
        permissions = [("adjudicate", "Can adjudicate disagreements between coders")]

    def __str__(self):
        return f"adjudication of quote {self.quote_id}"


class TagRule(models.TextChoices):
    """Which tags a study's narrative figures count (coding.selectors.counted_tags)."""

    BEST = "best", "adjudicated tags, else the tags all coders agree on, else the single coder's"
    AGREED = "agreed", "adjudicated tags, or tags every one of at least two coders applied"
    ADJUDICATED = "adjudicated", "adjudicated tags only"


class StudyTagRule(models.Model):
    """A study's choice of :class:`TagRule`; a study without one counts ``best``."""

    study = models.OneToOneField("reports.Study", on_delete=models.CASCADE, related_name="tag_rule")
    rule = models.CharField(max_length=12, choices=TagRule.choices, default=TagRule.BEST)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(rule__in=TagRule.values), name="coding_studytagrule_valid")]

    def __str__(self):
        return f"{self.study.code}: {self.get_rule_display()}"
