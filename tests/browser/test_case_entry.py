"""Entering one article's case in one page, from the keyboard, in a real browser."""

import pytest

from narratives.models import Narrative
from testimony.models import Defector, Quote, Source
from tests.browser.axe import axe_violations
from tests.factories import DefectorFactory, OutletFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def researcher_account(db):
    OutletFactory(name="BBC News")
    # Another person (name, country), so that the entry below has no possible duplicate to confirm.
    DefectorFactory(case_id="ENTRY-041", name="Omar Earlier", country="IQ", provenance="published")
    return UserFactory(username="researcher", is_staff=True, roles=["Researcher"])


def focused(page) -> str:
    return page.evaluate("document.activeElement.id")


def type_at(page, label, text):
    """Focus the field named by its label (as a screen reader user would find it) and type."""
    page.get_by_label(label).focus()
    page.keyboard.type(text)


def test_a_case_with_two_quotes_from_one_article(page, live_server, researcher_account):
    # Logging in from the entry page comes back to it.
    page.goto(f"{live_server.url}/entry/")
    page.wait_for_url("**/accounts/login/?next=/entry/")
    type_at(page, "Username", "researcher")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/entry/")
    assert axe_violations(page) == []

    # 1. The source: a new article, its outlet typed (existing outlets are suggested).
    page.get_by_label("Existing source").focus()
    page.keyboard.press("Tab")
    assert focused(page) == "id_new_source-outlet_name"
    page.keyboard.type("Asharq Al-Awsat")
    page.keyboard.press("Tab")
    assert focused(page) == "id_new_source-title"
    page.keyboard.type("Two defectors speak")
    page.keyboard.press("Tab")
    page.keyboard.type("https://aawsat.example/defectors")
    page.get_by_label("Published on").fill("2015-06-02")
    page.locator("#id_new_source-language").select_option("ar")

    # 2. The defector: the suggested case ID follows the latest case.
    assert page.locator("#id_defector-case_id").input_value() == "ENTRY-042"
    type_at(page, "Name as published", "Abu Test")
    page.locator("#id_defector-sex").select_option("male")
    page.locator("#id_defector-country").select_option("SY")
    type_at(page, "Reported on", "2015-06")

    # 3. Two quotes: the second added with "Add another quote" from the keyboard.
    type_at(page, "Verbatim text", "قاتلنا بعضنا بعضا")
    assert page.locator("#id_quotes-0-text").get_attribute("dir") == "auto"
    page.locator("#id_quotes-0-language").select_option("ar")
    page.locator("#id_quotes-0-translation").focus()
    page.keyboard.type("We fought each other.")
    page.get_by_role("group", name="Quote 1").get_by_label("In-fighting").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Add another quote").focus()
    page.keyboard.press("Enter")
    assert focused(page) == "id_quotes-1-text"  # the new quote's text, ready to type
    page.keyboard.type("The emirs lived in villas.")
    quote_2 = page.get_by_role("group", name="Quote 2")
    quote_2.get_by_label("Corruption and un-Islamic conduct").focus()
    page.keyboard.press("Space")
    quote_2.get_by_label("Quality of life").check()
    page.get_by_role("button", name="Save the case").focus()
    page.keyboard.press("Enter")

    # Saved: the page comes back with the source fixed for the next case.
    page.wait_for_url("**/entry/?source=*")
    assert "Saved case ENTRY-042 with 2 quotes" in page.locator(".messages").inner_text()
    assert page.locator("#id_defector-case_id").input_value() == "ENTRY-043"
    assert "Two defectors speak" in page.get_by_role("group", name="1. Source").inner_text()
    assert axe_violations(page) == []

    source = Source.objects.get(url="https://aawsat.example/defectors")
    assert (source.outlet.name, source.title, source.language) == ("Asharq Al-Awsat", "Two defectors speak", "ar")
    defector = Defector.objects.get(case_id="ENTRY-042")
    assert (defector.name, defector.reported_precision) == ("Abu Test", "month")
    assert list(defector.sources.all()) == [source]
    quotes = Quote.objects.filter(defector=defector).order_by("id")
    assert [(q.text, q.language, q.source) for q in quotes] == [
        ("قاتلنا بعضنا بعضا", "ar", source),
        ("The emirs lived in villas.", "en", source),
    ]
    assert [sorted(q.narratives.values_list("code", flat=True)) for q in quotes] == [
        ["infighting"],
        ["corruption", "quality-of-life"],
    ]
    assert Narrative.objects.count() >= 4


def test_a_bad_entry_shows_its_errors_and_passes_axe(page, live_server, researcher_account):
    page.goto(f"{live_server.url}/accounts/login/?next=/entry/")
    page.get_by_label("Username").fill("researcher")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/entry/")
    page.get_by_label("Reported on").fill("2015-13")
    page.get_by_role("button", name="Save the case").click()
    page.wait_for_load_state()
    assert "Nothing was saved" in page.get_by_role("alert").inner_text()
    assert focused(page) == "entry-errors"
    errors = page.locator(".has-error .errorlist").all_inner_texts()
    assert page.locator("#id_defector-reported_error1").inner_text() == (
        "'2015-13' is not a date (month must be in 1..12): use YYYY, YYYY-MM or YYYY-MM-DD (not in the future)."
    )
    assert "This field is required." in errors  # the outlet, title, case ID and name left empty
    assert page.locator("#id_defector-reported").get_attribute("aria-invalid") == "true"
    assert axe_violations(page) == []
    assert not Source.objects.exists() and Defector.objects.count() == 1
