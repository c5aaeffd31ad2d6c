"""Which tags count (coding.selectors.counted_tags) and each quote's status, as tables."""

import pytest

from coding.models import TagRule
from coding.selectors import Status, counted_tags, with_coding_status
from coding.services import coding_decide, quote_adjudicate
from narratives.models import Tag
from testimony.models import Quote

# Each case: what amina and boris decided (None: did not code), the reviewer's
# narratives (None: no adjudication), and what counts under each rule.
CASES = [
    # amina, boris, reviewer -> best, agreed, adjudicated, status
    (["brutality"], None, None, {"brutality"}, set(), set(), Status.CODED_ONCE),
    (["brutality"], ["brutality"], None, {"brutality"}, {"brutality"}, set(), Status.AGREED),
    ([], [], None, set(), set(), set(), Status.AGREED),  # both: none applies
    (["brutality", "corruption"], ["brutality"], None, {"brutality"}, {"brutality"}, set(), Status.DISPUTED),
    (["brutality"], [], None, set(), set(), set(), Status.DISPUTED),
    (
        ["brutality", "corruption"],
        ["brutality"],
        ["corruption"],
        {"corruption"},
        {"corruption"},
        {"corruption"},
        Status.ADJUDICATED,
    ),
    (None, None, None, set(), set(), set(), Status.UNCODED),
]


@pytest.mark.parametrize(("first", "second", "adjudicated", "best", "agreed", "only_adjudicated", "status"), CASES)
def test_counted_tags_and_status(
    coders, reviewer, codebook, quotes, first, second, adjudicated, best, agreed, only_adjudicated, status
):
    quote = quotes[0]
    for coder, codes in zip(coders, (first, second), strict=True):
        if codes is not None:
            coding_decide(quote=quote, coder=coder, narratives=[codebook[c] for c in codes])
    if adjudicated is not None:
        quote_adjudicate(
            quote=quote, reviewer=reviewer, narratives=[codebook[c] for c in adjudicated], note="read twice"
        )
    for rule, expected in ((TagRule.BEST, best), (TagRule.AGREED, agreed), (TagRule.ADJUDICATED, only_adjudicated)):
        counted = set(counted_tags(rule=rule).filter(quote=quote).values_list("narrative__code", flat=True))
        assert counted == expected, rule
    assert with_coding_status(Quote.objects.filter(pk=quote.pk)).get().coding_status == status


def test_fixture_style_tags_without_coder_count_as_a_single_coder(codebook, quotes):
    Tag.objects.create(quote=quotes[0], narrative=codebook["brutality"])
    assert list(counted_tags().values_list("narrative__code", flat=True)) == ["brutality"]
    assert list(counted_tags(rule=TagRule.AGREED)) == []
    assert with_coding_status(Quote.objects.filter(pk=quotes[0].pk)).get().coding_status == Status.CODED_ONCE


def counted_by_rule(quote):
    return {
        rule: set(counted_tags(rule=rule).filter(quote=quote).values_list("narrative__code", flat=True))
        for rule in TagRule.values
    }


def test_the_shortcut_for_a_database_nobody_coded_gives_the_full_rule_s_answer(coders, codebook, quotes):
    # No quote coded in the queue: counted_tags takes its shortcut (every tag under the
    # default rule, none under the others). Then one coding decision on another quote
    # makes it evaluate the full rule: the untouched quote must count the same.
    Tag.objects.create(quote=quotes[0], narrative=codebook["brutality"])
    Tag.objects.create(quote=quotes[0], narrative=codebook["corruption"])
    shortcut = counted_by_rule(quotes[0])
    assert shortcut == {TagRule.BEST: {"brutality", "corruption"}, TagRule.AGREED: set(), TagRule.ADJUDICATED: set()}
    coding_decide(quote=quotes[1], coder=coders[0], narratives=[codebook["infighting"]])
    assert counted_by_rule(quotes[0]) == shortcut


def test_an_unnamed_coder_and_a_researcher_who_disagree_are_disputed(coders, codebook, quotes):
    Tag.objects.create(quote=quotes[0], narrative=codebook["brutality"])
    coding_decide(quote=quotes[0], coder=coders[0], narratives=[])
    assert list(counted_tags()) == []
    assert with_coding_status(Quote.objects.filter(pk=quotes[0].pk)).get().coding_status == Status.DISPUTED


def test_a_reviewer_chooses_among_the_coders_narratives(coders, reviewer, codebook, quotes):
    from django.core.exceptions import PermissionDenied, ValidationError

    coding_decide(quote=quotes[0], coder=coders[0], narratives=[codebook["brutality"]])
    with pytest.raises(ValidationError, match="infighting"):
        quote_adjudicate(quote=quotes[0], reviewer=reviewer, narratives=[codebook["infighting"]])
    with pytest.raises(PermissionDenied):
        quote_adjudicate(quote=quotes[0], reviewer=coders[1], narratives=[codebook["brutality"]])


def test_a_study_rule_changes_the_report_table(coders, codebook, quotes):
    import datetime

    from coding.models import StudyTagRule
    from reports.models import Study
    from reports.selectors import study_report

    study = Study.objects.create(
        code="test-study", title="Test", window_start=datetime.date(2015, 1, 1), window_end=datetime.date(2015, 12, 31)
    )
    quotes[0].defector.provenance = "published"
    quotes[0].defector.save()
    coding_decide(quote=quotes[0], coder=coders[0], narratives=[codebook["brutality"]])
    assert study_report(study=study)["tables"]["by_narrative"]["brutality"] == {"defectors": 1, "quotes": 1}
    StudyTagRule.objects.create(study=study, rule=TagRule.AGREED)
    assert study_report(study=study)["tables"]["by_narrative"]["brutality"] == {"defectors": 0, "quotes": 0}


def test_narrative_pairs_count_only_counted_tags(coders, reviewer, codebook, quotes):
    import datetime

    from reports.models import Study
    from reports.selectors import study_report

    study = Study.objects.create(
        code="pairs", title="Pairs", window_start=datetime.date(2015, 1, 1), window_end=datetime.date(2015, 12, 31)
    )
    quote = quotes[0]
    quote.defector.provenance = "published"
    quote.defector.save()
    both = [codebook["brutality"], codebook["corruption"]]
    coding_decide(quote=quote, coder=coders[0], narratives=both)
    coding_decide(quote=quote, coder=coders[1], narratives=[codebook["brutality"]])
    pairs = study_report(study=study)["tables"]["narrative_pairs"]
    assert pairs["brutality+corruption"] == 0  # corruption is disputed: it does not count
    quote_adjudicate(quote=quote, reviewer=reviewer, narratives=both, note="both")
    assert study_report(study=study)["tables"]["narrative_pairs"]["brutality+corruption"] == 1
