"""Plan import for administrators: a Word document (.docx) or a plan sheet workbook into a new
draft plan or an existing plan — upload, preview the plan's tree, confirm (spreadsheets.
plan_document).

As the workbook import (spreadsheets.views): the upload waits under TRUSTPLAN_IMPORT_DIR
(core.staging) under a random token kept in the session; confirming reads it again and applies
it in one transaction, or nothing if it no longer reads cleanly. Owners the file names that
trustplan lacks are created only when the administrator ticks the box in the preview.
"""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core import staging
from core.http import form_data
from core.workbook import WorkbookRefused, check_size
from plans.models import Plan, PlanStatus
from plans.references import ReferenceError
from plans.services import PlanArchived
from spreadsheets.plan_document import (
    aim_number,
    apply_plan_import,
    parse_years,
    prepare_plan_import,
)
from spreadsheets.views import counts_in_words, import_permission_required

STAGE = staging.SessionStage("plan_import", "plan import", "imports:plan_upload", "plan")
NEW, EXISTING = "new", "existing"


class PlanUploadForm(forms.Form):
    file = forms.FileField(
        label="Development plan: Word document (.docx) or plan sheet workbook (.xlsx)",
        widget=forms.ClearableFileInput(attrs={"accept": ".docx,.xlsx"}),
    )
    into = forms.ChoiceField(
        label="Import it into",
        choices=[(NEW, "A new draft plan"), (EXISTING, "An existing plan (add and update)")],
        initial=NEW,
        widget=forms.RadioSelect,
    )
    title = forms.CharField(
        label="New plan's title",
        max_length=200,
        required=False,
        help_text="Blank: the document's first line.",
    )
    years = forms.CharField(
        label="New plan's years",
        max_length=20,
        required=False,
        help_text="Such as 2023-2024 or 2019-2022. Blank: the years the title gives.",
    )
    plan = forms.ModelChoiceField(
        label="Existing plan",
        queryset=Plan.objects.none(),
        required=False,
        empty_label="Choose a plan",
        help_text="Archived plans are not listed: they are kept as they were.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = Plan.objects.exclude(status=PlanStatus.ARCHIVED)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_size(upload.size)
        except WorkbookRefused as error:
            raise forms.ValidationError(str(error)) from error
        return upload

    def clean_years(self):
        text = self.cleaned_data["years"].strip()
        if text and parse_years(text) is None:
            raise forms.ValidationError("Give the first and last year, such as 2023-2024.")
        return text

    def clean(self):
        data = super().clean()
        if data.get("into") == EXISTING and not data.get("plan"):
            self.add_error("plan", "Choose the plan to add to and update.")
        return data


def _prepare(data: bytes, pending: dict, *, create_owners: bool = False):
    plan = Plan.objects.filter(pk=pending["plan"]).first() if pending.get("plan") else None
    if pending.get("plan") and plan is None:
        return None  # deleted since the preview
    years = parse_years(pending.get("years") or "")
    return prepare_plan_import(
        data,
        pending["filename"],
        title=pending.get("title", ""),
        years=years,
        plan=plan,
        create_owners=create_owners,
    )


def _render_preview(request, preview, token: str, status: int = 200) -> HttpResponse:
    result = preview.result
    return render(
        request,
        "spreadsheets/plan_preview.html",
        {
            "preview": preview,
            "token": token,
            "changes": _in_plan_words(counts_in_words(result.counts), result) if result else [],
            "tree": _tree(result) if result else [],
            "objective_label": (result.objective_label if result else "") or "Strategic objective",
        },
        status=status,
    )


def _plural(label: str) -> str:
    return f"{label[:-1]}ies" if label.endswith("y") else f"{label}s"


def _in_plan_words(lines: list[str], result) -> list[str]:
    """Counts in the words of the plan read ("Key priorities: 5 new" for a 2019–2022 plan)."""
    labels = {
        "Strategic objectives": _plural(result.objective_label or "Strategic objective"),
        "Aims": _plural(result.aim_label or "Aim"),
    }
    return [
        next((line.replace(k, v, 1) for k, v in labels.items() if line.startswith(f"{k}:")), line)
        for line in lines
    ]


def _tree(result) -> list[dict]:
    """The plan the file holds, for the template: objectives, their aims numbered with their
    actions, and their groups (actions and success criteria serving several aims)."""
    objectives = []
    for objective in result.objectives:
        aims = [
            {"number": f"{objective.number}.{position}", "row": aim}
            for position, aim in enumerate(objective.aims, start=1)
        ]
        groups = [
            {"numbers": [aim_number(objective, aim) for aim in group.aims], "row": group}
            for group in objective.groups
        ]
        objectives.append({"row": objective, "aims": aims, "groups": groups})
    return objectives


@import_permission_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    form = PlanUploadForm(*form_data(request, files=True))
    if STAGE.received(request, form):
        upload_file = form.cleaned_data["file"]
        data = upload_file.read()
        existing = form.cleaned_data["into"] == EXISTING
        pending = {
            "filename": Path(upload_file.name).name[:200],
            "plan": form.cleaned_data["plan"].pk if existing else None,
            "title": "" if existing else form.cleaned_data["title"].strip(),
            "years": "" if existing else form.cleaned_data["years"],
        }
        preview = _prepare(data, pending)
        token = ""
        if preview.ok and preview.has_changes:
            token = staging.stage(data)
            STAGE.keep(request, token, pending)
        return _render_preview(request, preview, token)
    return STAGE.form_page(request, "spreadsheets/plan_upload.html", form)


@import_permission_required
@require_POST
def confirm(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("token", "")
    pending, data = STAGE.waiting(request, token)
    if data is None:
        if pending:
            STAGE.forget(request)
        return STAGE.gone(request)
    create_owners = request.POST.get("create_owners") == "on"
    preview = _prepare(data, pending, create_owners=create_owners)
    if preview is not None and preview.ok and preview.needs_owner_consent:
        # Still waiting: the administrator ticks the box, or corrects the document.
        messages.error(
            request,
            "The file names owners trustplan does not have: tick “Create these owners” to "
            "create them, or correct the file and upload it again. Nothing was written.",
        )
        return _render_preview(request, preview, token, status=400)
    STAGE.forget(request)  # applied or refused below: to try again, upload it again
    if preview is None or not preview.ok:
        return STAGE.refuse(request, preview.problems if preview else [])
    try:
        counts = apply_plan_import(preview, user=request.user)
    except (PlanArchived, ReferenceError, IntegrityError) as error:
        messages.error(request, f"Nothing was imported: {error}")
        return redirect("imports:plan_upload")
    plan = preview.result.plan
    summary = "; ".join(counts_in_words(counts)) or "no changes"
    messages.success(request, f"Imported {pending['filename']} into “{plan}”: {summary}.")
    return redirect(f"{reverse('plans:plan')}?plan={plan.pk}")


@import_permission_required
@require_POST
def cancel(request: HttpRequest) -> HttpResponse:
    """Abandon the plan import waiting in this session: its staged file goes, nothing written."""
    return STAGE.cancel(request)
