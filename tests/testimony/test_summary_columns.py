"""PostgreSQL: each defector's narrative and outlet ids kept on its row by triggers
(testimony/summary_columns.py) equal what the tags and source links say after
every way of writing them, and the facets counted from them equal the facets
counted through the joins (the SQLite path)."""

import pytest
from django.db import connection, transaction
from django.http import QueryDict

from narratives.models import Narrative, Tag
from testimony import selectors
from testimony.imports.service import defector_import
from testimony.models import Defector, Quote, Source
from testimony.services import defector_merge
from testimony.summary_columns import drifted
from testimony.synthetic import synthetic_rows
from tests.factories import DefectorFactory, OutletFactory, QuoteFactory, TagFactory, UserFactory

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the kept arrays exist on PostgreSQL only")


def kept(defector):
    with connection.cursor() as cursor:
        cursor.execute("SELECT narrative_ids, outlet_ids FROM testimony_defector WHERE id = %s", [defector.pk])
        return cursor.fetchone()


@pytest.fixture
def two(db):
    brutality, infighting = Narrative.objects.get(code="brutality"), Narrative.objects.get(code="infighting")
    first, second = DefectorFactory(case_id="SUM-1"), DefectorFactory(case_id="SUM-2")
    quote = QuoteFactory(defector=first)
    first.sources.add(quote.source)
    TagFactory(quote=quote, narrative=brutality)
    return first, second, quote, brutality, infighting


def test_tags_and_source_links_reach_the_arrays(two):
    first, second, quote, brutality, infighting = two
    assert kept(first) == ([brutality.pk], [quote.source.outlet_id])
    TagFactory(quote=quote, narrative=infighting)
    assert kept(first)[0] == sorted([brutality.pk, infighting.pk])
    Tag.objects.filter(quote=quote, narrative=brutality).delete()
    assert kept(first)[0] == [infighting.pk]
    Tag.objects.filter(quote=quote).update(narrative=brutality)
    assert kept(first)[0] == [brutality.pk]
    first.sources.clear()
    assert kept(first)[1] == []
    assert drifted(connection) == []


def test_a_source_given_another_outlet_moves_its_defectors(two):
    first, _, quote, *_ = two
    other = OutletFactory(name="Another Outlet")
    Source.objects.filter(pk=quote.source_id).update(outlet=other)
    assert kept(first)[1] == [other.pk]


def test_a_merge_moves_the_narratives_with_the_quotes(two):
    first, second, quote, brutality, _ = two
    kept_defector = defector_merge(keep=second, absorb=first, user=UserFactory())
    assert kept(kept_defector)[0] == [brutality.pk]
    assert drifted(connection) == []


def test_deferred_foreign_keys_cannot_leave_an_array_behind(two):
    first, _, quote, *_ = two
    # Raw SQL deleting the quote before its tags, which the deferred constraint allows.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM testimony_quote WHERE id = %s", [quote.pk])
        cursor.execute("DELETE FROM narratives_tag WHERE quote_id = %s", [quote.pk])
    assert kept(first)[0] == []
    assert drifted(connection) == []


@pytest.mark.parametrize("writer", ["postgres", "portable"])
def test_both_import_writers_leave_no_drift(db, writer):
    codes = tuple(Narrative.objects.values_list("code", flat=True))
    result = defector_import(rows=lambda: synthetic_rows(defectors=60, seed=5, narrative_codes=codes), writer=writer)
    assert result.ok, result.errors[:3]
    assert Defector.objects.filter(case_id__startswith="SYN5-").count() == 60
    assert drifted(connection) == []


PARAMS = [
    "",
    "sex=female",
    "q=electricity",
    "narrative=brutality",
    "outlet=Synthetic Outlet 3&country=SY",
    "provenance=synthetic&narrative=infighting&sex=male",
    "sex=male&country=SY&provenance=synthetic&narrative=infighting&outlet=Synthetic Outlet 3",  # none shared
]


@pytest.mark.parametrize("params", PARAMS)
def test_facets_from_the_arrays_equal_the_facets_through_the_joins(db, params, admin_user):
    codes = tuple(Narrative.objects.values_list("code", flat=True))
    assert defector_import(rows=lambda: synthetic_rows(defectors=150, seed=9, narrative_codes=codes)).ok
    Quote.objects.filter(pk__in=Quote.objects.order_by("pk").values("pk")[:5]).delete()  # some defectors lose tags
    data = QueryDict(params)
    counts = selectors._facet_counts(data, admin_user, None)
    joined = selectors._joined_facet_counts(data, admin_user, None)
    assert counts["narrative"] == joined["narrative"]
    assert counts["outlet"] == joined["outlet"]
    assert sum(counts["narrative"].values()) > 0
    # The page's count, counted in the same scan (or added up from its groups on SQLite).
    assert counts["defectors"] == selectors._selected(data, user=admin_user).count()
