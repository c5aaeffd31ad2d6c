"""The admin's CSV import for researchers: upload, preview, confirm.

It calls the same service as ``import_defectors`` (``defector_import``): the
preview is a dry run (the real import inside a rolled-back transaction), the
confirmation runs it for real. Between the two, the uploaded bytes stay in
the server-side session and are validated again on confirmation; nothing
parsed travels through the browser. The form carries only a digest of the
file, so confirming a preview that another tab has since replaced is refused.

Each step is one request that must end within the web server's worker
timeout (gunicorn's 30 s), so a file of more than
``TESTIMONY_ADMIN_IMPORT_MAX_ROWS`` rows (README, "Import and export": the
slowest case measured, a file that updates every case it names, sets the
limit) is not previewed but imported by a background job (README,
"Background jobs"), all or nothing as ever, its progress and errors on the
job's page. Files above ``TESTIMONY_ADMIN_IMPORT_MAX_BYTES`` are refused:
they go through ``manage.py import_defectors``. The page lists the first
``ERRORS_SHOWN`` errors with the count of the rest.
"""

import base64
import csv
import hashlib
import io

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.module_loading import import_string

from .duplicates import PREVIEW_CHECKED, import_preview_duplicates
from .imports.columns import COLUMNS, CONTRACT_COLUMNS, EXTENSION_COLUMNS
from .imports.service import defector_import

ERRORS_SHOWN = 200  # a file of 30,000 bad rows has 100,000 errors: megabytes no one reads
SESSION_KEY = "testimony_defector_import"
IMPORT_PERMISSIONS = ("testimony.add_defector", "testimony.change_defector")


class ImportUploadForm(forms.Form):
    file = forms.FileField(label="Long-form CSV", help_text="UTF-8, header row, one row per quote.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        max_bytes, max_rows = settings.TESTIMONY_ADMIN_IMPORT_MAX_BYTES, settings.TESTIMONY_ADMIN_IMPORT_MAX_ROWS
        if upload.size > max_bytes:
            raise forms.ValidationError(
                f"The file is {upload.size // 1024:,} KB; the admin takes up to {max_bytes // 1024:,} KB. "
                f"{USE_THE_COMMAND}"
            )
        content = upload.read()
        self.cleaned_data["content"] = content
        self.cleaned_data["background"] = count_records(content) > max_rows
        return upload


USE_THE_COMMAND = "Import larger files with `manage.py import_defectors FILE`."


def count_records(content: bytes) -> int:
    """CSV records after the header, skipping blank lines as the importer does.

    Counting is a plain CSV parse, far cheaper than the import; a file that is
    not valid CSV or UTF-8 is counted by its lines instead, and the importer
    then reports what is wrong with it.
    """
    text = content.decode("utf-8", "replace")
    try:
        records = sum(1 for cells in csv.reader(io.StringIO(text)) if cells and (len(cells) > 1 or cells[0].strip()))
    except csv.Error:
        records = text.count("\n") + 1
    return max(records - 1, 0)


def import_urls(model_admin) -> list:
    """URLs to prepend in ``DefectorAdmin.get_urls``."""
    view = model_admin.admin_site.admin_view(lambda request: defector_import_view(request, model_admin))
    template = model_admin.admin_site.admin_view(defector_import_template)
    return [
        path("import/", view, name="testimony_defector_import"),
        path("import/template.csv", template, name="testimony_defector_import_template"),
    ]


def defector_import_template(request):
    """A header-only CSV with every column of the table, in the export's order: a
    researcher fills it in rather than typing the header (and its typos)."""
    if not request.user.has_perms(IMPORT_PERMISSIONS):
        raise PermissionDenied
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(COLUMNS)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="defectors-template.csv"'
    return response


def defector_import_view(request, model_admin):
    if not request.user.has_perms(IMPORT_PERMISSIONS):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Import defectors from CSV",
        "columns": COLUMNS,
        "contract_columns": CONTRACT_COLUMNS,
        "extension_columns": EXTENSION_COLUMNS,
        "max_kb": settings.TESTIMONY_ADMIN_IMPORT_MAX_BYTES // 1024,
        "max_rows": settings.TESTIMONY_ADMIN_IMPORT_MAX_ROWS,
    }
    form = ImportUploadForm()
    if request.method == "POST" and request.POST.get("action") == "confirm":
        return _confirm(request, model_admin, context)
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload, content = form.cleaned_data["file"], form.cleaned_data["content"]
            if form.cleaned_data["background"]:
                job = import_string(settings.TESTIMONY_IMPORT_JOB)(
                    owner=request.user, name=upload.name, content=content
                )
                messages.info(
                    request,
                    f"{upload.name} has more than {settings.TESTIMONY_ADMIN_IMPORT_MAX_ROWS:,} rows: "
                    "it is being imported in the background, all or nothing.",
                )
                return redirect(job)
            digest = hashlib.sha256(content).hexdigest()
            request.session[SESSION_KEY] = {
                "name": upload.name,
                "digest": digest,
                "content": base64.b64encode(content).decode("ascii"),
            }
            result = _run(request, upload.name, content, dry_run=True)
            context.update(result_context(result), file_name=upload.name, digest=digest)
            if result.ok:
                context["possible_duplicates"] = import_preview_duplicates(
                    content, result.case_ids["created"], user=request.user
                )
                context["duplicates_checked"] = min(result.created, PREVIEW_CHECKED)
    context["form"] = form
    return TemplateResponse(request, "admin/testimony/defector/import.html", context)


def _confirm(request, model_admin, context):
    stored = request.session.get(SESSION_KEY)
    if not stored or stored["digest"] != request.POST.get("digest"):
        messages.error(request, "That preview is no longer current; upload the file again.")
        return redirect("admin:testimony_defector_import")
    content = base64.b64decode(stored["content"])
    result = _run(request, stored["name"], content, dry_run=False)
    if not result.ok:  # the database changed since the preview: show what is wrong now
        context.update(
            result_context(result), file_name=stored["name"], digest=stored["digest"], form=ImportUploadForm()
        )
        return TemplateResponse(request, "admin/testimony/defector/import.html", context)
    del request.session[SESSION_KEY]
    messages.success(request, f"Imported {stored['name']}: {result.summary()}")
    return redirect("admin:testimony_defector_changelist")


def result_context(result) -> dict:
    return {
        "result": result,
        "errors_shown": result.errors[:ERRORS_SHOWN],
        "errors_not_shown": max(len(result.errors) - ERRORS_SHOWN, 0),
    }


def _run(request, name, content, *, dry_run):
    return defector_import(
        rows=content,
        user=request.user,
        dry_run=dry_run,
        change_reason=f"Admin CSV import of {name} by {request.user.get_username()}"[:100],
    )
