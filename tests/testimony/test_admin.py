"""The researcher admin: every page renders and saves, identity fields are gated."""

import pytest
from django.urls import reverse

from narratives.models import Narrative
from testimony.models import Defector, Outlet, Quote
from tests.factories import DefectorFactory, OutletFactory, QuoteFactory, SourceFactory, TagFactory

pytestmark = pytest.mark.django_db

MARKER = "IDENTITY-MARKER-7f3a"


@pytest.fixture
def quoted_defector():
    """A defector with one tagged quote and identity fields holding a marker string."""
    defector = DefectorFactory(
        case_id="ADM-1", legal_name=f"{MARKER} name", current_location=f"{MARKER} town", contact_notes=MARKER
    )
    TagFactory(quote=QuoteFactory(defector=defector))
    return defector


@pytest.mark.parametrize(
    "model",
    [
        "testimony.outlet",
        "testimony.source",
        "testimony.defector",
        "testimony.quote",
        "narratives.narrative",
        "narratives.tag",
    ],
)
def test_add_and_changelist_pages_render(client, researcher, quoted_defector, model):
    client.force_login(researcher)
    app, name = model.split(".")
    assert client.get(reverse(f"admin:{app}_{name}_add")).status_code == 200
    assert client.get(reverse(f"admin:{app}_{name}_changelist"), {"q": "a"}).status_code == 200


@pytest.mark.parametrize(
    "model, getter",
    [
        ("testimony.defector", lambda d: d),
        ("testimony.quote", lambda d: d.quotes.get()),
        ("testimony.source", lambda d: d.quotes.get().source),
        ("narratives.tag", lambda d: d.quotes.get().tags.get()),
    ],
)
def test_change_and_history_pages_render(client, researcher, quoted_defector, model, getter):
    client.force_login(researcher)
    app, name = model.split(".")
    obj = getter(quoted_defector)
    assert client.get(reverse(f"admin:{app}_{name}_change", args=[obj.pk])).status_code == 200
    assert client.get(reverse(f"admin:{app}_{name}_history", args=[obj.pk])).status_code == 200


def test_outlet_add_saves(client, researcher):
    client.force_login(researcher)
    response = client.post(
        reverse("admin:testimony_outlet_add"), {"name": "BBC News", "kind": "broadcaster", "country": "GB"}
    )
    assert response.status_code == 302
    assert Outlet.objects.get(name="BBC News").kind == "broadcaster"


def defector_form(source, **overrides):
    data = {
        "case_id": "NEW-1",
        "name": "anonymous defector",
        "sex": "female",
        "country": "GB",
        "role": "unknown",
        "status": "unknown",
        "reported_on": "2015-08-20",
        "reported_precision": "month",
        "defected_on": "",
        "defected_precision": "",
        "notes": "",
        "provenance": "published",
        "visibility": "public",
        "quotes-TOTAL_FORMS": "1",
        "quotes-INITIAL_FORMS": "0",
        "quotes-0-source": str(source.pk),
        "quotes-0-text": "The restrictions on leaving made it feel a bit like a prison.",
        "quotes-0-language": "en",
        "quotes-0-translation": "",
        "quotes-0-locator": "para 4",
        "quotes-0-narratives": [str(Narrative.objects.get(code="quality-of-life").pk)],
    }
    data.update(overrides)
    return data


def test_defector_with_inline_tagged_quote_saves_through_the_services(client, researcher):
    client.force_login(researcher)
    source = SourceFactory()
    response = client.post(reverse("admin:testimony_defector_add"), defector_form(source))
    assert response.status_code == 302, response.context["adminform"].form.errors
    defector = Defector.objects.get(case_id="NEW-1")
    assert defector.reported_on.isoformat() == "2015-08-01"  # month precision stored on the 1st
    quote = defector.quotes.get()
    assert list(defector.sources.all()) == [source]  # attached automatically
    tag = quote.tags.get()
    assert (tag.narrative.code, tag.coder) == ("quality-of-life", researcher)


