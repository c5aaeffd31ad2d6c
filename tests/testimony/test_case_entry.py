"""The case entry page (/entry/): one article's source, defector and quotes in one save."""

import datetime

import pytest
from django.urls import reverse

from narratives.models import Narrative
from testimony.models import Defector, Outlet, Quote, Source
from testimony.selectors import case_id_suggestion
from tests.factories import DefectorFactory, OutletFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/entry/"


def entry_data(**overrides):
    """A complete entry: a new source of a new outlet, a new defector, two quotes."""
    data = {
        "source-source": "",
        "new_source-outlet_name": "Asharq Al-Awsat",
        "new_source-title": "Two defectors speak",
        "new_source-url": "https://aawsat.example/defectors",
        "new_source-published_on": "2015-06-02",
        "new_source-language": "ar",
        "new_source-archived_url": "",
        "existing-existing_case_id": "",
        "defector-case_id": "ENTRY-001",
        "defector-name": "Abu Test",
        "defector-sex": "male",
        "defector-country": "SY",
        "defector-reported": "2015-06",
        "defector-role": "fighter",
        "defector-status": "unknown",
        "defector-notes": "",
        "defector-visibility": "public",
        "defector-provenance": "published",
        "quotes-TOTAL_FORMS": "2",
        "quotes-INITIAL_FORMS": "0",
        "quotes-MIN_NUM_FORMS": "0",
        "quotes-MAX_NUM_FORMS": "50",
        "quotes-0-text": "قاتلنا بعضنا بعضا",
        "quotes-0-language": "ar",
        "quotes-0-translation": "We fought each other.",
        "quotes-0-locator": "para 3",
        "quotes-0-narratives": [str(Narrative.objects.get(code="infighting").pk)],
        "quotes-1-text": "The emirs lived in villas.",
        "quotes-1-language": "en",
        "quotes-1-translation": "",
        "quotes-1-locator": "para 7",
        "quotes-1-narratives": [
            str(Narrative.objects.get(code="corruption").pk),
            str(Narrative.objects.get(code="quality-of-life").pk),
        ],
    }
    data.update(overrides)
    return data


# The new-case fields as the page submits them when left alone.
UNTOUCHED_NEW_CASE = {
    "defector-case_id": "",
    "defector-name": "",
    "defector-sex": "unknown",
    "defector-country": "",
    "defector-reported": "",
    "defector-role": "unknown",
    "defector-status": "unknown",
    "defector-visibility": "public",
    "defector-provenance": "published",
}


def counts():
    return Outlet.objects.count(), Source.objects.count(), Defector.objects.count(), Quote.objects.count()


def test_one_post_saves_outlet_source_defector_and_tagged_quotes(client, researcher):
    client.force_login(researcher)
    response = client.post(URL, entry_data())
    source = Source.objects.get(url="https://aawsat.example/defectors")
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?source={source.pk}&saved=ENTRY-001"
    defector = Defector.objects.get(case_id="ENTRY-001")
    assert (defector.reported_on.isoformat(), defector.reported_precision) == ("2015-06-01", "month")
    assert source.outlet.name == "Asharq Al-Awsat"
    assert list(defector.sources.all()) == [source]
    quotes = list(defector.quotes.order_by("locator"))
    assert [q.source for q in quotes] == [source, source]
    assert [sorted(q.narratives.values_list("code", flat=True)) for q in quotes] == [
        ["infighting"],
        ["corruption", "quality-of-life"],
    ]
    assert {t.coder for q in quotes for t in q.tags.all()} == {researcher}


def test_the_page_after_saving_keeps_the_source_and_suggests_the_next_case_id(client, researcher):
    client.force_login(researcher)
    response = client.post(URL, entry_data(), follow=True)
    body = response.content.decode()
    assert "Saved case ENTRY-001 with 2 quotes" in body
    assert 'href="/defectors/ENTRY-001/"' in body
    assert 'name="source-source" value="' in body and "Choose another source" in body
    assert response.context["defector_form"]["case_id"].value() == "ENTRY-002"
    # The second case from the same source: only the defector and its quote are new.
    source = Source.objects.get()
    data = entry_data(
        **{"source-source": str(source.pk), "defector-case_id": "ENTRY-002", "quotes-TOTAL_FORMS": "1"},
        not_duplicate="1",  # the same name and source as ENTRY-001: the page asks first
    )
    for key in [k for k in data if k.startswith("new_source-")]:
        del data[key]  # not on the page once the source is fixed
    response = client.post(f"{URL}?source={source.pk}", data)
    assert response.status_code == 302
    assert counts() == (1, 1, 2, 3)
    assert list(Defector.objects.get(case_id="ENTRY-002").sources.all()) == [source]


