"""Writes of the coding workflow: a coder's decision on a quote, a reviewer's
adjudication. Tags are written one by one so that their history records each."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from narratives.models import Narrative, Tag

from .models import Adjudication, CodingDecision
from .versions import current_codebook_version

ADJUDICATE_PERMISSION = "coding.adjudicate"


def can_adjudicate(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(ADJUDICATE_PERMISSION))


@transaction.atomic
def coding_decide(*, quote, coder, narratives: Iterable[Narrative]) -> CodingDecision:
    """Record that ``coder`` has coded ``quote`` with exactly ``narratives``
    (none: "none applies"). Only this coder's tags change; a narrative kept
    from an earlier decision keeps its tag and the version it was coded under."""
    if coder is None or not coder.is_authenticated:
        raise ValidationError({"coder": "A coding decision needs a signed-in coder."})
    version = current_codebook_version()
    wanted = {n.pk for n in narratives}
    own = Tag.objects.filter(quote=quote, coder=coder)
    for tag in own.exclude(narrative_id__in=wanted):
        tag.delete()
    present = set(own.values_list("narrative_id", flat=True))
    for narrative_id in sorted(wanted - present):
        tag = Tag(quote=quote, narrative_id=narrative_id, coder=coder, codebook_version=version)
        tag.full_clean()
        tag.save()
    decision, created = CodingDecision.objects.get_or_create(
        quote=quote, coder=coder, defaults={"codebook_version": version}
    )
    if not created:
        decision.codebook_version, decision.coded_at = version, timezone.now()
        decision.save(update_fields=["codebook_version", "coded_at"])
    return decision


@transaction.atomic
def quote_adjudicate(*, quote, reviewer, narratives: Iterable[Narrative], note: str = "") -> Adjudication:
    """Record the reviewer's agreed narratives for ``quote``.

    The agreed narratives are chosen among those the quote's coders applied:
    a reviewer settles a disagreement, and a code nobody applied is coded in
    the queue first (so that it enters reliability like any other).
    """
    if not can_adjudicate(reviewer):
        raise PermissionDenied("Adjudicating needs the coding.adjudicate permission (the Reviewer role).")
    narratives = list(narratives)
    applied = set(Tag.objects.filter(quote=quote).values_list("narrative_id", flat=True))
    foreign = [n.code for n in narratives if n.pk not in applied]
    if foreign:
        raise ValidationError(
            {"narratives": f"No coder of this quote applied {', '.join(foreign)}; code it in the queue first."}
        )
    adjudication, _ = Adjudication.objects.update_or_create(
        quote=quote,
        defaults={
            "reviewer": reviewer,
            "note": note,
            "decided_at": timezone.now(),
            "codebook_version": current_codebook_version(),
        },
    )
    adjudication.full_clean()
    adjudication.narratives.set(narratives)
    return adjudication
