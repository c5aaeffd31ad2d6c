"""The API's filters: the same parameters as /defectors/, as tables (STYLE.md 10)."""

import datetime

import pytest

from tests.factories import DefectorFactory, OutletFactory, QuoteFactory, SourceFactory, TagFactory
from tests.shared_rows import shared_rows

pytestmark = pytest.mark.django_db


def write_defectors():
    """Four public defectors differing in sex, country, date, outlet, narrative and quote count."""
    from narratives.models import Narrative

    bbc = SourceFactory(outlet=OutletFactory(name="BBC News"), title="BBC item")
    post = SourceFactory(outlet=OutletFactory(name="The Washington Post"), title="Post item", language="ar")
    rows = [
        ("F-1", "female", "GB", datetime.date(2015, 2, 1), bbc, "brutality", 1),
        ("F-2", "female", "FR", datetime.date(2014, 6, 1), post, "corruption", 2),
        ("M-1", "male", "SY", datetime.date(2015, 7, 3), bbc, "infighting", 3),
        ("M-2", "male", "GB", datetime.date(2014, 1, 9), post, "infighting", 0),
    ]
    for case_id, sex, country, reported_on, source, code, quotes in rows:
        defector = DefectorFactory(case_id=case_id, name=f"Name {case_id}", sex=sex, country=country)
        defector.reported_on = reported_on
        defector.save()
        defector.sources.add(source)
        for n in range(quotes):
            quote = QuoteFactory(
                defector=defector, source=source, text=f"Words of {case_id} #{n}", language=source.language
            )
            TagFactory(quote=quote, narrative=Narrative.objects.get(code=code))


api_filter_rows = shared_rows(write_defectors, name="api_filter_rows")


@pytest.fixture
def defectors(api_filter_rows, db, public_read):
    """The four defectors of write_defectors, written once for the tests that read them."""


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["F-1", "F-2", "M-1", "M-2"]),
        ({"sex": "female"}, ["F-1", "F-2"]),
        ({"country": ["GB", "FR"]}, ["F-1", "F-2", "M-2"]),
        ({"country_not": "GB"}, ["F-2", "M-1"]),
        ({"narrative": "infighting"}, ["M-1"]),  # M-2 has no quote to carry it
        ({"narrative": ["brutality", "corruption"]}, ["F-1", "F-2"]),
        ({"outlet": "BBC News"}, ["F-1", "M-1"]),
        ({"reported_after": "2015-01-01"}, ["F-1", "M-1"]),
        ({"reported_before": "2014-06-01"}, ["F-2", "M-2"]),
        ({"reported_after": "2014-06-01", "reported_before": "2015-02-01"}, ["F-1", "F-2"]),
        ({"q": "Name F"}, ["F-1", "F-2"]),
        ({"q": "Words of M-1"}, ["M-1"]),
        ({"ordering": "-quote_count"}, ["M-1", "F-2", "F-1", "M-2"]),
        ({"ordering": "-reported_on"}, ["M-1", "F-1", "F-2", "M-2"]),
        ({"ordering": "country"}, ["F-2", "F-1", "M-2", "M-1"]),
        ({"sex": "male", "country": "GB"}, ["M-2"]),
    ],
)
def test_defector_filters(api, defectors, params, expected):
    response = api.get("/api/v1/defectors/", params)
    assert response.status_code == 200, response.json()
    assert [d["case_id"] for d in response.json()["results"]] == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["F-1", "F-2", "F-2", "M-1", "M-1", "M-1"]),
        ({"defector": "F-2"}, ["F-2", "F-2"]),
        ({"defector": ["F-1", "M-1"]}, ["F-1", "M-1", "M-1", "M-1"]),
        ({"narrative": "corruption"}, ["F-2", "F-2"]),
        ({"language": "ar"}, ["F-2", "F-2"]),
        ({"outlet": "BBC News"}, ["F-1", "M-1", "M-1", "M-1"]),
        ({"sex": "female"}, ["F-1", "F-2", "F-2"]),
        ({"country": "GB"}, ["F-1"]),
        ({"reported_after": "2015-01-01", "sex": "male"}, ["M-1", "M-1", "M-1"]),
        ({"q": "#2"}, ["M-1"]),
        ({"study": "icsr-2015", "sex": "female"}, []),  # synthetic records are outside the study
    ],
)
def test_quote_filters(api, defectors, params, expected):
    response = api.get("/api/v1/quotes/", params)
    assert response.status_code == 200, response.json()
    assert [q["defector"] for q in response.json()["results"]] == expected


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/v1/defectors/", {"sex": "x"}, "sex"),
        ("/api/v1/defectors/", {"country": "ZZ"}, "country"),
        ("/api/v1/defectors/", {"narrative": "nope"}, "narrative"),
        ("/api/v1/defectors/", {"outlet": "Nobody"}, "outlet"),
        ("/api/v1/defectors/", {"reported_after": "2015-13-40"}, "reported_after"),
        ("/api/v1/defectors/", {"reported_before": "tomorrow"}, "reported_before"),
        ("/api/v1/defectors/", {"ordering": "legal_name"}, "ordering"),
        ("/api/v1/defectors/", {"study": "icsr-1999"}, "study"),
        ("/api/v1/quotes/", {"sex": "x"}, "sex"),
        ("/api/v1/quotes/", {"country": "ZZ"}, "country"),
        ("/api/v1/quotes/", {"language": "xx"}, "language"),
        ("/api/v1/quotes/", {"narrative": "nope"}, "narrative"),
        ("/api/v1/quotes/", {"ordering": "text"}, "ordering"),
        ("/api/v1/quotes/", {"source": "abc"}, "source"),
        ("/api/v1/sources/", {"published_after": "2015-02-30"}, "published_after"),
        ("/api/v1/sources/", {"outlet": "Nobody"}, "outlet"),
        ("/api/v1/outlets/", {"kind": "blog"}, "kind"),
        ("/api/v1/outlets/", {"ordering": "website"}, "ordering"),
    ],
)
def test_invalid_filters_are_400s_naming_the_field(api, defectors, url, params, field):
    response = api.get(url, params)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid input."
    assert list(body["errors"]) == [field]
    assert all(isinstance(message, str) for message in body["errors"][field])


def test_source_and_outlet_filters(api, defectors):
    sources = api.get("/api/v1/sources/", {"outlet": "BBC News"}).json()["results"]
    assert [s["title"] for s in sources] == ["BBC item"]
    outlets = api.get("/api/v1/outlets/", {"q": "post"}).json()["results"]
    assert [o["name"] for o in outlets] == ["The Washington Post"]
