"""The defector admin lists possible duplicates before saving and merges two records."""

import pytest
from django.urls import reverse

from testimony.models import Defector, DefectorAlias
from tests.factories import DefectorFactory, QuoteFactory, SourceFactory
from tests.testimony.test_admin import defector_form

pytestmark = pytest.mark.django_db

# Measured; the records' quote counts come from one annotated query, so it does not grow with quotes.
# The changelist the action runs from reads its country filter's present values (twice) as well.
QUERIES_MERGE_PAGE = 10


@pytest.fixture
def stored():
    return DefectorFactory(case_id="ICSR15-001", name="Abu Omar al-Shami", country="GB", reported_on="2015-08-03")


def test_a_possible_duplicate_is_listed_and_linked_and_nothing_is_saved(client, researcher, stored):
    client.force_login(researcher)
    data = defector_form(SourceFactory(), name="abu omar al shami", reported_on="2015-08-20")
    response = client.post(reverse("admin:testimony_defector_add"), data)
    assert response.status_code == 200
    body = response.content.decode()
    link = reverse("admin:testimony_defector_change", args=[stored.pk])
    assert f'<a href="{link}">ICSR15-001 Abu Omar al-Shami</a> (similar name, reported 17 days apart)' in body
    assert "This is not a duplicate" in body
    assert not Defector.objects.filter(case_id="NEW-1").exists()


def test_ticking_not_a_duplicate_saves(client, researcher, stored):
    client.force_login(researcher)
    data = defector_form(SourceFactory(), name="abu omar al shami", not_a_duplicate="on")
    response = client.post(reverse("admin:testimony_defector_add"), data)
    assert response.status_code == 302
    assert Defector.objects.filter(case_id="NEW-1").exists()


def test_a_quote_from_a_source_of_another_defector_warns(client, researcher, stored):
    client.force_login(researcher)
    article = SourceFactory()
    stored.sources.add(article)
    data = defector_form(article, name="a woman from Leeds", country="", reported_on="2014-01-05")
    body = client.post(reverse("admin:testimony_defector_add"), data).content.decode()
    assert "ICSR15-001 Abu Omar al-Shami</a> (shares a source)" in body


def test_editing_notes_of_a_record_with_a_look_alike_does_not_warn_again(client, researcher, stored):
    twin = DefectorFactory(case_id="ICSR15-002", name="Abu Omar al Shami", country="GB", reported_on="2015-08-03")
    client.force_login(researcher)
    url = reverse("admin:testimony_defector_change", args=[twin.pk])
    data = defector_form(
        SourceFactory(),
        case_id="ICSR15-002",
        name=twin.name,
        reported_on="2015-08-03",
        reported_precision="day",
        sex="male",
        notes="checked",
        **{"quotes-TOTAL_FORMS": "0"},
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Defector.objects.get(pk=twin.pk).notes == "checked"


def test_a_restricted_look_alike_is_not_listed_to_a_researcher(client, researcher):
    DefectorFactory(
        case_id="R-1", name="Abu Omar al-Shami", country="GB", reported_on="2015-08-03", visibility="restricted"
    )
    client.force_login(researcher)
    data = defector_form(SourceFactory(), name="Abu Omar al-Shami", reported_on="2015-08-03")
    response = client.post(reverse("admin:testimony_defector_add"), data)
    assert response.status_code == 302
    assert "R-1" not in response.content.decode()


def test_the_merge_action_asks_which_to_keep_then_merges(client, researcher, stored):
    twin = DefectorFactory(case_id="ICSR15-009", name="Abu Omar al Shami", country="GB", reported_on="2015-08-03")
    QuoteFactory(defector=twin)
    client.force_login(researcher)
    changelist = reverse("admin:testimony_defector_changelist")
    selected = {"action": "merge_selected", "_selected_action": [stored.pk, twin.pk]}
    page = client.post(changelist, selected)
    assert page.status_code == 200 and "Which record keeps its case ID?" in page.content.decode()
    done = client.post(changelist, {**selected, "keep": str(stored.pk), "post": "yes"})
    assert done["Location"] == reverse("admin:testimony_defector_change", args=[stored.pk])
    assert stored.quotes.count() == 1
    assert DefectorAlias.objects.get(case_id="ICSR15-009").defector_id == stored.pk
    assert client.get("/defectors/ICSR15-009/")["Location"] == "/defectors/ICSR15-001/"


def test_the_merge_action_needs_exactly_two(client, researcher, stored):
    client.force_login(researcher)
    response = client.post(
        reverse("admin:testimony_defector_changelist"),
        {"action": "merge_selected", "_selected_action": [stored.pk]},
        follow=True,
    )
    assert "Select exactly two defectors to merge." in response.content.decode()


def test_the_import_preview_lists_possible_duplicates_of_new_cases(client, researcher, stored):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.testimony.imports.helpers import row, to_csv

    article = SourceFactory(url="https://bbc.example.org/defectors")
    DefectorFactory(case_id="OTHER-1", name="Ahmad Yusuf", country="IQ", reported_on="2014-01-01").sources.add(article)
    rows = [
        row(case_id="T-1", name="Abu Omar al Shami", country="GB", reported_on="2015-08-10", source_url=""),
        row(case_id="T-2", name="Somebody Else", country="FR", reported_on="2015-01-10", source_url=article.url),
        row(
            case_id="T-3",
            name="Nobody Similar",
            country="FR",
            reported_on="2015-01-10",
            source_url="",
            source_title="B",
        ),
    ]
    client.force_login(researcher)
    file = SimpleUploadedFile("cases.csv", to_csv(rows), content_type="text/csv")
    response = client.post(reverse("admin:testimony_defector_import"), {"file": file})
    found = [
        (c.case_id, [(d.defector.case_id, d.reasons) for d in c.candidates])
        for c in response.context["possible_duplicates"]
    ]
    assert found == [
        ("T-1", [("ICSR15-001", ["similar name, reported 7 days apart"])]),
        ("T-2", [("OTHER-1", ["shares a source"])]),
    ]
    body = response.content.decode()
    assert (
        "Possible duplicates" in body
        and f'href="{reverse("admin:testimony_defector_change", args=[stored.pk])}"' in body
    )
    assert not Defector.objects.filter(case_id__startswith="T-").exists()


def test_the_merge_page_costs_a_fixed_number_of_queries(client, researcher, stored, django_assert_num_queries):
    twin = DefectorFactory(case_id="ICSR15-009", name="Abu Omar al Shami", country="GB", reported_on="2015-08-03")
    QuoteFactory.create_batch(3, defector=twin)
    client.force_login(researcher)
    selected = {"action": "merge_selected", "_selected_action": [stored.pk, twin.pk]}
    with django_assert_num_queries(QUERIES_MERGE_PAGE):
        page = client.post(reverse("admin:testimony_defector_changelist"), selected)
    assert page.status_code == 200
