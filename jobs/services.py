"""Starting jobs: the Job row, then the task, queued once the row is committed
(a database worker that picked the task up earlier would not find its job)."""

from functools import partial

from django.db import transaction

from .models import Job
from .runners import REPORT_FORMATS, job_folder
from .tasks import run_job


def start_job(*, owner, kind: str, parameters: dict) -> Job:
    job = Job.objects.create(owner=owner, kind=kind, parameters=parameters)
    transaction.on_commit(partial(run_job.enqueue, str(job.pk)))
    return job


def start_export(*, owner, query: str, fmt: str = "csv") -> Job:
    if fmt not in ("csv", "json"):
        raise ValueError("format must be csv or json")
    return start_job(owner=owner, kind=Job.Kind.EXPORT, parameters={"format": fmt, "query": query})


def start_import(*, owner, name: str, content: bytes) -> Job:
    """The upload is written 0600 into the job folder for the worker, which removes it."""
    from testimony.private_files import open_private

    job = Job(owner=owner, kind=Job.Kind.IMPORT)
    upload = job_folder() / f"{job.pk}.upload.csv"
    with open_private(upload, "wb") as out:
        out.write(content)
    job.parameters = {"upload": str(upload), "name": name}
    job.save()
    transaction.on_commit(partial(run_job.enqueue, str(job.pk)))
    return job


def start_report(*, owner, study: str, fmt: str = "json") -> Job:
    if fmt not in REPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(REPORT_FORMATS)}")
    return start_job(owner=owner, kind=Job.Kind.REPORT, parameters={"study": study, "format": fmt})
