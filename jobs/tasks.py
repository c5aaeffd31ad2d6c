"""The one task the queue runs (django-tasks; README, "Background jobs"). Its
argument is a job's id: the Job row, not the queue's own result, holds the
progress and the result file, so the page and the API read the same thing
whichever backend ran it."""

import logging

from django.utils import timezone
from django_tasks import task

from .models import Job
from .runners import RUNNERS

logger = logging.getLogger(__name__)


@task()
def run_job(job_id: str) -> str:
    job = Job.objects.select_related("owner").get(pk=job_id)
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, started_at=timezone.now())
    try:
        RUNNERS[job.kind](job)
    except Exception as exc:  # the owner sees why on the job's page, the operator in the log
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        job.state, job.message = Job.State.FAILED, str(exc) or exc.__class__.__name__
    else:
        job.state = Job.State.SUCCEEDED
    job.finished_at = timezone.now()
    fields = [
        "state",
        "message",
        "stage",
        "done",
        "total",
        "result_file",
        "result_name",
        "result_rows",
        "result_sha256",
        "finished_at",
    ]
    Job.objects.filter(pk=job.pk).update(**{name: getattr(job, name) for name in fields})
    return job.state
