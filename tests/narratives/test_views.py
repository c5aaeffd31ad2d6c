import pytest
from django.core.cache import cache
from django.db import connection

from tests.testimony.test_views import IDENTITY_MARKERS, build_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def dataset(db):
    """The defector view tests' dataset: six public defectors, one restricted (tagged brutality)."""
    build_dataset()


def counts(response):
    return {n.code: (n.quote_count, n.defector_count) for n in response.context["narratives"]}


def test_codebook_shows_definitions_notes_and_counts_of_visible_records(client, dataset):
    response = client.get("/narratives/")
    body = response.content.decode()
    assert counts(response) == {
        "infighting": (1, 1),
        "brutality": (2, 2),  # the restricted defector's quote is not counted for visitors
        "corruption": (1, 1),
        "quality-of-life": (1, 1),
    }
    assert "fitna" in body  # from the in-fighting definition
    assert "<strong>Include:</strong>" in body and "<strong>Exclude:</strong>" in body
    assert 'href="/defectors/?narrative=brutality"' in body


def test_codebook_counts_restricted_records_for_custodians(client, custodian, dataset):
    client.force_login(custodian)
    assert counts(client.get("/narratives/"))["brutality"] == (3, 3)


def test_codebook_counts_in_one_query_kept_until_the_data_changes(client, dataset, django_assert_num_queries):
    cache.clear()  # the first view after a write, on either database
    # The data generation (testimony/generation.py), the counts, the codebook.
    with django_assert_num_queries(3):
        assert client.get("/narratives/").status_code == 200
    if connection.vendor == "sqlite":  # on PostgreSQL this test's transaction never commits: nothing is kept
        with django_assert_num_queries(2):
            assert client.get("/narratives/").status_code == 200


def quote_cases(response):
    return [q.defector.case_id for q in response.context["quotes"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["A-02", "A-04"]),
        ("sex=female", ["A-02"]),
        ("country=FR", ["A-04"]),
        ("reported_after=2015-01-01", []),
        ("q=executions", ["A-02"]),
    ],
)
def test_narrative_page_lists_its_quotes_filtered_like_the_list(client, dataset, query, expected):
    response = client.get(f"/narratives/brutality/?{query}")
    assert response.status_code == 200
    assert quote_cases(response) == expected


def test_narrative_page_hides_restricted_quotes_and_identity(client, analyst, custodian, dataset):
    client.force_login(analyst)
    body = client.get("/narratives/brutality/").content.decode()
    assert "I saw the punishments." not in body
    assert not any(marker in body for marker in IDENTITY_MARKERS)
    client.force_login(custodian)
    assert "R-01" in quote_cases(client.get("/narratives/brutality/"))


def test_narrative_page_with_bad_filters_shows_the_error(client, dataset):
    response = client.get("/narratives/brutality/?reported_after=2015-13-40")
    assert response.status_code == 200
    assert "Enter a valid date" in response.content.decode()
    assert quote_cases(response) == []


def test_narrative_page_links_to_its_defectors_with_the_same_filters(client, dataset):
    body = client.get("/narratives/brutality/?sex=female").content.decode()
    assert 'href="/defectors/?sex=female&amp;narrative=brutality"' in body


def test_unknown_narrative_is_404(client, dataset):
    assert client.get("/narratives/no-such-code/").status_code == 404


def test_arabic_quotes_are_right_to_left_on_the_narrative_page(client, dataset):
    from narratives.models import Narrative
    from testimony.models import Quote
    from tests.factories import TagFactory

    TagFactory(quote=Quote.objects.get(defector__case_id="A-06"), narrative=Narrative.objects.get(code="corruption"))
    assert '<blockquote lang="ar" dir="rtl">' in client.get("/narratives/corruption/").content.decode()


def test_colour_stylesheet_gives_each_narrative_its_colour(client):
    """Badges take their colour from this stylesheet: the CSP forbids inline styles."""
    response = client.get("/narratives/colours.css")
    assert response["Content-Type"].startswith("text/css")
    body = response.content.decode()
    assert ".narrative-brutality { --badge-colour: #d62728; }" in body
    assert body.count("--badge-colour") == 4
