"""Workbook import for administrators: upload, preview every change and problem, confirm.

The uploaded file waits under TRUSTPLAN_IMPORT_DIR (core.staging), named by a random token kept
in the administrator's session; confirming reads it again and applies it in one transaction, or
nothing if anything changed in between. The file goes when the import is confirmed, refused at
confirm, cancelled, or replaced by the session's next upload; others expire (core.staging).
"""

from __future__ import annotations

from functools import wraps
from pathlib import Path

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from academies import permissions
from core import staging
from core.http import form_data
from core.workbook import WorkbookRefused, check_size
from kpis.models import Period, ReturnStatus
from kpis.selectors import PeriodIndex, default_period, period_from_request
from spreadsheets.export import (
    board_pack,
    example_workbook,
    matrix_sheet_name,
    template_workbook,
    values_csv,
)
from spreadsheets.importer import IMPORT_STATES, ImportConflict, apply_import, prepare_import

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STAGE = staging.SessionStage("import", "import", "imports:upload")


def import_permission_required(view):
    """403 for anyone who may not import (permissions.may_import: administrators), before
    anything else (even the method check)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not permissions.may_import(request.user):
            raise PermissionDenied("Only administrators import spreadsheets.")
        return view(request, *args, **kwargs)

    return wrapped


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Workbook (.xlsx) or CSV file",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    period = forms.ModelChoiceField(
        queryset=Period.objects.none(),
        required=False,
        empty_label="From each sheet's name",
        help_text="For a KPI matrix sheet whose name does not say its period.",
    )
    state = forms.ChoiceField(
        label="Imported values enter the academies' returns as",
        choices=[(s.value, s.label) for s in ReturnStatus if s in IMPORT_STATES],
        initial=ReturnStatus.SUBMITTED,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = Period.objects.order_by("-year_start", "-term")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_size(upload.size)
        except WorkbookRefused as error:
            raise forms.ValidationError(str(error)) from error
        if upload.name.lower().endswith((".docx", ".doc")):
            raise forms.ValidationError(
                "This is a Word document: import a development plan from Word at "
                "/import/plan/ (Import a development plan)."
            )
        return upload


@import_permission_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(*form_data(request, files=True))
    if STAGE.received(request, form):
        upload_file = form.cleaned_data["file"]
        data = upload_file.read()
        filename = Path(upload_file.name).name[:200]
        period = form.cleaned_data["period"]
        state = form.cleaned_data["state"]
        preview = prepare_import(data, filename, period=period, state=state)
        token = ""
        if preview.ok and preview.has_changes:
            token = staging.stage(data)
            STAGE.keep(
                request,
                token,
                {
                    "filename": filename,
                    "period": period.pk if period else None,
                    "state": state,
                    # What the person saw: confirming refuses if any of these returns moved on.
                    "versions": [
                        [a, y, t, v] for (a, (y, t)), v in preview.return_versions.items()
                    ],
                },
            )
        plan_changes = counts_in_words(preview.plan.counts) if preview.plan else []
        return render(
            request,
            "kpis/import_preview.html",
            {"preview": preview, "token": token, "plan_changes": plan_changes},
        )
    return STAGE.form_page(request, "kpis/import_upload.html", form)


@import_permission_required
@require_POST
def confirm(request: HttpRequest) -> HttpResponse:
    pending, data = STAGE.waiting(request, request.POST.get("token", ""))
    if pending:
        # Applied or refused below, this upload is done with: to try again, upload it again.
        STAGE.forget(request)
    if data is None:
        return STAGE.gone(request)
    period = Period.objects.filter(pk=pending.get("period")).first()
    preview = prepare_import(data, pending["filename"], period=period, state=pending["state"])
    if not preview.ok:
        return STAGE.refuse(request, preview.problems)
    seen = {(a, (y, t)): v for a, y, t, v in pending.get("versions", [])}
    try:
        counts = apply_import(preview, user=request.user, expected_versions=seen)
    except ImportConflict as conflict:
        for line in conflict.messages:
            messages.error(request, line)
        return redirect("imports:upload")
    summary = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items() if n)
    messages.success(request, f"Imported {pending['filename']}: {summary or 'no changes'}.")
    return redirect("imports:upload")


# What an import's counts ("objectives_created": 2) count, in the words of the page.
COUNTED = {
    "plans": "Plans",
    "objectives": "Strategic objectives",
    "aims": "Aims",
    "actions": "Actions",
    "periods": "Periods",
    "values": "KPI values",
    "returns": "Returns",
}
HOW = {"created": "new", "updated": "updated", "changed": "changed", "unchanged": "unchanged"}


def counts_in_words(counts: dict[str, int]) -> list[str]:
    """{"objectives_created": 2, "objectives_updated": 3, "aims_created": 0} as
    ["Strategic objectives: 2 new, 3 updated"]: one line per kind of thing, in the order given,
    leaving out what is zero."""
    lines: dict[str, list[str]] = {}
    for key, n in counts.items():
        thing, _, how = key.rpartition("_")
        if n:
            words = COUNTED.get(thing, thing.replace("_", " ").capitalize())
            lines.setdefault(words, []).append(f"{n} {HOW.get(how, how)}")
    return [f"{thing}: {', '.join(parts)}" for thing, parts in lines.items()]


@import_permission_required
@require_POST
def cancel(request: HttpRequest) -> HttpResponse:
    """Abandon the import waiting in this session: its staged file goes, nothing is written."""
    return STAGE.cancel(request)


def _download(data: bytes, filename: str, content_type: str = XLSX) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@import_permission_required
@require_safe
def template(request: HttpRequest) -> HttpResponse:
    periods = PeriodIndex()
    open_period = next((p for p in reversed(periods.periods) if p.is_open), None)
    period = open_period or default_period(periods)
    return _download(template_workbook(period), "trustplan-template.xlsx")


@import_permission_required
@require_safe
def example(request: HttpRequest) -> HttpResponse:
    return _download(example_workbook(), "trustplan-example-amethyst.xlsx")


# --- Exports of the board -------------------------------------------------------------------


@require_safe
def export_xlsx(request: HttpRequest) -> HttpResponse:
    """The board pack of a period (everyone who sees the board may download it, with the
    academies they may see)."""
    periods = PeriodIndex()
    period = period_from_request(request, periods)
    if period is None:
        raise Http404("No periods yet")
    response = HttpResponse(
        board_pack(period, academy_ids=permissions.visible_academy_ids(request.user)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"board-pack-{matrix_sheet_name(period).replace(' ', '-').lower()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_safe
def export_csv(request: HttpRequest) -> HttpResponse:
    """Submitted and approved values of a period (or every period with ?period=all), of the
    academies the user may see."""
    periods = PeriodIndex()
    period = None if request.GET.get("period") == "all" else period_from_request(request, periods)
    data = values_csv(period, academy_ids=permissions.visible_academy_ids(request.user))
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    name = f"kpi-values-{period.slug if period else 'all'}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