def test_defector_form_errors_say_what_to_fix(client, researcher):
    client.force_login(researcher)
    response = client.post(
        reverse("admin:testimony_defector_add"), defector_form(SourceFactory(), reported_on="2999-01-01")
    )
    assert response.status_code == 200
    assert "in the future" in response.content.decode()
    assert not Defector.objects.exists()


def test_the_case_id_is_read_only_once_saved(client, researcher, quoted_defector):
    client.force_login(researcher)
    url = reverse("admin:testimony_defector_change", args=[quoted_defector.pk])
    body = client.get(url).content.decode()
    assert 'name="case_id"' not in body and "ADM-1" in body  # shown, not editable
    data = defector_form(SourceFactory(), case_id="ADM-2", name="renamed", **{"quotes-TOTAL_FORMS": "0"})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(Defector.objects.values_list("case_id", "name")) == [("ADM-1", "renamed")]
    assert 'name="case_id"' in client.get(reverse("admin:testimony_defector_add")).content.decode()


def test_quote_admin_edits_narratives(client, researcher, quoted_defector):
    client.force_login(researcher)
    quote = quoted_defector.quotes.get()
    narratives = Narrative.objects.filter(code__in=["brutality", "corruption"])
    response = client.post(
        reverse("admin:testimony_quote_change", args=[quote.pk]),
        {
            "defector": quote.defector_id,
            "source": quote.source_id,
            "text": quote.text,
            "language": "en",
            "translation": "",
            "locator": "",
            "narratives": [n.pk for n in narratives],
        },
    )
    assert response.status_code == 302
    assert set(Quote.objects.get(pk=quote.pk).narratives.values_list("code", flat=True)) == {"brutality", "corruption"}


def test_identity_fields_are_hidden_from_researchers_without_the_permission(client, researcher, quoted_defector):
    client.force_login(researcher)
    quoted_defector.legal_name = f"{MARKER} changed"
    quoted_defector.save()
    for url in [
        reverse("admin:testimony_defector_change", args=[quoted_defector.pk]),
        reverse("admin:testimony_defector_history", args=[quoted_defector.pk]),
    ]:
        body = client.get(url).content.decode()
        assert MARKER not in body, url
        assert 'name="legal_name"' not in body
    # Searching for an identity value must not reveal that a record matches.
    search = client.get(reverse("admin:testimony_defector_changelist"), {"q": MARKER})
    assert search.context["cl"].result_count == 0


def test_researcher_without_permission_cannot_overwrite_identity_fields(client, researcher, quoted_defector):
    client.force_login(researcher)
    data = defector_form(SourceFactory(), case_id="ADM-1", legal_name="overwritten")
    data.update({"quotes-TOTAL_FORMS": "0"})
    client.post(reverse("admin:testimony_defector_change", args=[quoted_defector.pk]), data)
    quoted_defector.refresh_from_db()
    assert quoted_defector.legal_name == f"{MARKER} name"


def test_identity_custodian_sees_and_edits_identity_fields(client, custodian, quoted_defector):
    client.force_login(custodian)
    body = client.get(reverse("admin:testimony_defector_change", args=[quoted_defector.pk])).content.decode()
    assert f"{MARKER} town" in body


def test_restricted_defectors_are_missing_from_admin_without_the_permission(client, researcher, custodian):
    hidden = DefectorFactory(case_id="HIDDEN-1", visibility="restricted")
    client.force_login(researcher)
    assert "HIDDEN-1" not in client.get(reverse("admin:testimony_defector_changelist")).content.decode()
    assert client.get(reverse("admin:testimony_defector_change", args=[hidden.pk])).status_code == 302
    client.force_login(custodian)
    assert "HIDDEN-1" in client.get(reverse("admin:testimony_defector_changelist")).content.decode()


def test_history_view_shows_a_recorded_change(client, researcher):
    client.force_login(researcher)
    outlet = OutletFactory(name="Old name")
    client.post(
        reverse("admin:testimony_outlet_change", args=[outlet.pk]),
        {"name": "BBC News", "kind": "broadcaster", "country": ""},
    )
    body = client.get(reverse("admin:testimony_outlet_history", args=[outlet.pk])).content.decode()
    assert "Old name" in body and "BBC News" in body and "researcher" in body


