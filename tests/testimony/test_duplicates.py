"""testimony.duplicates.possible_duplicates: the same table on SQLite (difflib)
and PostgreSQL (pg_trgm)."""

import datetime

import pytest

from testimony.duplicates import case_ids, possible_duplicates
from tests.factories import DefectorFactory, SourceFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2015, 3, 14)


@pytest.fixture
def stored(db):
    DefectorFactory(case_id="D-1", name="Abu Omar al-Shami", country="SY", reported_on=DAY)
    DefectorFactory(case_id="D-2", name="Muhammad Khalid", country="SY", reported_on=DAY)
    DefectorFactory(case_id="D-3", name="Shukee Begum", country="GB", reported_on=DAY)
    DefectorFactory(case_id="D-4", name="Abu Omar al-Shami", country="SY", reported_on=DAY - datetime.timedelta(200))


@pytest.mark.parametrize(
    ("name", "country", "days_later", "expected"),
    [
        ("abu omar al shami", "SY", 0, ["D-1"]),  # case and hyphen differ
        ("Abu Omer al-Shami", "SY", 30, ["D-1"]),  # one letter differs, a month later
        ("Abu Omar al-Shami", "", 0, ["D-1"]),  # no country: not narrowed by it
        ("Abu Omar al-Shami", "IQ", 0, []),  # another country
        ("Abu Omar al-Shami", "SY", 120, []),  # outside the 90-day window
        ("Abu Omar al-Shami", "SY", -150, ["D-4"]),  # near the earlier report instead
        ("Ahmad Yusuf", "SY", 0, []),  # a different name
        ("Shukee Begum", "GB", 10, ["D-3"]),
        ("Shukee Begum", "SY", 10, []),
    ],
)
def test_similar_name_same_country_near_date(stored, researcher, name, country, days_later, expected):
    values = {"name": name, "country": country, "reported_on": DAY + datetime.timedelta(days_later)}
    assert case_ids(possible_duplicates(values, user=researcher)) == expected


def test_a_shared_source_is_a_candidate_whatever_the_name(stored, researcher):
    article = SourceFactory()
    DefectorFactory(case_id="D-9", name="anonymous defector", country="IQ", reported_on=datetime.date(2014, 1, 1))
    DefectorFactory(case_id="D-9").sources.add(article)
    found = possible_duplicates({"name": "Ahmad Yusuf", "sources": [article]}, user=researcher)
    assert [(c.defector.case_id, c.reasons) for c in found] == [("D-9", ["shares a source"])]


def test_both_reasons_rank_first_and_a_record_is_not_its_own_duplicate(stored, researcher):
    article = SourceFactory()
    d1 = DefectorFactory(case_id="D-1")
    d1.sources.add(article)
    newcomer = DefectorFactory(case_id="D-5", name="Abu Omar al Shami", country="SY", reported_on=DAY)
    newcomer.sources.add(article)
    found = possible_duplicates(newcomer, user=researcher)
    assert case_ids(found) == ["D-1"]
    assert found[0].reasons == ["shares a source", "similar name, reported 0 days apart"]


def test_restricted_defectors_are_candidates_only_for_those_who_may_see_them(stored, researcher, custodian):
    DefectorFactory(case_id="R-1", name="Abu Omar al-Shami", country="SY", reported_on=DAY, visibility="restricted")
    values = {"name": "Abu Omar al-Shami", "country": "SY", "reported_on": DAY}
    assert case_ids(possible_duplicates(values, user=researcher)) == ["D-1"]
    assert case_ids(possible_duplicates(values, user=custodian)) == ["D-1", "R-1"]
