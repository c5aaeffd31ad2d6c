"""Issue 15, duplicates: case IDs unique ignoring case, outlet names ignoring case
and spacing, source URLs in their normal form; from the services (the API's and
admin's path), the database's constraints, and both import writers."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from testimony.imports.service import defector_import
from testimony.models import Defector, Outlet, Source
from testimony.services import defector_save, outlet_save, source_save
from tests.factories import DefectorFactory, OutletFactory, SourceFactory
from tests.testimony.imports.helpers import row, to_csv

pytestmark = pytest.mark.django_db


def new_defector(case_id):
    return Defector(case_id=case_id, name="Abu Test", reported_on=datetime.date(2015, 1, 5))


def test_a_case_id_differing_only_in_case_is_refused_with_the_stored_one_named():
    DefectorFactory(case_id="UX-2015-001")
    with pytest.raises(ValidationError) as refused:
        defector_save(defector=new_defector("ux-2015-001"))
    assert refused.value.message_dict == {"case_id": ["a case UX-2015-001 already exists (differs only in case)"]}
    assert Defector.objects.count() == 1


def test_the_database_refuses_it_too():
    DefectorFactory(case_id="UX-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        new_defector("ux-1").save()


@pytest.mark.parametrize(
    ("stored", "given", "saved"),
    [
        ("Asharq Al-Awsat", "asharq al-awsat ", None),
        ("Asharq Al-Awsat", "  ASHARQ   Al-Awsat", None),
        ("BBC News", "BBC  News Arabic", "BBC News Arabic"),
    ],
)
def test_outlet_names_are_compared_after_folding_case_and_spaces(stored, given, saved):
    OutletFactory(name=stored)
    outlet = Outlet(name=given)
    if saved is None:
        with pytest.raises(ValidationError) as refused:
            outlet_save(outlet=outlet)
        assert refused.value.message_dict["name"] == [
            f"an outlet {stored!r} already exists (differs only in case or spacing)"
        ]
    else:
        assert outlet_save(outlet=outlet).name == saved


def test_a_source_url_is_stored_normalised_and_its_variants_are_one_source():
    outlet = OutletFactory(name="BBC News")
    first = source_save(source=Source(outlet=outlet, title="A", url="HTTPS://BBC.example.org/a/?utm_source=x#top"))
    assert first.url == "https://bbc.example.org/a"
    with pytest.raises(ValidationError) as refused:
        source_save(source=Source(outlet=outlet, title="B", url="https://bbc.example.org:443/a/"))
    assert refused.value.message_dict == {"url": [f"the source 'A' (id {first.pk}) already has this URL"]}


WRITERS = ["portable", "postgres"]


def writer_or_skip(writer):
    if writer == "postgres" and connection.vendor != "postgresql":
        pytest.skip("the postgres writer runs on PostgreSQL only (CI's PostgreSQL pass)")
    return writer


@pytest.mark.parametrize("writer", WRITERS)
def test_the_import_reports_a_case_id_differing_in_case_from_a_stored_one(writer):
    DefectorFactory(case_id="T-1")
    result = defector_import(rows=to_csv([row(case_id="t-1")]), writer=writer_or_skip(writer))
    assert [(e.line, e.column, e.reason) for e in result.errors] == [
        (2, "case_id", "a case T-1 already exists (differs only in case)")
    ]
    assert list(Defector.objects.values_list("case_id", flat=True)) == ["T-1"]


@pytest.mark.parametrize("writer", WRITERS)
def test_the_import_reports_two_spellings_of_one_case_id_in_a_file(writer):
    result = defector_import(rows=to_csv([row(), row(case_id="t-1")]), writer=writer_or_skip(writer))
    assert [(e.line, e.reason) for e in result.errors] == [(3, "a case T-1 is on line 2 (differs only in case)")]
    assert not Defector.objects.exists()


@pytest.mark.parametrize("writer", WRITERS)
def test_the_import_finds_stored_outlets_and_sources_by_their_folded_forms(writer):
    stored = SourceFactory(outlet=OutletFactory(name="BBC News"), url="https://bbc.example.org/defectors")
    rows = [row(outlet="bbc  news ", source_url="HTTPS://bbc.example.org/defectors/?utm_medium=social")]
    result = defector_import(rows=to_csv(rows), writer=writer_or_skip(writer))
    assert result.errors == []
    assert (result.outlets_created, result.sources_created) == (0, 0)
    assert list(Defector.objects.get(case_id="T-1").sources.all()) == [Source.objects.get(pk=stored.pk)]
    assert list(Outlet.objects.values_list("name", flat=True)) == ["BBC News"]
