"""The long form's optional ``studies`` column (testimony/imports/memberships.py):
exported, imported, round trip, errors at their line, and the import preview's
warning for a case a frozen study does not count."""

import csv
import io

import pytest

from reports.models import StudyMembership
from testimony.imports.service import defector_import
from testimony.longform import write_csv
from testimony.models import Defector
from tests.testimony.imports.helpers import row, to_csv

pytestmark = pytest.mark.django_db


def exported_rows(queryset=None) -> list[dict]:
    out = io.StringIO()
    write_csv(queryset if queryset is not None else Defector.objects.order_by("case_id"), out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def members(study_code="icsr-2015") -> set[str]:
    return set(StudyMembership.objects.filter(study__code=study_code).values_list("defector__case_id", flat=True))


def test_the_export_names_each_case_lists_study(icsr_study):
    rows = exported_rows(Defector.objects.filter(case_id="ICSR15-001"))

    assert {r["studies"] for r in rows} == {"icsr-2015"}


def test_the_case_lists_round_trip_through_export_and_import(icsr_study):
    csv_bytes = to_csv(exported_rows())
    before = members()
    StudyMembership.objects.all().delete()
    assert members() == set()

    result = defector_import(rows=csv_bytes)  # the PostgreSQL writer on PostgreSQL

    assert result.ok, result.errors
    assert members() == before and len(before) == 58
    assert to_csv(exported_rows()) == csv_bytes


def test_an_empty_cell_takes_a_case_off_every_list_and_no_column_keeps_them(icsr_study):
    case = exported_rows(Defector.objects.filter(case_id="ICSR15-001"))

    defector_import(rows=to_csv([{k: v for k, v in r.items() if k != "studies"} for r in case]), writer="portable")
    assert "ICSR15-001" in members()

    defector_import(rows=to_csv([{**r, "studies": ""} for r in case]), writer="portable")
    assert "ICSR15-001" not in members()


def test_an_unknown_study_or_disagreeing_rows_are_errors_at_their_line_and_nothing_is_written(icsr_study):
    rows = [
        row(case_id="NEW-1", studies="icsr-2015"),
        row(case_id="NEW-1", quote="Another.", studies=""),
        row(case_id="NEW-2", studies="no-such-study"),
    ]

    result = defector_import(rows=to_csv(rows), writer="portable")

    assert [(e.line, e.column) for e in result.errors] == [(3, "studies"), (4, "studies")]
    assert "differs from line 2" in result.errors[0].reason and "no-such-study" in result.errors[1].reason
    assert not Defector.objects.filter(case_id__startswith="NEW-").exists()


def test_the_import_preview_warns_of_a_case_a_frozen_study_does_not_count(icsr_study):
    ebrahim = row(case_id="EBRAHIM-B", name="Ebrahim B.", country="DE", reported_on="2015-07", narratives="")

    preview = defector_import(rows=to_csv([ebrahim]), dry_run=True, writer="portable")

    assert preview.ok and preview.created == 1
    assert any("EBRAHIM-B" in w and "not counted in icsr-2015 as published" in w for w in preview.warnings), (
        preview.warnings
    )
    assert not Defector.objects.filter(case_id="EBRAHIM-B").exists()  # a preview writes nothing

    listed = defector_import(rows=to_csv([{**ebrahim, "studies": "icsr-2015"}]), dry_run=True, writer="portable")
    assert listed.warnings == []


def test_the_admin_preview_shows_the_warning(icsr_study, researcher, client):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client.force_login(researcher)
    ebrahim = row(case_id="EBRAHIM-B", name="Ebrahim B.", country="DE", reported_on="2015-07", narratives="")
    upload = SimpleUploadedFile("ebrahim.csv", to_csv([ebrahim]), content_type="text/csv")

    page = client.post(reverse("admin:testimony_defector_import"), {"file": upload}).content.decode()

    assert 'id="import-warnings"' in page and "not counted in icsr-2015 as published" in page
