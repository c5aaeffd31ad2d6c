"""A job's page, its result's download and its API view: for its owner only.
Another user's job is a 404, as if it did not exist (its id says nothing)."""

from pathlib import Path

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import DetailView, ListView
from rest_framework import serializers
from rest_framework.generics import RetrieveAPIView
from rest_framework.permissions import IsAuthenticated

from .models import Job
from .services import start_report


def owned_jobs(user):
    return Job.objects.filter(owner=user) if user.is_authenticated else Job.objects.none()


class JobListView(LoginRequiredMixin, ListView):
    template_name = "jobs/job_list.html"
    context_object_name = "jobs"
    paginate_by = 50

    def get_queryset(self):
        return owned_jobs(self.request.user)


class JobDetailView(LoginRequiredMixin, DetailView):
    template_name = "jobs/job_detail.html"
    context_object_name = "job"

    def get_queryset(self):
        return owned_jobs(self.request.user)


class JobDownloadView(LoginRequiredMixin, View):
    """The complete result with its Content-Length, so a client can tell a cut
    download, and its SHA-256, so it can check the file it kept."""

    def get(self, request, pk):
        job = get_object_or_404(owned_jobs(request.user), pk=pk, state=Job.State.SUCCEEDED)
        path = Path(job.result_file) if job.result_file else None
        if path is None or not path.is_file():
            raise Http404("This job has no result file.")
        response = FileResponse(open(path, "rb"), as_attachment=True, filename=job.result_name)  # noqa: SIM115 (closed by the response)
        response["X-Checksum-SHA256"] = job.result_sha256
        if job.result_rows is not None:
            response["X-Record-Count"] = str(job.result_rows)
        return response


class ReportJobView(LoginRequiredMixin, View):
    """POST: regenerate a study's report in the background (its page offers the button)."""

    http_method_names = ["post"]

    def post(self, request, code):
        from reports.models import Study

        study = get_object_or_404(Study, code=code)
        fmt = request.POST.get("format", "json")
        try:
            job = start_report(owner=request.user, study=study.code, fmt=fmt)
        except ValueError as exc:
            from django.http import HttpResponseBadRequest

            return HttpResponseBadRequest(f"format: {exc}", content_type="text/plain; charset=utf-8")
        return redirect(job)


class JobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True, allow_null=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id", "kind", "state", "stage", "done", "total", "percent", "message",
            "result_name", "result_rows", "result_sha256", "download", "created_at", "started_at", "finished_at",
        ]  # fmt: skip

    def get_download(self, job) -> str | None:
        if job.state != Job.State.SUCCEEDED or not job.result_file:
            return None
        from django.urls import reverse

        return self.context["request"].build_absolute_uri(reverse("jobs:job-download", kwargs={"pk": job.pk}))


class JobAPIView(RetrieveAPIView):
    serializer_class = JobSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return owned_jobs(self.request.user)
