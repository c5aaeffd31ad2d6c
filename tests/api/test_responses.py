"""Pagination, the error shape, conditional GETs, query counts and the URLs."""

import pytest
from django.urls import resolve

from testimony.models import Defector
from tests.factories import DefectorFactory, QuoteFactory, SourceFactory, TagFactory
from tests.shared_rows import shared_rows

pytestmark = pytest.mark.django_db


def write_many():
    """Seven public defectors with two tagged quotes each."""
    from narratives.models import Narrative

    source = SourceFactory()
    for n in range(7):
        defector = DefectorFactory(case_id=f"P-{n}")
        defector.sources.add(source)
        for code in ("infighting", "brutality"):
            TagFactory(quote=QuoteFactory(defector=defector, source=source), narrative=Narrative.objects.get(code=code))


api_many_rows = shared_rows(write_many, name="api_many_rows")


@pytest.fixture
def many(api_many_rows, db, public_read):
    """The seven defectors of write_many, written once for the tests that read them."""


def test_page_shape_and_links(api, many):
    body = api.get("/api/v1/defectors/", {"page_size": 3, "page": 2, "sex": "male"}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 7
    assert [d["case_id"] for d in body["results"]] == ["P-3", "P-4", "P-5"]
    assert "page=3" in body["next"] and "sex=male" in body["next"] and "page_size=3" in body["next"]
    assert "page_size=3" in body["previous"]


def test_a_defector_carries_its_narratives_sources_and_quote_count(api, many):
    body = api.get("/api/v1/defectors/P-0/").json()
    assert body["narratives"] == ["infighting", "brutality"]
    assert len(body["sources"]) == 1
    assert body["quote_count"] == 2


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"page": "abc"}, 400, "page"),
        ({"page": "0"}, 400, "page"),
        ({"page": "9999"}, 404, "page"),
        ({"page_size": "0"}, 400, "page_size"),
        ({"page_size": "10000"}, 400, "page_size"),
        ({"page_size": "201"}, 400, "page_size"),
        ({"page_size": "ten"}, 400, "page_size"),
    ],
)
@pytest.mark.parametrize("url", ["/api/v1/defectors/", "/api/v1/quotes/", "/api/v1/narratives/"])
def test_bad_pages_name_the_parameter(api, many, url, params, status, field):
    response = api.get(url, params)
    assert response.status_code == status
    assert list(response.json()["errors"]) == [field]
    assert isinstance(response.json()["detail"], str)


def test_page_size_200_is_the_maximum(api, many):
    assert api.get("/api/v1/quotes/", {"page_size": "200"}).json()["count"] == 14


@pytest.mark.parametrize(
    ("url", "status"),
    [("/api/v1/defectors/NOPE/", 404), ("/api/v1/narratives/nope/", 404), ("/api/v1/quotes/abc/", 404)],
)
def test_unknown_records_are_404s_in_the_error_shape(api, many, url, status):
    response = api.get(url)
    assert response.status_code == status
    assert response.json()["errors"] == {} and response.json()["detail"]


def test_malformed_json_is_a_400(api, many, researcher):
    api.force_authenticate(researcher)
    response = api.post("/api/v1/outlets/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}


@pytest.mark.parametrize("url", ["/api/v1/defectors/", "/api/v1/defectors/P-0/", "/api/v1/reports/icsr-2015/"])
def test_conditional_get(api, many, url):
    first = api.get(url)
    etag = first["ETag"]
    again = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    DefectorFactory(case_id="P-0")  # unchanged record: same body, same tag
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    # A changed record (now a published case, so in the study too): a new body and tag.
    Defector.objects.filter(case_id="P-0").update(provenance="published")
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


# Queries of one list request for an anonymous reader; the same with 3 or 7 defectors.
LIST_QUERIES = {
    "/api/v1/defectors/": 5,  # the data generation (the page is kept under it), count, page, sources, narrative codes
    "/api/v1/quotes/": 3,  # count, page with defectors, narratives
    "/api/v1/sources/": 2,  # count, page with outlets
    "/api/v1/outlets/": 2,
    "/api/v1/narratives/": 2,
}


@pytest.mark.parametrize(("url", "queries"), LIST_QUERIES.items())
@pytest.mark.parametrize("rows", [3, 7])
def test_list_query_counts_do_not_grow_with_rows(api, public_read, django_assert_num_queries, url, queries, rows):
    from narratives.models import Narrative

    for n in range(rows):
        source = SourceFactory()
        defector = DefectorFactory(case_id=f"Q-{n}")
        defector.sources.add(source)
        for code in ("infighting", "brutality"):
            TagFactory(quote=QuoteFactory(defector=defector, source=source), narrative=Narrative.objects.get(code=code))
    with django_assert_num_queries(queries):
        assert api.get(url).status_code == 200


def test_custodian_list_query_count(api, many, custodian, django_assert_num_queries):
    api.force_authenticate(custodian)
    # + the user's permissions (2) and the access-log row
    with django_assert_num_queries(4 + 3):
        assert api.get("/api/v1/defectors/").status_code == 200


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/reports/icsr-2015/", "api:study-report"),
        ("/api/v1/defectors/", "api:defector-list"),
        ("/api/v1/defectors/ICSR15-001/", "api:defector-detail"),
        ("/api/v1/defectors/case.with.dots/", "api:defector-detail"),
        ("/api/v1/narratives/quality-of-life/", "api:narrative-detail"),
        ("/api/v1/", "api:api-root"),
    ],
)
def test_urls_resolve(path, name):
    match = resolve(path)
    assert f"{match.namespace}:{match.url_name}" == name
