"""An academy's Ofsted inspections: the record (read by whoever may see the academy) and the
form a head (their own academies) or central team (any) records one with, once.

Every write goes through kpis.returns.record_inspection / delete_inspection, the return
lifecycle's rules: an inspection whose readings would change an approved return or a closed
period is refused, naming them.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from academies import permissions
from academies.models import Academy
from core.http import parse_id
from kpis import ofsted
from kpis.models import Framework, Inspection
from kpis.returns import ReturnError, delete_inspection, record_inspection

REPORT_CHOICES = [("", "—")] + [(str(g), w) for g, w in ofsted.REPORT_GRADES.items()]
FOUR_POINT_CHOICES = [("", "—")] + [(str(g), w) for g, w in ofsted.FOUR_POINT_GRADES.items()]
SAFEGUARDING_CHOICES = [("", "—"), ("1", "Met (effective)"), ("0", "Not met (not effective)")]


class InspectionForm(forms.Form):
    """One inspection: its date and framework, a grade for each area of that framework (the
    other framework's fields are ignored), and safeguarding."""

    date = forms.DateField(
        label="Date of the inspection",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The inspection's last day, as on the report.",
    )
    framework = forms.ChoiceField(
        choices=Framework.choices,
        widget=forms.RadioSelect,
        help_text="Report cards from 10 November 2025; grades 1–4 before. The two are never "
        "converted into each other.",
    )
    safeguarding = forms.ChoiceField(choices=SAFEGUARDING_CHOICES, label="Safeguarding")
    report_url = forms.URLField(
        label="Link to the report", required=False, assume_scheme="https", max_length=200
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for key, name in ofsted.REPORT_CARD_AREAS.items():
            optional = " (if the school has one)" if key in ofsted.OPTIONAL_AREAS else ""
            self.fields[f"rc_{key}"] = forms.ChoiceField(
                choices=REPORT_CHOICES, required=False, label=f"{name}{optional}"
            )
        for key, name in ofsted.FOUR_POINT_AREAS.items():
            self.fields[f"fp_{key}"] = forms.ChoiceField(
                choices=FOUR_POINT_CHOICES, required=False, label=name
            )

    @property
    def report_card_fields(self):
        return [self[f"rc_{key}"] for key in ofsted.REPORT_CARD_AREAS]

    @property
    def four_point_fields(self):
        return [self[f"fp_{key}"] for key in ofsted.FOUR_POINT_AREAS]

    def clean_date(self) -> datetime.date:
        date = self.cleaned_data["date"]
        if date > datetime.date.today():
            raise forms.ValidationError("An inspection cannot be dated in the future.")
        return date

    def grades(self) -> dict[str, int]:
        framework = self.cleaned_data["framework"]
        prefix = "rc_" if framework == ofsted.REPORT_CARD else "fp_"
        return {
            key: int(self.cleaned_data[f"{prefix}{key}"])
            for key in ofsted.AREAS[framework]
            if self.cleaned_data.get(f"{prefix}{key}")
        }

    def safeguarding_met(self) -> bool | None:
        answer = self.cleaned_data.get("safeguarding")
        return None if answer in (None, "") else answer == "1"

    @classmethod
    def initial_of(cls, inspection: Inspection) -> dict:
        prefix = "rc_" if inspection.framework == ofsted.REPORT_CARD else "fp_"
        initial = {
            "date": inspection.date,
            "framework": inspection.framework,
            "report_url": inspection.report_url,
            "safeguarding": ""
            if inspection.safeguarding_met is None
            else ("1" if inspection.safeguarding_met else "0"),
        }
        for key, grade in (inspection.grades or {}).items():
            initial[f"{prefix}{key}"] = str(grade)
        return initial


def _academy(request: HttpRequest, slug: str) -> Academy:
    academy = get_object_or_404(Academy, slug=slug)
    if not permissions.may_see_academy(request.user, academy.pk):
        raise Http404("No such academy")
    return academy


@require_http_methods(["GET", "HEAD", "POST"])
def inspections(request: HttpRequest, academy_slug: str) -> HttpResponse:
    """The academy's inspections, newest first, and (for those who may) the form to record
    one; ``?edit=<id>`` corrects one."""
    academy = _academy(request, academy_slug)
    may_record = permissions.may_record_inspection(request.user, academy)
    editing = None
    edit_id = parse_id(request.GET.get("edit") or request.POST.get("inspection"))
    if edit_id is not None:
        editing = get_object_or_404(Inspection, pk=edit_id, academy=academy)
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied("You may not record inspections for this academy.")
        form = InspectionForm(request.POST)
        if form.is_valid():
            try:
                saved = record_inspection(
                    academy=academy,
                    date=form.cleaned_data["date"],
                    framework=form.cleaned_data["framework"],
                    grades=form.grades(),
                    safeguarding_met=form.safeguarding_met(),
                    report_url=form.cleaned_data.get("report_url") or "",
                    user=request.user,
                    inspection=editing,
                )
            except ReturnError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    f"Inspection of {saved.date:%-d %B %Y} recorded: every period from it "
                    "shows it until the next.",
                )
                return redirect("entry:inspections", academy_slug=academy.slug)
        status = 400
    else:
        form = InspectionForm(initial=InspectionForm.initial_of(editing) if editing else None)
        status = 200
    records = list(
        Inspection.objects.filter(academy=academy).select_related("recorded_by").order_by("-date")
    )
    return render(
        request,
        "kpis/inspections.html",
        {
            "academy": academy,
            "inspections": records,
            "form": form if may_record else None,
            "editing": editing,
            "may_record": may_record,
            # The demo's calendar ends in 2023/24: its report cards are dated there to show
            # both scales, before report cards really began (the page says so).
            "demo_early_cards": any(
                i.is_demo
                and i.framework == ofsted.REPORT_CARD
                and i.date < ofsted.REPORT_CARDS_FROM
                for i in records
            ),
        },
        status=status,
    )


@require_POST
def delete(request: HttpRequest, academy_slug: str, inspection_id: int) -> HttpResponse:
    academy = _academy(request, academy_slug)
    inspection = get_object_or_404(Inspection, pk=inspection_id, academy=academy)
    if not permissions.may_record_inspection(request.user, academy):
        raise PermissionDenied("You may not record inspections for this academy.")
    try:
        delete_inspection(inspection, user=request.user)
    except ReturnError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The inspection of {inspection.date:%-d %B %Y} is removed.")
    return redirect("entry:inspections", academy_slug=academy.slug)