def test_history_of_a_deleted_restricted_defector_stays_hidden(client, researcher, custodian):
    defector = DefectorFactory(case_id="GONE-1", visibility="restricted")
    pk = defector.pk
    defector.delete()
    url = reverse("admin:testimony_defector_history", args=[pk])

    client.force_login(researcher)
    assert client.get(url).status_code == 404
    client.force_login(custodian)
    assert "GONE-1" in client.get(url).content.decode()


def test_one_admin_save_writes_one_history_row(client, researcher):
    client.force_login(researcher)
    source = SourceFactory()
    response = client.post(reverse("admin:testimony_defector_add"), defector_form(source))
    assert response.status_code == 302, response.context["adminform"].form.errors
    defector = Defector.objects.get(case_id="NEW-1")
    rows = list(defector.history.all())
    assert [row.history_type for row in rows] == ["+"]
    assert [s.source_id for s in rows[0].sources.all()] == [source.pk]  # the row holds the final sources
    assert rows[0].history_user == researcher

    quote = defector.quotes.get()
    other = SourceFactory()
    change = defector_form(
        source,
        name="renamed",
        sources=[str(source.pk), str(other.pk)],
        **{"quotes-INITIAL_FORMS": "1", "quotes-0-id": str(quote.pk), "quotes-0-defector": str(defector.pk)},
    )
    response = client.post(reverse("admin:testimony_defector_change", args=[defector.pk]), change)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert [row.history_type for row in defector.history.all()] == ["~", "+"]
    assert defector.history.first().name == "renamed"


def test_country_and_language_filters_list_only_values_present(client, researcher):
    client.force_login(researcher)
    DefectorFactory(country="SY")
    DefectorFactory(country="GB")
    body = client.get(reverse("admin:testimony_defector_changelist")).content.decode()
    country_filter = body[body.index("By country") :]
    country_filter = country_filter[: country_filter.index("</details>")]
    assert "Syria" in country_filter and "United Kingdom" in country_filter
    assert "France" not in country_filter and "Afghanistan" not in country_filter
    filtered = client.get(reverse("admin:testimony_defector_changelist"), {"country": "SY"})
    assert filtered.status_code == 200
    assert [d.country.code for d in filtered.context["cl"].result_list] == ["SY"]

    QuoteFactory(language="ar")
    body = client.get(reverse("admin:testimony_quote_changelist")).content.decode()
    language_filter = body[body.index("By language") :]
    language_filter = language_filter[: language_filter.index("</details>")]
    assert "Arabic" in language_filter and "Welsh" not in language_filter
    assert client.get(reverse("admin:testimony_quote_changelist"), {"language": "ar"}).status_code == 200


def test_admin_list_shows_dates_at_their_precision(client, researcher):
    import datetime

    client.force_login(researcher)
    DefectorFactory(case_id="P-1", reported_on=datetime.date(2014, 1, 1), reported_precision="month")
    DefectorFactory(case_id="P-2", reported_on=datetime.date(2014, 3, 9), reported_precision="day")
    body = client.get(reverse("admin:testimony_defector_changelist")).content.decode()
    assert "Jan 2014" in body and "1 Jan 2014" not in body and "9 Mar 2014" in body


def test_admin_rejects_a_defection_dated_after_the_report(client, researcher):
    client.force_login(researcher)
    data = defector_form(SourceFactory(), defected_on="2015-09-01", defected_precision="month")  # reported Aug 2015
    response = client.post(reverse("admin:testimony_defector_add"), data)
    assert response.status_code == 200
    assert "is dated after the first report of it (Aug 2015)" in response.content.decode()
    assert not Defector.objects.exists()


def test_delete_confirmation_names_the_defector_source_links(client, researcher, quoted_defector):
    client.force_login(researcher)
    source = SourceFactory(title="Interview in Gaziantep")
    quoted_defector.sources.add(source)
    body = client.get(reverse("admin:testimony_source_delete", args=[source.pk])).content.decode()
    assert "object (" not in body
    assert f"{quoted_defector} cited in {source}" in body
