"""The admin's CSV import does bounded work per request (issue 12, finding 8): a file of
30,000 bad rows once took 112 s and rendered 17.6 MB of errors; now a file over the row
limit is imported by a background job (issue 13) rather than in the request, and any
error page lists the first 200 errors."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jobs.models import Job
from testimony.admin_import import SESSION_KEY
from testimony.longform import CONTRACT_COLUMNS
from testimony.models import Defector
from tests.testimony.imports.helpers import row, to_csv

pytestmark = pytest.mark.django_db

URL = reverse("admin:testimony_defector_import")
HEADER = ",".join(CONTRACT_COLUMNS) + "\n"


def bad_rows(count: int) -> bytes:
    """``count`` short rows, each with two errors (sex and date): 30,000 of them make 1 MB."""
    return (HEADER + "".join(f"B-{i},x,robot,,2015-13,,,,,,,,\n" for i in range(count))).encode()


def upload(client, content: bytes):
    return client.post(URL, {"file": SimpleUploadedFile("cases.csv", content, content_type="text/csv")})


def listed_errors(page: str) -> list[str]:
    listing = re.search(r'<ul class="errorlist" id="import-errors">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", listing.group(1), re.S) if listing else []


def test_a_file_over_the_row_limit_becomes_a_background_job_listing_the_first_200_errors(
    client, researcher, settings, django_capture_on_commit_callbacks
):
    client.force_login(researcher)
    content = bad_rows(30_000)
    assert len(content) < settings.TESTIMONY_ADMIN_IMPORT_MAX_BYTES  # the byte limit alone let it through

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, content)
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert SESSION_KEY not in client.session  # no preview to confirm

    page = client.get(response["Location"]).content.decode()
    assert "Failed" in page and "Nothing was imported from cases.csv" in page
    assert "line 2, column sex: &#x27;robot&#x27; is not a sex" in page
    assert "... and 59,800 more errors." in page
    assert len(page) < 200_000
    assert not Defector.objects.exists()
    assert not list(settings.TESTIMONY_JOB_FILES.iterdir())  # the upload was removed


def test_a_file_at_the_row_limit_is_previewed_and_one_over_it_imported_by_a_job(
    client, researcher, settings, django_capture_on_commit_callbacks
):
    settings.TESTIMONY_ADMIN_IMPORT_MAX_ROWS = 3
    client.force_login(researcher)
    # A quoted newline inside a quote is one record, not two.
    rows = [row(case_id=f"T-{n}", quote="They fought\neach other.") for n in range(3)]
    response = upload(client, to_csv(rows))
    assert "Confirm import" in response.content.decode()
    assert "rows at a time" not in response.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, to_csv([*rows, row(case_id="T-4")]))
    job = Job.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert job.state == Job.State.SUCCEEDED and job.result_rows == 4
    assert sorted(Defector.objects.values_list("case_id", flat=True)) == ["T-0", "T-1", "T-2", "T-4"]
    assert "Imported cases.csv: 4 rows" in client.get(response["Location"]).content.decode()


def test_30000_bad_rows_list_the_first_200_errors_and_count_the_rest(client, researcher, settings):
    settings.TESTIMONY_ADMIN_IMPORT_MAX_ROWS = 30_000  # an operator who raised the limit
    client.force_login(researcher)

    response = upload(client, bad_rows(30_000))
    page = response.content.decode()
    assert response.status_code == 200
    assert len(response.content) < 200_000
    errors = listed_errors(page)
    assert len(errors) == 200
    assert (
        errors[0]
        == "line 2, column sex: &#x27;robot&#x27; is not a sex (accepted: male, female, unknown (or m, f; any case))"
    )
    assert "60,000 problems found; nothing was written." in page
    assert "and 59,800 more problems not listed here" in page
    assert "Confirm import" not in page
    assert not Defector.objects.exists()


def test_an_error_quoting_a_huge_cell_is_shortened(client, researcher):
    client.force_login(researcher)
    response = upload(client, to_csv([row(sex="robot" * 20_000)]))
    assert len(response.content) < 50_000
    (error,) = listed_errors(response.content.decode())
    assert error.startswith("line 2, column sex: &#x27;robotrobot") and error.endswith("…")
