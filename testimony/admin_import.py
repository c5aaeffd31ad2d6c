"""The admin's CSV import for researchers: upload, preview, confirm.

It calls the same service as ``import_defectors`` (``defector_import``): the
preview is a dry run (the real import inside a rolled-back transaction), the
confirmation runs it for real. Between the two, the uploaded bytes stay in
the server-side session (bounded by ``MAX_UPLOAD_BYTES``) and are validated
again on confirmation; nothing parsed travels through the browser. The form
carries only a digest of the file, so confirming a preview that another tab
has since replaced is refused.
"""

import base64
import hashlib

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from .imports.columns import COLUMNS, CONTRACT_COLUMNS
from .imports.service import defector_import

MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # larger files: use `manage.py import_defectors`
SESSION_KEY = "testimony_defector_import"
IMPORT_PERMISSIONS = ("testimony.add_defector", "testimony.change_defector")


class ImportUploadForm(forms.Form):
    file = forms.FileField(label="Long-form CSV", help_text="UTF-8, header row, one row per quote.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size // 1024} KB; the admin takes up to {MAX_UPLOAD_BYTES // 1024} KB. "
                "Import larger files with `manage.py import_defectors FILE`."
            )
        return upload


def import_urls(model_admin) -> list:
    """URLs to prepend in ``DefectorAdmin.get_urls``."""
    view = model_admin.admin_site.admin_view(lambda request: defector_import_view(request, model_admin))
    return [path("import/", view, name="testimony_defector_import")]


def defector_import_view(request, model_admin):
    if not request.user.has_perms(IMPORT_PERMISSIONS):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Import defectors from CSV",
        "columns": COLUMNS,
        "contract_columns": CONTRACT_COLUMNS,
        "max_kb": MAX_UPLOAD_BYTES // 1024,
    }
    form = ImportUploadForm()
    if request.method == "POST" and request.POST.get("action") == "confirm":
        return _confirm(request, model_admin, context)
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            content = upload.read()
            digest = hashlib.sha256(content).hexdigest()
            request.session[SESSION_KEY] = {
                "name": upload.name,
                "digest": digest,
                "content": base64.b64encode(content).decode("ascii"),
            }
            result = _run(request, upload.name, content, dry_run=True)
            context.update(result=result, file_name=upload.name, digest=digest)
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
        context.update(result=result, file_name=stored["name"], digest=stored["digest"], form=ImportUploadForm())
        return TemplateResponse(request, "admin/testimony/defector/import.html", context)
    del request.session[SESSION_KEY]
    messages.success(request, f"Imported {stored['name']}: {result.summary()}")
    return redirect("admin:testimony_defector_changelist")


def _run(request, name, content, *, dry_run):
    return defector_import(
        rows=content,
        user=request.user,
        dry_run=dry_run,
        change_reason=f"Admin CSV import of {name} by {request.user.get_username()}"[:100],
    )
