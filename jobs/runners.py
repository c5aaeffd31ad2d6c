"""What each kind of job does, given its :class:`~jobs.models.Job` row. The
task (jobs/tasks.py) marks the job running, calls the runner, and records
success or failure; a runner reports progress through ``job_progress`` and
leaves its result file in the job folder (0600, testimony/private_files.py)."""

import hashlib
import logging
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, connections
from django.http import QueryDict

from audit.models import Action
from audit.services import record_access
from testimony import selectors
from testimony.imports.service import defector_import
from testimony.longform import write_csv, write_json
from testimony.private_files import PRIVATE_DIRECTORY, open_private

from .models import Job

logger = logging.getLogger(__name__)
ERRORS_KEPT = 200  # as the admin's page: the first errors, and how many more


def job_folder() -> Path:
    folder = Path(settings.TESTIMONY_JOB_FILES)
    folder.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
    return folder


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


PROGRESS_EVERY = 0.5  # seconds between progress writes


def job_progress(job: Job, stage: str, done: int, total: int | None = None, *, force: bool = False) -> None:
    """Record how far the job has got, at most every PROGRESS_EVERY seconds.

    On PostgreSQL the row is written through a connection of its own (a
    short-lived thread's): the import holds one transaction for the whole file,
    in which an update would stay invisible to the job's page until the end, and
    the progress callback is called while a ``COPY`` is streaming, when the
    import's connection takes no other statement. SQLite has one writer at a
    time, so there the update goes through the job's own connection, and the
    page sees an import's progress once it commits."""
    job.stage, job.done = stage, done
    if total is not None:
        job.total = total
    now = time.monotonic()
    if not force and now - getattr(job, "_progress_written", 0.0) < PROGRESS_EVERY:
        return
    job._progress_written = now
    values = {"stage": job.stage, "done": job.done, "total": job.total}
    if connection.vendor != "postgresql":
        Job.objects.filter(pk=job.pk).update(**values)
        return

    def write():
        try:
            Job.objects.filter(pk=job.pk).update(**values)
        except DatabaseError:
            logger.warning("could not record the progress of job %s", job.pk, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=write, name=f"job-progress-{job.pk}")
    thread.start()
    thread.join()


def keep_result(job: Job, path: Path, name: str, rows: int) -> None:
    """The result's row count and checksum are recorded only once the file is
    complete: a job whose file was cut short never reaches this line."""
    job.result_file, job.result_name, job.result_rows = str(path), name, rows
    job.result_sha256 = sha256_of(path)


def run_export(job: Job) -> None:
    """The long-form CSV (or the nested JSON) of the owner's filtered list, as
    /defectors/export.csv would give it to them: their visibility, never identity."""
    fmt = job.parameters.get("format", "csv")
    filterset = selectors.defector_filterset(QueryDict(job.parameters.get("query", "")), user=job.owner)
    if not filterset.is_valid():
        raise ValueError(f"The filters are invalid: {dict(filterset.errors)}")
    defectors = filterset.qs
    total = defectors.count()
    job_progress(job, "export", 0, total, force=True)
    path = job_folder() / f"{job.pk}.{fmt}"
    writer = write_csv if fmt == "csv" else write_json
    with open_private(path, "w", encoding="utf-8", newline="") as out:
        count = writer(defectors, out, progress=lambda done, rows: job_progress(job, "export", done))
    job_progress(job, "export", total, force=True)
    keep_result(job, path, f"defectors.{fmt}", count)
    record_access(
        request_or_user=job.owner,
        action=Action.EXPORT_CSV if fmt == "csv" else Action.EXPORT_JSON,
        path=f"/jobs/{job.pk}/",
        parameters={"format": fmt, "query": job.parameters.get("query", "")},
        record_count=total,
    )
    job.message = f"Exported {total:,} defectors: {count:,} {'rows' if fmt == 'csv' else 'defectors'}."


def run_import(job: Job) -> None:
    """An uploaded long-form CSV through the import service, all or nothing; the
    upload (0600 in the job folder) is removed once the job is over."""
    upload = Path(job.parameters["upload"])
    name = job.parameters.get("name", upload.name)
    try:
        result = defector_import(
            rows=upload,
            user=job.owner,
            progress=lambda stage, done, total: job_progress(job, stage, done, total),
            change_reason=f"Admin CSV import of {name} by {job.owner.get_username()}",
        )
    finally:
        upload.unlink(missing_ok=True)
    if not result.ok:
        lines = [str(error) for error in result.errors[:ERRORS_KEPT]]
        if len(result.errors) > ERRORS_KEPT:
            lines.append(f"... and {len(result.errors) - ERRORS_KEPT:,} more errors.")
        raise ValueError(f"Nothing was imported from {name}:\n" + "\n".join(lines))
    job.result_rows = result.rows
    job.message = f"Imported {name}: {result.summary()}"


REPORT_FORMATS = {"text": "txt", "json": "json", "csv": "csv", "markdown": "md"}


def run_report(job: Job) -> None:
    """A thin job around ``regenerate_report``: its output kept as the result file."""
    code, fmt = job.parameters["study"], job.parameters.get("format", "json")
    job_progress(job, "report", 0, 1, force=True)
    path = job_folder() / f"{job.pk}.{REPORT_FORMATS[fmt]}"
    with open_private(path, "w", encoding="utf-8") as out:
        call_command("regenerate_report", code, format=fmt, stdout=out)
    keep_result(job, path, f"{code}.{REPORT_FORMATS[fmt]}", 1)
    job_progress(job, "report", 1, force=True)
    job.message = f"Regenerated the report of {code} ({fmt})."


RUNNERS = {Job.Kind.EXPORT: run_export, Job.Kind.IMPORT: run_import, Job.Kind.REPORT: run_report}
