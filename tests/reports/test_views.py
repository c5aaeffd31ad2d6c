"""The report pages: figures, charts with tables, downloads, and drill-down links
that list exactly the defectors behind each count."""

import json
import re
from html import unescape

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from testimony.models import Defector

pytestmark = pytest.mark.django_db

COUNT_LINK = re.compile(r'<a href="([^"]+)" data-count="(\d+)"')


def count_links(html: str) -> dict[str, int]:
    return {unescape(url): int(count) for url, count in COUNT_LINK.findall(html)}


def listed(client, url: str) -> int:
    context = client.get(url).context
    return context["paginator"].count if context.get("paginator") else context["filter"].qs.count()


@pytest.mark.parametrize(
    "subset",
    ["", "sex=female", "country=SY&country=GB&narrative=brutality", "reported_after=2015-01-01&region=middle_east"],
)
def test_every_count_links_to_exactly_its_defectors(client, custodian, icsr_study, subset):
    client.force_login(custodian)
    page = client.get(reverse("reports:study-report", args=["icsr-2015"]) + (f"?{subset}" if subset else ""))
    assert page.status_code == 200
    links = count_links(page.content.decode())
    assert len(links) >= (25 if not subset else 3)
    listed_counts = {url: listed(client, url) for url in links}
    assert listed_counts == links


def test_page_shows_figures_verdicts_charts_and_tables(client, icsr_study):
    html = client.get(reverse("reports:study-report", args=["icsr-2015"])).content.decode()
    assert "almost 60% of the cases reported in the first eight months of this year" in html
    assert "approximately consistent" in html
    assert html.count("<svg") == 5
    assert html.count("<table") >= 5 + 1  # a table behind every chart, plus the reconciliation table
    assert "Date not precise enough" in html
    assert "Unnamed in sources" in html


def test_subset_page_computes_figures_over_the_subset(client, icsr_study):
    response = client.get(reverse("reports:study-report", args=["icsr-2015"]), {"sex": "female"})
    assert response.context["report"]["measures"]["total_defectors"] == 7
    assert "Figures over a subset" in response.content.decode()


def test_restricted_defectors_are_counted_and_said_to_be_hidden(client, analyst, icsr_study):
    Defector.objects.filter(case_id__in=["ICSR15-002", "ICSR15-003"]).update(visibility="restricted")
    client.force_login(analyst)
    response = client.get(reverse("reports:study-report", args=["icsr-2015"]))
    assert response.context["report"]["measures"]["total_defectors"] == 58
    assert "2 restricted defectors are counted in these figures but hidden from your lists" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "field"), [("sex=nobody", "sex"), ("reported_after=soon", "reported_after"), ("country=QQ", "country")]
)
def test_invalid_filter_is_a_400_naming_the_field(client, icsr_study, query, field):
    page = client.get(reverse("reports:study-report", args=["icsr-2015"]) + f"?{query}")
    assert page.status_code == 400
    assert field in page.context["filter"].errors
    download = client.get(reverse("reports:study-json", args=["icsr-2015"]) + f"?{query}")
    assert download.status_code == 400
    assert field in download.json()


def test_unknown_study_is_404(client, db):
    assert client.get(reverse("reports:study-report", args=["icsr-2016"])).status_code == 404


def test_downloads_and_print_page(client, icsr_study):
    data = client.get(reverse("reports:study-json", args=["icsr-2015"]), {"sex": "male"})
    assert json.loads(data.content)["tables"]["by_sex"] == {"male": 51, "female": 0, "unknown": 0}
    csv = client.get(reverse("reports:study-csv", args=["icsr-2015"]))
    assert csv["Content-Type"].startswith("text/csv")
    assert "icsr-2015-figures.csv" in csv["Content-Disposition"]
    assert b"figures,total_defectors,58,58" in csv.content
    assert client.get(reverse("reports:study-print", args=["icsr-2015"])).status_code == 200


def test_study_list(client, icsr_study):
    html = client.get(reverse("reports:study-list")).content.decode()
    assert "Victims, Perpetrators, Assets" in html
    assert reverse("reports:study-report", args=["icsr-2015"]) in html


def test_report_page_takes_a_constant_number_of_queries(client, icsr_study, django_assert_num_queries):
    url = reverse("reports:study-report", args=["icsr-2015"])
    # The study, the report's 9 (as published), the side panel's 3 facet counts (sex, provenance
    # and country in one) and the codebook its narrative facet lists, and the notice of the tags
    # counted: the scope's case list, the study's tag rule, the codebook versions; and the data
    # generation the facet counts are kept under (testimony/generation.py). Each view is
    # counted as the first after a write (cache.clear()).
    # On PostgreSQL the narrative and outlet facets are counted in that one scan (GROUPING SETS
    # over the arrays kept on the row, testimony/summary_columns.py).
    kept = 2 if connection.vendor == "postgresql" else 0
    # The report and its notice each ask whether any quote was coded in the queue (counted_tags).
    with django_assert_num_queries(20 - kept):
        client.get(url)
    # One to validate the narrative filter, and each facet query but the narrative's validates it
    # again; one for the access log's row (a subset, anonymously).
    cache.clear()
    with django_assert_num_queries(26 - kept):
        client.get(url, {"narrative": "brutality", "sex": "male"})
    cache.clear()
    with django_assert_num_queries(23 - kept):  # today: and 3 for the differences from as published
        client.get(url, {"scope": "today"})
