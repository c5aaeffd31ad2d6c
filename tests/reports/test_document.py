"""The report as a document: readable figure names, charts whose labels fit,
the first page saying when and under which filters, and the server-made PDF."""

import io
import re

import pytest
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader

from audit.models import AccessEvent
from reports.charts import horizontal_bars, month_bars, wrap_label
from reports.labels import figure_label

pytestmark = pytest.mark.django_db

REPORT = reverse("reports:study-report", args=["icsr-2015"])
PDF = reverse("reports:study-pdf", args=["icsr-2015"])


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("defectors_from_SA", "Defectors from Saudi Arabia"),
        ("total_defectors", "Defectors in total"),
        ("defectors_sep_2014_aug_2015", "Defectors in September 2014 to August 2015"),
        ("defectors_2015_07", "Defectors in July 2015"),
        ("share_2015_jan_aug_almost_60", "Share of defectors, January to August 2015 (“almost 60%”)"),
        ("some_new_key", "Some new key"),
    ],
)
def test_figure_keys_read_as_names(key, label):
    assert figure_label(key) == label


def test_figures_table_names_each_figure_keeps_its_key_and_explains_inferred(client, icsr_study):
    html = client.get(REPORT).content.decode()
    assert re.search(r"Defectors from Saudi Arabia.{0,200}<code>defectors_from_SA</code>", html, re.S)
    assert 'id="inferred-legend"' in html and "inferred from stated figures" in html


def test_first_lines_say_when_and_under_which_filters(client, icsr_study):
    html = client.get(REPORT, {"sex": "female", "country_not": "gb"}).content.decode()
    meta = re.search(r'<p class="report-meta" id="report-meta">(.*?)</p>', html, re.S).group(1)
    assert "Generated" in meta and "<time datetime=" in meta
    assert "Scope: a subset of the study" in meta
    assert "Sex: Female" in meta and "Country not: GB" in meta
    whole = client.get(REPORT).content.decode()
    assert "Scope: the whole study; filters: none." in whole


def test_long_chart_labels_wrap_and_keep_the_full_label():
    label = "Brutality against (Sunni) Muslims and other groups of people"
    lines = wrap_label(label, chars=34)
    assert len(lines) == 2 and all(len(line) <= 34 for line in lines)
    assert lines[0].startswith("Brutality")  # the start of the name is never cut off
    svg = horizontal_bars("t", [(label, 3)])
    assert f"<title>{label}</title>" in svg
    assert "<tspan" in svg


def test_month_chart_shades_only_the_summer_of_the_studys_year():
    months = [(f"{year}-{month:02d}", 1) for year in (2014, 2015) for month in range(1, 13)]
    svg = month_bars("t", months, summer_year="2015")
    assert svg.count('fill="#f3e3d3"') == 3
    assert "June to August 2015" in svg


def pdf_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_pdf_is_the_report_with_the_same_filters(client, icsr_study):
    response = client.get(PDF, {"sex": "female"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="icsr-2015-report.pdf"' in response["Content-Disposition"]
    pages = pdf_text(response.content)
    first = " ".join(pages[0].split())
    assert icsr_study.title.split()[0] in first
    assert "Headline" in first and "Generated" in first and "Sex: Female" in first
    assert not any("Log in" in page or "Skip to content" in page for page in pages)  # no site navigation
    assert pages[0].startswith(icsr_study.title.split(":")[0])  # no blank first page
    assert AccessEvent.objects.filter(parameters__format=["pdf"]).exists()


def test_pdf_with_an_invalid_filter_is_a_400(client, icsr_study):
    response = client.get(PDF, {"country": "ZZ"})
    assert response.status_code == 400
    assert b"country" in response.content


def test_pdf_takes_the_report_s_queries_plus_its_access_log_row(client, icsr_study, django_assert_num_queries):
    # The report page's 20 (18 on PostgreSQL, tests/reports/test_views.py), the log row.
    with django_assert_num_queries(20 - 2 * (connection.vendor == "postgresql") + 1):
        client.get(PDF)
