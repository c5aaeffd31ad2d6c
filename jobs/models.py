"""A background job as its owner sees it: what it does, how far it has got, and
its result file. The task queue (django-tasks, jobs/tasks.py) runs it; this row
is what the page /jobs/<id>/ and the API /api/v1/jobs/<id>/ read, whichever
backend ran it, and what the runner updates as it goes."""

import uuid

from django.conf import settings
from django.db import models


class Job(models.Model):
    class Kind(models.TextChoices):
        EXPORT = "export", "Export"
        IMPORT = "import", "Import"
        REPORT = "report", "Report regeneration"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    # Not a serial number: a job's URL must not tell how many jobs others ran.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    parameters = models.JSONField(default=dict, blank=True)
    stage = models.CharField(max_length=40, blank=True)
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(null=True, blank=True)
    message = models.TextField(
        blank=True, help_text="The summary of a job that succeeded, the errors of one that failed."
    )
    result_file = models.CharField(max_length=300, blank=True)
    result_name = models.CharField(max_length=200, blank=True, help_text="The file name a download is given.")
    result_rows = models.PositiveBigIntegerField(null=True, blank=True)
    result_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.id} ({self.state})"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("jobs:job-detail", kwargs={"pk": self.pk})

    @property
    def finished(self) -> bool:
        return self.state in (self.State.SUCCEEDED, self.State.FAILED)

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.done / self.total))
