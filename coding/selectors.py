"""Reads of the coding workflow: which tags count, each quote's coding
status, and the coding set a queue or a reliability run works on.

Which tags count (``counted_tags``), one rule for every report:

- a quote a reviewer adjudicated counts the narratives of the adjudication;
- otherwise a narrative counts on a quote when every coder of the quote
  applied it (with a single coder: that coder's tags);
- a study may require more (coding.models.TagRule): ``agreed`` drops the
  quotes only one coder coded, ``adjudicated`` counts adjudicated quotes only.

The coders of a quote are those with a CodingDecision on it, plus one
"unnamed coder" for tags without a coder (the study fixture, imports), so
the fixture's tags count as a single coder's.
"""

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

from narratives.models import Tag

from .models import Adjudication, CodingDecision, StudyTagRule, TagRule


class Status:
    UNCODED = "uncoded"
    CODED_ONCE = "coded once"
    AGREED = "agreed"
    DISPUTED = "disputed"
    ADJUDICATED = "adjudicated"
    ALL = (UNCODED, CODED_ONCE, AGREED, DISPUTED, ADJUDICATED)


def _agreed_by_all():
    """On a Tag row: every coder of its quote applied its narrative."""
    quote, narrative = OuterRef("quote_id"), OuterRef("narrative_id")
    applied_by_decider = Tag.objects.filter(
        quote_id=OuterRef("quote_id"), coder_id=OuterRef("coder_id"), narrative_id=OuterRef(narrative)
    )
    dissenting_coder = CodingDecision.objects.filter(quote_id=quote).filter(~Exists(applied_by_decider))
    unnamed_coder = Exists(Tag.objects.filter(quote_id=quote, coder__isnull=True))
    unnamed_applied = Exists(Tag.objects.filter(quote_id=quote, narrative_id=narrative, coder__isnull=True))
    return ~Exists(dissenting_coder) & ~(unnamed_coder & ~unnamed_applied)


def _coder_count(quote_ref):
    decisions = CodingDecision.objects.filter(quote_id=quote_ref).order_by().values("quote_id").annotate(n=Count("pk"))
    unnamed = Exists(Tag.objects.filter(quote_id=quote_ref, coder__isnull=True))
    return Coalesce(Subquery(decisions.values("n")), Value(0)) + Case(
        When(unnamed, then=Value(1)), default=Value(0), output_field=IntegerField()
    )


def counted_tags(*, rule: str | None = None, study=None):
    """The tags a report counts under ``rule``, or under ``study``'s rule (read
    in the same SQL statement, so a report costs no extra query); see the
    module docstring. A counted quote and narrative may come back once per
    coder who applied it: count distinct quotes or defectors."""
    if rule is None:
        chosen = StudyTagRule.objects.filter(study_id=study.pk if study else None).values("rule")
        rule_of = Coalesce(Subquery(chosen), Value(TagRule.BEST))
    elif rule in TagRule.values:
        rule_of = Value(rule)
    else:
        raise ValueError(f"Unknown tag rule {rule!r}; expected one of {', '.join(TagRule.values)}.")
    if not _coded_quotes().exists():
        # No quote was ever coded in the queue (an imported or entered study): the rule
        # reduces to "every tag under the default rule, none under the others", and
        # without the rule's subqueries the planner estimates the tags right.
        return Tag.objects.alias(tag_rule=rule_of).filter(tag_rule=TagRule.BEST)
    quote = OuterRef("quote_id")
    adjudicated = Exists(Adjudication.objects.filter(quote_id=quote))
    in_adjudication = Exists(
        Adjudication.narratives.through.objects.filter(
            adjudication__quote_id=quote, narrative_id=OuterRef("narrative_id")
        )
    )
    by_reviewer = Q(adjudicated & in_adjudication)
    tags = Tag.objects.alias(coders=_coder_count(quote), tag_rule=rule_of)
    agreed = Q(~adjudicated & _agreed_by_all()) & ~Q(tag_rule=TagRule.ADJUDICATED)
    agreed &= Q(coders__gte=2) | ~Q(tag_rule=TagRule.AGREED)
    # Most quotes were never coded in the queue: tags without a coder, no decision, no
    # adjudication. Under the default rule every such tag counts (its one "unnamed coder"
    # applied it), which one hashed lookup decides; the rule's seven subqueries per tag
    # then run only for the quotes coders worked on (they took a 100,000-case report
    # from 0.6 to 4.7 s). The same answer as the full rule, tested in tests/coding.
    never_coded = ~Q(quote_id__in=_coded_quotes()) & Q(tag_rule=TagRule.BEST)
    return tags.filter(never_coded | by_reviewer | agreed)


def _coded_quotes():
    """The quotes with any trace of the coding workflow: a decision, an adjudication,
    or a tag a named coder applied."""
    return (
        CodingDecision.objects.order_by()
        .values("quote_id")
        .union(Adjudication.objects.order_by().values("quote_id"))
        .union(Tag.objects.filter(coder__isnull=False).order_by().values("quote_id"))
    )


def study_tag_rule(study) -> str:
    return StudyTagRule.objects.filter(study=study).values_list("rule", flat=True).first() or TagRule.BEST


def tags_counted_notice(*, study, tags_in_scope) -> dict:
    """What the report page says about the tags it counts: the rule, and the
    codebook versions those tags were coded under (a warning when they mix)."""
    rule = study_tag_rule(study)
    counted = counted_tags(rule=rule).filter(pk__in=tags_in_scope.values("pk"))
    versions = list(
        counted.order_by("codebook_version__number").values_list("codebook_version__number", flat=True).distinct()
    )
    recorded = [v for v in versions if v is not None]
    return {
        "rule": rule,
        "description": TagRule(rule).label,
        "versions": recorded,
        "unrecorded": None in versions,
        "mixed": len(recorded) > 1,
    }


def with_coding_status(quotes):
    """Annotate quotes with ``coders`` (how many coded it) and ``coding_status`` (Status)."""
    quote = OuterRef("pk")
    disputed = Exists(Tag.objects.filter(quote_id=quote).filter(~_agreed_by_all()))
    return quotes.annotate(
        coders=_coder_count(quote),
        coding_status=Case(
            When(Exists(Adjudication.objects.filter(quote_id=quote)), then=Value(Status.ADJUDICATED)),
            When(coders=0, then=Value(Status.UNCODED)),
            When(coders=1, then=Value(Status.CODED_ONCE)),
            When(disputed, then=Value(Status.DISPUTED)),
            default=Value(Status.AGREED),
        ),
    )
