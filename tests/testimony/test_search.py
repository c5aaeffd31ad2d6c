"""What ``q`` finds (testimony/search.py), the same on SQLite and PostgreSQL, and
the query counts of the list, search, facet, narrative and admin pages."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from testimony.search import normalise_text, search_words
from tests.factories import DefectorFactory, QuoteFactory, SourceFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "/defectors/"

# typed, stored: the two normalise to the same text.
SAME_LETTERS = [
    ("احتمل", "أحتمل"),  # hamza on alef
    ("احمد", "إحمد"),  # hamza below alef
    ("امن", "آمن"),  # madda
    ("مستشفي", "مستشفى"),  # alef maqsura
    ("مدرسه", "مدرسة"),  # ta marbuta
    ("كتب", "كَتَبَ"),  # harakat
    ("الله", "اللّٰه"),  # shadda, superscript alef
    ("جميل", "جمـــيل"),  # tatweel
    ("sergio", "Sérgio"),  # Latin accent and case
    ("muller", "MÜLLER"),
    ("francois", "François"),
    ("ﷲ".lower(), "ﷲ"),  # a ligature decomposes like the letters it stands for
]


@pytest.mark.parametrize("typed, stored", SAME_LETTERS)
def test_typed_and_stored_letters_normalise_alike(typed, stored):
    assert normalise_text(typed) == normalise_text(stored)


def test_different_words_stay_different():
    assert normalise_text("كتب") != normalise_text("كاتب")
    assert normalise_text("sergio") != normalise_text("sergei")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL twin exists on PostgreSQL only")
@pytest.mark.parametrize("text", [s for pair in SAME_LETTERS for s in pair] + ["Umm Layla", "[SYNTHETIC] x_y"])
def test_sql_normaliser_agrees_with_python(text):
    with connection.cursor() as cursor:
        cursor.execute("SELECT testimony_normalise(%s)", [text])
        assert cursor.fetchone()[0] == normalise_text(text)


def test_query_words_split_on_punctuation_and_underscore():
    assert search_words("Begum,  shukee_Begum!") == ["begum", "shukee"]


# q, case IDs found, among the records below.
SEARCHES = [
    ("Begum Shukee", ["S-1"]),  # every word, any order
    ("shukee", ["S-1"]),
    ("Shuk", ["S-1"]),  # a word's start
    ("hukee", []),  # not its middle
    ("Shukee electricity", []),  # both words, but in no one defector
    ("Shukee hungry", ["S-1"]),  # one word in the name, one in a quote
    ("احتمل", ["S-2"]),  # typed without the hamza the quote has
    ("Sergio", ["S-3"]),  # typed without the accent
    ("SÉRGIO", ["S-3"]),
    ("electricity", ["S-2"]),  # the translation is searched too
    ("zebra", []),
    ("!!!", []),  # no word at all finds nothing rather than everything
]


@pytest.fixture
def searchable(db):
    shukee = DefectorFactory(case_id="S-1", name="Shukee Begum")
    QuoteFactory(defector=shukee, text="The fighters went hungry.")
    arabic = DefectorFactory(case_id="S-2", name="anonymous defector")
    QuoteFactory(defector=arabic, text="لم أحتمل", language="ar", translation="There was no electricity.")
    DefectorFactory(case_id="S-3", name="Sérgio Bastos")


@pytest.mark.parametrize("q, expected", SEARCHES)
def test_search_finds_every_word_after_normalisation(client, searchable, q, expected):
    response = client.get(LIST, {"q": q})
    assert sorted(d.case_id for d in response.context["object_list"]) == expected


def test_search_ranks_a_name_match_before_a_quote_match(client, db):
    in_quote = DefectorFactory(case_id="R-1", name="anonymous defector")
    QuoteFactory(defector=in_quote, text="Abu Hamza spoke to us.")
    DefectorFactory(case_id="R-2", name="Abu Hamza")
    response = client.get(LIST, {"q": "hamza"})
    found = [d.case_id for d in response.context["object_list"]]
    expected = ["R-2", "R-1"] if connection.vendor == "postgresql" else ["R-1", "R-2"]
    assert found == expected


def make(n):
    for _ in range(n):
        quote = QuoteFactory(text="there was no electricity")
        quote.defector.sources.add(quote.source)
        TagFactory(quote=quote)


# page, queries of its first view after a write on SQLite and on PostgreSQL: session-less
# visitor, so no user queries; one reads the data generation the counts are kept under
# (testimony/generation.py). A list page's rows are two queries, their ids and then the rows
# (testimony.generation.CountedPaginator). The facets: one set per narrowed facet (counted
# without its own parameter) and the whole set for the others, whose count is the page's. On
# SQLite the whole set is one query grouped by the defector's own columns (its groups add up to
# the count), and the narratives and outlets are counted through the tags and source links. On PostgreSQL the search is
# one query whose ids the page, count and facets reuse, and each set is one scan counting
# the page's count and every facet of that set, the narratives and outlets kept on the row
# (GROUPING SETS, testimony.selectors._grouping_sets; testimony/summary_columns.py).
PAGES = [
    (LIST, 11, 9),
    (f"{LIST}?q=electricity", 10, 9),
    (f"{LIST}?q=zebra", 6, 5),
    (f"{LIST}?sex=male&country=SY&narrative=infighting", 19, 17),
    ("/narratives/", 3, 3),  # the generation, the codebook's counts, the codebook
    # The code's quotes (4), and the list's side panel (testimony.selectors.defector_facets):
    # its facets as above, the codebook.
    ("/narratives/infighting/?sex=male", 10, 8),
]


@pytest.mark.parametrize("url, sqlite_queries, postgresql_queries", PAGES)
def test_page_query_count_does_not_grow_with_rows(
    client, db, django_assert_num_queries, url, sqlite_queries, postgresql_queries
):
    queries = postgresql_queries if connection.vendor == "postgresql" else sqlite_queries
    make(3)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    make(30)
    cache.clear()  # as after a write on PostgreSQL, where this test's transaction never commits
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_paginator_count_never_counts_the_quotes(client, db):
    make(3)
    with CaptureQueriesContext(connection) as captured:
        client.get(f"{LIST}?ordering=-quote_count")
    # On PostgreSQL the page's count is one grouping of the facets' scan (selectors._grouping_sets).
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(*)" in q["sql"]]
    assert counts and not any("testimony_quote" in sql for sql in counts)


def test_quote_count_column_counts_each_defectors_quotes(client, db):
    two = DefectorFactory(case_id="Q-2")
    QuoteFactory.create_batch(2, defector=two)
    DefectorFactory(case_id="Q-0")
    rows = client.get(f"{LIST}?ordering=-quote_count").context["object_list"]
    assert [(d.case_id, d.quote_count) for d in rows] == [("Q-2", 2), ("Q-0", 0)]


def test_facets_count_only_the_filtered_set(client, db):
    make(2)
    source = SourceFactory()
    woman = DefectorFactory(sex="female")
    woman.sources.add(source)
    TagFactory(quote=QuoteFactory(defector=woman, source=source))
    facets = client.get(LIST, {"sex": "female"}).context["facets"]
    assert {v.value: v.count for v in facets["narrative"].values}["infighting"] == 1
    assert [(v.value, v.count) for v in facets["outlet"].values] == [(source.outlet.name, 1)]


def test_admin_defector_change_page_query_count_does_not_grow_with_quotes(client, db, django_assert_num_queries):
    """The codebook, tags, sources and outlets of the quote inline are read once for
    all quotes (it was five queries per quote)."""
    researcher = UserFactory(username="researcher", is_staff=True, roles=["Researcher"])
    client.force_login(researcher)
    defector = DefectorFactory()
    QuoteFactory.create_batch(2, defector=defector)
    url = reverse("admin:testimony_defector_change", args=[defector.pk])
    client.get(url)
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200
    QuoteFactory.create_batch(6, defector=defector)
    with django_assert_num_queries(9):
        page = client.get(url)
    assert page.status_code == 200
    assert page.content.decode().count("selected>" + str(defector.quotes.first().source)) >= 1
