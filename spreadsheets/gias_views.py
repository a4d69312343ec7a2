"""GIAS import for administrators: upload the DfE's establishment file, preview, confirm.

As the workbook import (spreadsheets.views): the upload is streamed to TRUSTPLAN_IMPORT_DIR
(core.staging) under a random token kept in the session — the file holds every school in
England, so it is never read into memory whole — and previewed (academies.gias); confirming
reads it again and applies it in one transaction, refused if the academies changed since the
preview. The staged file goes when the import is confirmed, refused at confirm, cancelled or
replaced by the session's next upload; others expire (core.staging).
"""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from academies.gias import GiasConflict, GiasRefused, apply_gias, check_size, prepare_gias
from core import staging
from core.http import form_data
from spreadsheets.views import import_permission_required

STAGE = staging.SessionStage("gias_import", "GIAS import", "imports:gias_upload")


class GiasUploadForm(forms.Form):
    file = forms.FileField(
        label="GIAS establishment fields file (.csv)",
        help_text="edubasealldataYYYYMMDD.csv as downloaded, or the academies and trusts links "
        "file for the dates academies joined the trust.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv"}),
    )
    trust = forms.CharField(
        label="Trust's name as GIAS spells it",
        max_length=200,
        help_text="Any case. Only this trust's schools are read; the rest are ignored.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["trust"].initial = settings.TRUST_NAME

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_size(upload.size)
        except GiasRefused as error:
            raise forms.ValidationError(str(error)) from error
        return upload


def _prepare(token: str, filename: str, trust: str):
    path = staging.path(token)
    if path is None:
        return None
    try:
        with path.open("rb") as handle:
            return prepare_gias(handle, filename, trust_name=trust)
    except FileNotFoundError:  # expired or cancelled in between
        return None


@import_permission_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    form = GiasUploadForm(*form_data(request, files=True))
    if STAGE.received(request, form):
        upload_file = form.cleaned_data["file"]
        filename = Path(upload_file.name).name[:200]
        trust = form.cleaned_data["trust"].strip()
        token = staging.stage_chunks(upload_file.chunks())
        preview = _prepare(token, filename, trust)
        if preview is None:  # the staging folder was emptied at that very moment
            messages.error(request, "The upload could not be kept: upload the file again.")
            return redirect("imports:gias_upload")
        if preview.ok and preview.has_changes:
            STAGE.keep(
                request,
                token,
                {
                    "filename": filename,
                    "trust": trust,
                    "fingerprint": preview.fingerprint,  # the academies as the person saw them
                },
            )
        else:
            staging.discard(token)
            token = ""
        return render(
            request, "spreadsheets/gias_preview.html", {"preview": preview, "token": token}
        )
    return STAGE.form_page(request, "spreadsheets/gias_upload.html", form)


@import_permission_required
@require_POST
def confirm(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("token", "")
    pending = STAGE.pending(request, token)
    preview = _prepare(token, pending["filename"], pending["trust"]) if pending else None
    if pending:
        STAGE.forget(request)  # applied or refused below: to try again, upload it again
    if preview is None:
        return STAGE.gone(request)
    if not preview.ok:
        return STAGE.refuse(request, preview.all_problems())
    try:
        counts = apply_gias(preview, expected_fingerprint=pending["fingerprint"])
    except GiasConflict as conflict:
        messages.error(request, str(conflict))
        return redirect("imports:gias_upload")
    messages.success(
        request,
        f"Imported {pending['filename']}: {counts['academies_created']} academies created, "
        f"{counts['academies_updated']} updated.",
    )
    return redirect("imports:gias_upload")


@import_permission_required
@require_POST
def cancel(request: HttpRequest) -> HttpResponse:
    """Abandon the GIAS import waiting in this session: its staged file goes, nothing written."""
    return STAGE.cancel(request)
