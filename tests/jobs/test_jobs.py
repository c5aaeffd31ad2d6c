"""Background jobs (README, "Background jobs"): a large export, an admin import
above the row limit (tests/security/test_admin_import_bounds.py) and a report
regeneration run as jobs; their owner follows them on /jobs/<id>/ and in the
API and downloads the result, complete with its row count and checksum."""

import csv
import hashlib
import io
import json
import os

import pytest
from django.test import override_settings
from django.urls import reverse
from django_tasks_db.management.commands.db_worker import Worker

from jobs.models import Job
from jobs.services import start_export
from testimony.longform import write_csv
from testimony.models import Defector
from tests.factories import DefectorFactory, QuoteFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(db):
    for number in range(4):
        QuoteFactory(defector=DefectorFactory(case_id=f"J-{number}", sex="female" if number % 2 else "male"))
    DefectorFactory(case_id="J-R", visibility="restricted")


def downloaded(client, job) -> bytes:
    response = client.get(reverse("jobs:job-download", kwargs={"pk": job.pk}))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)  # a cut download is visibly short
    assert response["X-Checksum-SHA256"] == hashlib.sha256(body).hexdigest() == job.result_sha256
    return body


def test_an_export_over_the_streaming_limit_becomes_a_job_its_owner_downloads(
    client, analyst, records, settings, django_capture_on_commit_callbacks
):
    settings.TESTIMONY_EXPORT_STREAM_MAX_DEFECTORS = 1
    client.force_login(analyst)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/defectors/export.csv?sex=female")
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.owner == analyst

    body = downloaded(client, job)
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert [row["case_id"] for row in rows] == ["J-1", "J-3"]
    assert job.result_rows == len(rows)
    expected = io.StringIO()
    write_csv(Defector.objects.filter(sex="female").order_by("case_id"), expected)
    assert body.decode() == expected.getvalue()  # the same file the stream gives
    assert os.stat(job.result_file).st_mode & 0o777 == 0o600

    page = client.get(response["Location"]).content.decode()
    assert "Succeeded" in page and job.result_sha256 in page and "2 records" in page


def test_the_export_job_never_holds_what_its_owner_may_not_see(
    client, analyst, records, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = start_export(owner=analyst, query="")
    job.refresh_from_db()
    client.force_login(analyst)
    body = downloaded(client, job).decode()
    assert "J-R" not in body and body.count("J-") == 4
    assert "legal_name" not in body


def test_only_its_owner_sees_a_job_its_result_and_its_api(client, analyst, records, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = start_export(owner=analyst, query="")
    other = UserFactory(username="other", roles=["Analyst"])
    client.force_login(other)
    for url in (f"/jobs/{job.pk}/", f"/jobs/{job.pk}/download/", f"/api/v1/jobs/{job.pk}/"):
        assert client.get(url).status_code == 404, url
    client.logout()
    assert client.get(f"/api/v1/jobs/{job.pk}/").status_code in (401, 403)
    assert client.get(f"/jobs/{job.pk}/").status_code == 302  # to the login


def test_the_api_reports_progress_and_the_download(client, analyst, records, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = start_export(owner=analyst, query="", fmt="json")
    client.force_login(analyst)
    data = client.get(f"/api/v1/jobs/{job.pk}/").json()
    assert data["state"] == "succeeded" and data["kind"] == "export"
    assert data["done"] == data["total"] == 4 and data["percent"] == 100
    assert data["result_rows"] == 4 and data["download"].endswith(f"/jobs/{job.pk}/download/")
    job.refresh_from_db()
    assert len(json.loads(downloaded(client, job))) == 4


def test_the_job_page_costs_a_fixed_number_of_queries(client, analyst, records, django_assert_num_queries):
    job = Job.objects.create(owner=analyst, kind=Job.Kind.EXPORT, parameters={"format": "csv", "query": ""})
    client.force_login(analyst)
    with django_assert_num_queries(3):  # session, user, job
        response = client.get(f"/jobs/{job.pk}/")
    page = response.content.decode()
    assert "Queued" in page and 'http-equiv="refresh"' in page


def test_a_job_that_fails_says_why(client, analyst, records, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = start_export(owner=analyst, query="sex=robot")
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and "sex" in job.message
    client.force_login(analyst)
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 404


def test_a_report_regeneration_runs_as_a_job(client, analyst, django_capture_on_commit_callbacks):
    client.force_login(analyst)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/jobs/report/icsr-2015/", {"format": "json"})
    job = Job.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/"
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED
    report = json.loads(downloaded(client, job))
    assert report["study"] == "icsr-2015" and report["window"] == {"start": "2014-01-01", "end": "2015-08-31"}

    response = client.post("/jobs/report/icsr-2015/", {"format": "pdf"})
    assert response.status_code == 400 and b"format" in response.content
    assert client.post("/jobs/report/no-such-study/").status_code == 404


# serialized_rollback: the data migrations (codebook, study, roles) survive the flush.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_the_database_backend_a_worker_runs_the_queued_job(client, records):
    """`make serve-prod`'s set-up: the request only queues; `db_worker` runs it."""
    owner = UserFactory(username="worker-owner", roles=["Analyst"])
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        job = start_export(owner=owner, query="")
        job.refresh_from_db()
        assert job.state == Job.State.QUEUED  # nothing ran in the request
        Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test-worker",
            excluded_queue_names=[],
        ).run()
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.result_rows == 4
