"""Filters that stay and the report as a document, in a real browser: a report
figure followed and refined keeps its study; the report reads on a phone and on
paper; axe-core finds no accessibility violation on the list and the report."""

import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.http import QueryDict
from pypdf import PdfReader

from reports.models import Study
from testimony.filters import DefectorFilterSet
from testimony.models import Defector
from tests.browser.axe import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def study_data(db):
    """The ICSR 2015 study's 58 defectors from fixtures/icsr_2015.json."""
    call_command("loaddata", "icsr_2015", verbosity=0)


def expected_count(url: str) -> int:
    """What the list should count for a URL's filters, computed without the page."""
    query = QueryDict(urlsplit(url).query)
    return DefectorFilterSet(query, queryset=Defector.objects.filter(visibility="public")).qs.count()


def test_a_refined_report_figure_keeps_its_study_as_a_chip(page, live_server, study_data):
    # Today's scope: its counts link to the study's criteria (?study=); as published they link to its case list.
    page.goto(f"{live_server.url}/reports/icsr-2015/?scope=today")
    row = page.locator("table.figures tr", has_text="Defectors from countries named without counts")
    row.locator("a[data-count]").first.click()
    page.wait_for_url("**/defectors/?*study=icsr-2015*")
    chips = page.locator("#active-filters")
    assert "Study: " in chips.inner_text() and "Country not: " in chips.inner_text()
    before = int(page.locator("#match-count").inner_text())
    assert before == expected_count(page.url)

    page.get_by_label(re.compile(r"^Male \(")).check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/defectors/?*sex=male*")
    params = parse_qs(urlsplit(page.url).query)
    assert params["study"] == ["icsr-2015"] and params["country_not"]
    assert "Study: " in chips.inner_text() and "Sex: Male" in chips.inner_text()
    after = int(page.locator("#match-count").inner_text())
    assert after == expected_count(page.url) < before

    # Removing the study chip drops only the study.
    chips.get_by_role("link", name=re.compile("Remove filter Study")).click()
    page.wait_for_load_state()
    params = parse_qs(urlsplit(page.url).query)
    assert "study" not in params and params["sex"] == ["male"] and params["country_not"]


def test_report_fits_a_phone_without_sideways_page_scroll(page, live_server, study_data):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/reports/icsr-2015/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The verdict column is reachable by scrolling its table's box, not the page.
    verdicts = page.locator("table.figures").locator("xpath=..")
    assert verdicts.evaluate("box => box.scrollWidth > box.clientWidth")


def test_print_first_page_holds_title_and_headline(page, live_server, study_data):
    study = Study.objects.get(code="icsr-2015")
    page.goto(f"{live_server.url}/reports/icsr-2015/print/")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".site-footer").is_visible()
    first = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True))).pages[0].extract_text()
    first = " ".join(first.split())
    assert first.startswith(" ".join(study.title.split()[:3]))  # no blank or navigation-only first page
    assert "Generated" in first and "Scope: the whole study" in first
    assert "Headline" in first and "58 defectors" in first


@pytest.mark.parametrize("path", ["/defectors/?study=icsr-2015&country_not=GB", "/reports/icsr-2015/"])
def test_no_accessibility_violations(page, live_server, study_data, path):
    page.goto(f"{live_server.url}{path}")
    assert axe_violations(page, tags=None) == []  # every rule, not only WCAG A/AA