def test_an_existing_outlet_is_reused_by_name(client, researcher):
    outlet = OutletFactory(name="Asharq Al-Awsat")
    client.force_login(researcher)
    client.post(URL, entry_data(**{"new_source-outlet_name": "  Asharq   Al-Awsat "}))
    assert Source.objects.get().outlet == outlet
    assert Outlet.objects.count() == 1


def test_quotes_added_to_an_existing_case_keep_its_other_sources(client, researcher):
    earlier = SourceFactory()
    defector = DefectorFactory(case_id="OLD-7")
    defector.sources.add(earlier)
    client.force_login(researcher)
    response = client.post(URL, entry_data(**{"existing-existing_case_id": "old-7", **UNTOUCHED_NEW_CASE}))
    assert response.status_code == 302
    new = Source.objects.get(url="https://aawsat.example/defectors")
    assert set(defector.sources.all()) == {earlier, new}
    assert defector.quotes.count() == 2


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("quotes-1-language", "xx", "Select a valid choice"),
        ("defector-reported", "2015-13", "is not a date"),
        ("defector-reported", "", "This field is required"),
        ("defector-case_id", "no spaces", "Use letters, digits"),
        ("new_source-url", "not a url", "Enter a valid URL"),
        ("new_source-title", "", "This field is required"),
        ("existing-existing_case_id", "NOPE-1", "No case \u201cNOPE-1\u201d"),
        ("quotes-1-narratives", ["999999"], "Select a valid choice"),
    ],
)
def test_every_bad_input_is_a_form_error_and_nothing_is_written(client, researcher, field, value, message):
    client.force_login(researcher)
    before = counts()
    response = client.post(URL, entry_data(**{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Nothing was saved" in response.content.decode()
    assert counts() == before


def test_an_invalid_second_quote_leaves_no_defector_source_or_quote_behind(client, researcher):
    """The second quote's text is empty but it carries a narrative: it is a quote without text."""
    client.force_login(researcher)
    response = client.post(URL, entry_data(**{"quotes-1-text": ""}))
    assert response.status_code == 400
    assert response.context["quote_formset"].forms[1].errors["text"] == ["This field is required."]
    assert counts() == (0, 0, 0, 0)


def test_a_case_id_taken_is_refused_without_writing_the_source(client, researcher):
    DefectorFactory(case_id="ENTRY-001")
    client.force_login(researcher)
    before = counts()
    response = client.post(URL, entry_data())
    assert response.status_code == 400
    assert "Defector with this Case ID already exists." in response.content.decode()
    assert counts() == before


def test_add_another_quote_without_javascript_shows_one_more_form_and_saves_nothing(client, researcher):
    client.force_login(researcher)
    response = client.post(URL, {**entry_data(), "add_quote": "1"})
    assert response.status_code == 200
    assert len(response.context["quote_formset"].forms) == 3
    assert response.context["quote_formset"].forms[0]["text"].value() == "قاتلنا بعضنا بعضا"
    assert counts() == (0, 0, 0, 0)


def test_text_inputs_follow_the_script_typed(client, researcher):
    client.force_login(researcher)
    body = client.get(URL).content.decode()
    assert '<textarea name="quotes-0-text" cols="40" rows="4" dir="auto"' in body
    assert 'name="quotes-0-translation"' in body and 'name="defector-name" dir="auto"' in body


def test_identity_fields_only_for_identity_custodians(client, researcher, custodian):
    client.force_login(researcher)
    assert 'name="defector-legal_name"' not in client.get(URL).content.decode()
    # Posted anyway, they are ignored.
    client.post(URL, entry_data(**{"defector-legal_name": "Real Name"}))
    assert Defector.objects.get().legal_name == ""
    client.force_login(custodian)
    assert 'name="defector-legal_name"' in client.get(URL).content.decode()
    client.post(
        URL,
        entry_data(
            **{
                "defector-case_id": "ENTRY-002",
                "defector-legal_name": "Real Name",
                "new_source-url": "https://aawsat.example/other",
                "not_duplicate": "1",  # the same name, country and month as ENTRY-001
            }
        ),
    )
    assert Defector.objects.get(case_id="ENTRY-002").legal_name == "Real Name"


def test_restricted_cases_are_neither_offered_nor_accepted_without_view_restricted(client, researcher, custodian):
    DefectorFactory(case_id="HIDDEN-1", name="Hidden person", visibility="restricted")
    DefectorFactory(case_id="OPEN-1", name="Open person")
    client.force_login(researcher)
    body = client.get(URL).content.decode()
    assert "OPEN-1" in body and "HIDDEN-1" not in body and "Hidden person" not in body
    response = client.post(URL, entry_data(**{"existing-existing_case_id": "HIDDEN-1"}))
    assert response.status_code == 400 and "No case \u201cHIDDEN-1\u201d" in response.content.decode()
    client.force_login(custodian)
    assert "HIDDEN-1" in client.get(URL).content.decode()


def test_only_researchers_may_enter_cases(client, analyst):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/entry/"
    client.force_login(analyst)
    assert client.get(URL).status_code == 403
    assert client.post(URL, entry_data()).status_code == 403
    assert counts() == (0, 0, 0, 0)
    staff_without_rights = UserFactory(username="staff", is_staff=True)
    client.force_login(staff_without_rights)
    assert client.get(URL).status_code == 403


def test_a_possible_duplicate_is_shown_before_saving_and_saved_only_when_confirmed(client, researcher):
    DefectorFactory(case_id="DUP-1", name="Abu Test", country="SY", reported_on=datetime.date(2015, 6, 20))
    client.force_login(researcher)

    warned = client.post(URL, entry_data())

    body = warned.content.decode()
    assert warned.status_code == 200 and 'id="possible-duplicates"' in body and 'href="/defectors/DUP-1/"' in body
    assert not Defector.objects.filter(case_id="ENTRY-001").exists()  # nothing saved yet

    saved = client.post(URL, entry_data(not_duplicate="1"))

    assert saved.status_code == 302 and Defector.objects.filter(case_id="ENTRY-001").exists()


@pytest.mark.parametrize(
    "existing, suggestion",
    [
        ([], ""),
        (["ICSR15-001", "ICSR15-058"], "ICSR15-059"),
        (["ICSR15-058", "ICSR15-009"], "ICSR15-059"),  # the largest of the series, not the latest
        (["UX-2015-9"], "UX-2015-10"),
        (["A-099", "B-1"], "B-2"),  # the series of the latest entered case
        (["B-1", "no-number"], "B-2"),
    ],
)
def test_the_suggested_case_id_is_the_next_of_its_series(db, existing, suggestion):
    for case_id in existing:
        DefectorFactory(case_id=case_id)
    assert case_id_suggestion() == suggestion


def test_the_page_reads_in_a_fixed_number_of_queries(client, researcher, django_assert_num_queries):
    for n in range(5):
        DefectorFactory(case_id=f"Q-{n}").sources.add(SourceFactory())
    client.force_login(researcher)
    source = Source.objects.first()
    with django_assert_num_queries(10):
        response = client.get(f"{URL}?source={source.pk}")
    assert response.status_code == 200
    assert reverse("testimony:case-entry") == URL


def test_an_existing_source_and_a_new_one_together_is_an_error(client, researcher):
    source = SourceFactory()
    client.force_login(researcher)
    response = client.post(URL, entry_data(**{"source-source": str(source.pk)}))
    assert response.status_code == 400
    assert "Choose an existing source or fill in a new one, not both." in response.content.decode()
    assert counts() == (1, 1, 0, 0)


def test_an_existing_case_and_a_new_one_together_is_an_error(client, researcher):
    DefectorFactory(case_id="OLD-7")
    client.force_login(researcher)
    response = client.post(URL, entry_data(**{"existing-existing_case_id": "OLD-7"}))
    assert response.status_code == 400
    assert "Give an existing case ID or fill in a new case, not both." in response.content.decode()
    assert counts() == (0, 0, 1, 0)


def test_quotes_default_to_the_fixed_sources_language(client, researcher):
    source = SourceFactory(language="ar")
    client.force_login(researcher)
    response = client.get(f"{URL}?source={source.pk}")
    assert response.context["quote_formset"].forms[0]["language"].value() == "ar"


def test_the_entry_page_is_in_the_navigation_of_researchers_only(client, researcher, analyst):
    client.force_login(analyst)
    assert 'href="/entry/"' not in client.get("/").content.decode()
    client.force_login(researcher)
    assert 'href="/entry/">Enter a case</a>' in client.get("/").content.decode()


@pytest.mark.parametrize("total, shown", [("999999", 50), ("x", 1), ("49", 50)])
def test_add_another_quote_stops_at_fifty_quotes(client, researcher, total, shown):
    client.force_login(researcher)
    response = client.post(URL, {**entry_data(**{"quotes-TOTAL_FORMS": total}), "add_quote": "1"})
    assert response.status_code == 200
    assert len(response.context["quote_formset"].forms) == shown


def test_a_tampered_quote_count_is_an_error_not_a_save(client, researcher):
    client.force_login(researcher)
    response = client.post(URL, entry_data(**{"quotes-TOTAL_FORMS": "many"}))
    assert response.status_code == 400
    assert "ManagementForm data is missing or has been tampered with" in response.content.decode()
    assert counts() == (0, 0, 0, 0)
