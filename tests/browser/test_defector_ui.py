"""The analyst's main paths through the web UI, in a real browser."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command

from narratives.models import Narrative
from tests.factories import DefectorFactory, OutletFactory, QuoteFactory, SourceFactory, TagFactory

# serialized_rollback restores the codebook and roles (data migrations) that the
# live server's transactional flush would otherwise remove.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WOMEN = [f"W-{n:02d}" for n in range(1, 8)]
MEN = [f"M-{n:02d}" for n in range(1, 6)]


@pytest.fixture
def defectors(db):
    """Seven women and five men, reported in 2014-2015, the women quoted and tagged."""
    outlet = OutletFactory(name="BBC News")
    brutality = Narrative.objects.get(code="brutality")
    for n, case_id in enumerate(WOMEN, start=1):
        woman = DefectorFactory(
            case_id=case_id,
            name=f"Umm Test {n}",
            sex="female",
            country="GB",
            reported_on=datetime.date(2015, n, 1),
            reported_precision="month",
        )
        source = SourceFactory(outlet=outlet, title=f"Woman {n} speaks")
        woman.sources.add(source)
        TagFactory(
            quote=QuoteFactory(defector=woman, source=source, text=f"Testimony of woman {n}."), narrative=brutality
        )
    for n, case_id in enumerate(MEN, start=1):
        DefectorFactory(case_id=case_id, name=f"Abu Test {n}", sex="male", country="SY")


def rows(page):
    return page.locator("#defectors tbody tr").all_inner_texts()


def test_filter_to_women_shows_seven_rows(page, live_server, defectors):
    page.goto(f"{live_server.url}/defectors/")
    assert len(rows(page)) == 12
    page.get_by_label("Female (7)").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/defectors/?*sex=female*")
    assert len(rows(page)) == 7
    assert all(text.startswith("W-") for text in rows(page))
    assert page.locator("#count-line").inner_text().startswith("7 of 12 defectors")
    page.get_by_role("link", name="Reset all filters").click()
    assert len(rows(page)) == 12


def test_open_a_detail_page_from_the_list(page, live_server, defectors):
    page.goto(f"{live_server.url}/defectors/?sex=female&ordering=-reported_on")
    page.get_by_role("link", name="W-07", exact=True).click()
    page.wait_for_url("**/defectors/W-07/")
    assert page.get_by_role("heading", level=1).inner_text() == "W-07: Umm Test 7"
    assert "Synthetic record" in page.locator("#provenance-notice").inner_text()  # factories make synthetic data
    assert page.get_by_text("Testimony of woman 7.").is_visible()
    assert page.get_by_role("link", name="Brutality against (Sunni) Muslims").is_visible()
    assert "Jul 2015" in page.locator("dl.record").inner_text()


def test_export_csv_of_the_filtered_set(page, live_server, defectors, tmp_path):
    page.goto(f"{live_server.url}/defectors/?sex=female&page_size=25")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    download = download_info.value
    assert download.suggested_filename == "defectors.csv"
    path = tmp_path / "defectors.csv"
    download.save_as(path)
    exported = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert sorted(row["case_id"] for row in exported) == WOMEN
    assert page.get_by_role("link", name="JSON (API)").get_attribute("href") == "/api/v1/defectors/?sex=female"


def test_filter_form_works_with_the_keyboard_alone(page, live_server, defectors):
    page.goto(f"{live_server.url}/defectors/")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to content"
    assert skip.evaluate("el => getComputedStyle(el).left") != "-999px"  # shown when focused

    page.locator("#id_q").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "sex-any"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # a visible focus ring
    page.keyboard.press("ArrowDown")  # Male
    page.keyboard.press("ArrowDown")  # Female
    assert page.locator("#sex-female").is_checked()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "id_q"
    page.keyboard.press("Enter")  # implicit submission from the search field
    page.wait_for_url("**/defectors/?*sex=female*")
    assert len(rows(page)) == 7


def test_bad_query_string_shows_a_message_in_the_browser(page, live_server, defectors):
    response = page.goto(f"{live_server.url}/defectors/?reported_after=2015-13-40")
    assert response.status == 200
    assert "Enter a valid date" in page.locator("#filter-errors").inner_text()
    assert page.get_by_role("alert").is_visible()


def test_list_fits_a_phone_screen(page, live_server, defectors):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/defectors/")
    # The page itself never scrolls sideways; only the table does, inside its wrapper.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.get_by_role("button", name="Apply filters").is_visible()


@pytest.fixture
def study_data(db):
    """The ICSR 2015 study's 58 defectors from fixtures/icsr_2015.json."""
    call_command("loaddata", "icsr_2015", verbosity=0)


def test_follow_a_report_figure_to_its_defectors(page, live_server, study_data):
    page.goto(f"{live_server.url}/reports/icsr-2015/")
    headline = page.locator("ul.headline")
    assert "58 defectors" in headline.inner_text()
    headline.get_by_role("link", name="7", exact=True).click()  # "7 female"
    page.wait_for_url("**/defectors/?*sex=female*")
    assert page.locator("#count-line").inner_text().startswith("7 of 58 defectors")
    assert len(rows(page)) == 7
    assert all("Female" in text for text in rows(page))
