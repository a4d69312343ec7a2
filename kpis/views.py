"""The board's KPI pages: the matrix of one period and one KPI across academies and periods."""

from __future__ import annotations

import datetime
import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from academies import permissions
from academies.models import Academy
from core import history
from core.http import parse_id
from kpis import rag
from kpis.forms import EntryRow, ReturnForm
from kpis.measures import initial_text
from kpis.models import (
    KPI,
    Inspection,
    KPIValue,
    Period,
    Return,
    ReturnStatus,
)
from kpis.returns import (
    ReturnConflict,
    ReturnContext,
    ReturnError,
    check_rows,
    default_due_date,
    editable_refusal,
    inspection_in_force,
    period_set_open,
    return_approve,
    return_reopen,
    return_save,
    return_send_back,
)
from kpis.selectors import PeriodIndex

# --- Termly returns: data entry ---------------------------------------------------------------


def _return_for_editor(request: HttpRequest, academy_slug: str, period_slug: str):
    """(academy, period, return or None) if the user may enter for this academy, else 403."""
    academy = get_object_or_404(Academy, slug=academy_slug)
    period = get_object_or_404(Period, slug=period_slug)
    if not permissions.can_enter_for(request.user, academy.pk):
        raise PermissionDenied("You can only enter values for the academies you lead.")
    ret = (
        Return.objects.filter(academy=academy, period=period)
        .select_related("updated_by", "submitted_by", "approved_by")
        .first()
    )
    return academy, period, ret


def _entry_context(academy, period, ret, user, *, data=None, after_save=False, refused=False):
    """The entry page: the form (bound to ``data`` when posted), each KPI's row and what to
    resolve before Submit. ``after_save``: ``data`` was just saved (its rows that could not be
    read were not), so the form carries the new version and the values as now stored."""
    periods = PeriodIndex()
    every = [kpi for kpi in KPI.objects.active().with_area() if kpi.applies_to(academy)]
    # The KPIs measured from inspections are read-only here: they show the inspection in
    # force, recorded once on the academy's inspections page (kpis.inspections).
    kpis = [kpi for kpi in every if not kpi.from_inspections]
    inspected = [kpi for kpi in every if kpi.from_inspections]
    previous = periods.previous(period)
    last_year = periods.by_year_term.get((period.year_start - 1, period.term))
    baseline_of = {kpi.pk: periods.baseline(kpi, period) for kpi in kpis}
    stored = _StoredValues(academy, [period, previous, last_year, *baseline_of.values()])
    judging = ReturnContext.load(
        kpis=kpis, academy=academy, period=period, periods=periods, value_of=stored.value
    )
    existing = stored.in_period(period)
    if data is not None and after_save:
        data = _as_saved(data, kpis, existing, ret)
    locked_reason = editable_refusal(ret=ret, period=period, user=user)
    form = ReturnForm(
        data,
        kpis=kpis,
        existing=existing,
        read_only=locked_reason is not None,
        initial={"version": ret.version if ret else 0},
    )
    if data is not None:
        form.is_valid()
    checks = check_rows(
        kpis, {k: (v.value, v.not_available, v.note) for k, v in existing.items()}, judging
    )
    # Warnings once a draft exists: a form not started yet is not a list of problems.
    checking = (
        locked_reason is None
        and ret is not None
        and ret.status in (ReturnStatus.DRAFT, ReturnStatus.SENT_BACK)
    )
    rows = _entry_rows(academy, period, kpis, form, stored, judging, checks, checking, last_year)
    in_force = None
    if inspected:
        in_force = inspection_in_force(
            list(Inspection.objects.filter(academy=academy).order_by("date")), period
        )
    inspection_rows = []
    for kpi in inspected:
        value = getattr(existing.get(kpi.pk), "value", None)
        inspection_rows.append(
            (kpi, rag.format_value(value, kpi.measure), judging.judge(kpi, value))
        )
    return {
        "inspection_rows": inspection_rows,
        "inspection_in_force": in_force,
        "may_record_inspection": permissions.may_record_inspection(user, academy),
        "academy": academy,
        "period": period,
        "ret": ret,
        "form": form,
        "kpis": kpis,
        "areas": _by_area(rows),
        "unsaved": [row for row in rows if row.error],
        # A row not saved is listed once, with why; what it lacks comes after it is corrected.
        "problems": [row for row in rows if row.problem and not row.empty and not row.error],
        "empty": [row for row in rows if row.problem and row.empty and not row.error],
        "refused": refused,
        # For return.js (a data attribute, never an inline script): the board's words.
        "rag_words": json.dumps(
            {o.value: [o.symbol, o.label] for o in rag.Outcome}, ensure_ascii=False
        ),
        "previous_period": previous,
        "last_year_period": last_year,
        "editable": locked_reason is None,
        "locked_reason": locked_reason or "",
        "may_review_returns": permissions.may_review_returns(user),
    }


def _as_saved(data, kpis, existing, ret):
    """Posted data after its save: the return's new version, and each "was" field the value
    as stored now (the next save's conflict check compares with what this page shows)."""
    data = data.copy()
    data["version"] = str(ret.version if ret else 0)
    for kpi in kpis:
        current = existing.get(kpi.pk)
        value = getattr(current, "value", None)
        data[f"was_{kpi.pk}"] = "" if value is None else initial_text(kpi, value)
    return data


class _StoredValues:
    """An academy's stored values in a few periods (one query), by KPI and period."""

    def __init__(self, academy: Academy, periods: list[Period | None]) -> None:
        ids = [p.pk for p in periods if p]
        self.rows = {
            (v.kpi_id, v.period_id): v
            for v in KPIValue.objects.filter(academy=academy, period_id__in=ids)
        }

    def value(self, kpi: KPI, at: Period | None):
        """The stored value (None when blank or not read, or when ``at`` is None)."""
        row = self.rows.get((kpi.pk, at.pk)) if at else None
        return getattr(row, "value", None)

    def in_period(self, period: Period) -> dict[int, KPIValue]:
        return {kpi_id: v for (kpi_id, period_id), v in self.rows.items() if period_id == period.pk}


def _entry_rows(
    academy, period, kpis, form, stored: _StoredValues, judging, checks, checking, last_year
) -> list[EntryRow]:
    """One row per KPI: its form fields, the previous and last year's values, the target in
    words (this academy's target, the period's national figure), the stored value's RAG, what
    stops a Submit, and its history."""
    history = _history_by_kpi(academy, period)
    rows = []
    for kpi in kpis:
        threshold, amber, words = judging.threshold(kpi)
        check = checks[kpi.pk]
        row = EntryRow(
            kpi=kpi,
            value_field=form[f"value_{kpi.pk}"],
            note_field=form[f"note_{kpi.pk}"],
            na_field=form[f"na_{kpi.pk}"],
            was_field=form[f"was_{kpi.pk}"],
            previous=rag.format_value(judging.previous[kpi.pk], kpi.measure, kpi.unit),
            last_year=rag.format_value(stored.value(kpi, last_year), kpi.measure, kpi.unit),
            target=words,
            history=_history_lines(kpi, history.get(kpi.pk, [])),
            judgement=check.judgement,
            error=form.row_errors.get(kpi.pk, ""),
            problem=check.problem if checking else "",
            empty=check.empty,
            threshold=threshold,
            amber=amber,
        )
        _describe_fields(form, row)
        rows.append(row)
    return rows


def _describe_fields(form, row: EntryRow) -> None:
    """Point the row's fields at its message and its RAG (aria-describedby), as GOV.UK's
    error pattern does; an unreadable value is marked invalid."""
    described = [row.message_id] if row.error or row.problem else []
    for name in ("note", "na"):
        if described:
            form.fields[f"{name}_{row.kpi.pk}"].widget.attrs["aria-describedby"] = row.message_id
    attrs = form.fields[f"value_{row.kpi.pk}"].widget.attrs
    attrs["aria-describedby"] = " ".join([*described, f"rag-{row.kpi.pk}"])
    if row.error:
        attrs["aria-invalid"] = "true"


def _history_by_kpi(academy: Academy, period: Period) -> dict[int, list]:
    """The academy's value history in the period, oldest first, by KPI (one query)."""
    history: dict[int, list] = {}
    for record in (
        KPIValue.history.filter(academy=academy, period=period)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    ):
        history.setdefault(record.kpi_id, []).append(record)
    return history


def _by_area(rows: list[EntryRow]) -> list[tuple]:
    """[(area, rows)] in the rows' order (KPIs come ordered by area)."""
    areas: list[tuple] = []
    for row in rows:
        if not areas or areas[-1][0] != row.kpi.area:
            areas.append((row.kpi.area, []))
        areas[-1][1].append(row)
    return areas


def _history_lines(kpi: KPI, records: list) -> list[history.Entry]:
    """Each save of the value, oldest first: who, when, what changed in words ("Value: 55% →
    62%", "Note: none → New maths lead…") and why; a save that changed nothing is left out."""

    def value(record) -> str:
        if record.not_available:
            return "not available"
        return rag.format_value(record.value, kpi.measure, kpi.unit)

    return history.entries(
        records,
        # The row names the KPI, academy and period; who saved it is the entry's; the value's
        # words say "not available".
        exclude=["kpi", "academy", "period", "updated_by", "is_demo", "not_available"],
        formatters={"value": value},
    )


@require_http_methods(["GET", "POST"])
def entry(request: HttpRequest, academy_slug: str, period_slug: str) -> HttpResponse:
    """The return form. Save draft saves every row it can read; a row it cannot read keeps its
    stored value and is shown with what was typed and why. Submit saves the draft too, and is
    refused while check_rows finds problems (listed, each linked to its row)."""
    academy, period, ret = _return_for_editor(request, academy_slug, period_slug)
    if request.method == "GET":
        return render(
            request, "kpis/entry.html", _entry_context(academy, period, ret, request.user)
        )
    context = _entry_context(academy, period, ret, request.user, data=request.POST)
    if not context["editable"]:
        messages.error(request, context["locked_reason"])
        return render(request, "kpis/entry.html", context, status=409)
    form = context["form"]
    if form.refused_whole:
        messages.error(
            request,
            "Nothing was saved: the form's version is missing or damaged. Reload the page.",
        )
        return render(request, "kpis/entry.html", context, status=400)
    unreadable = len(form.row_errors)
    if unreadable and not form.changes_anything():
        messages.error(
            request,
            f"Nothing was saved: {unreadable} value(s) could not be read (listed below) and "
            "nothing else had changed.",
        )
        return render(request, "kpis/entry.html", context, status=400)
    wants_submit = request.POST.get("action") == "submit"
    was = {kpi.pk: form.cleaned_data.get(f"was_{kpi.pk}") or "" for kpi in context["kpis"]}
    try:
        result = return_save(
            academy=academy,
            period=period,
            user=request.user,
            kpis=context["kpis"],
            values=form.values,
            version=form.cleaned_data["version"],
            was=was,
            submit=wants_submit and not unreadable,
        )
    except ReturnConflict as error:
        fresh = Return.objects.filter(academy=academy, period=period).first()
        data = request.POST.copy()
        data["version"] = str(fresh.version if fresh else 0)
        context = _entry_context(academy, period, fresh, request.user, data=data)
        context["conflict"] = error
        messages.error(request, str(error))
        return render(request, "kpis/entry.html", context, status=409)
    except ReturnError as error:
        messages.error(request, str(error))
        return render(request, "kpis/entry.html", context, status=409)
    if unreadable or result.problems:
        messages.error(request, _partly_saved(result, unreadable, wants_submit))
        context = _entry_context(
            academy,
            period,
            result.ret,
            request.user,
            data=request.POST,
            after_save=True,
            refused=wants_submit,
        )
        return render(request, "kpis/entry.html", context, status=400)
    if result.submitted:
        messages.success(request, f"{academy.name}'s return for {period} is submitted. Thank you.")
    else:
        messages.success(
            request, f"Draft saved: {result.changed} value(s) changed. It is not yet submitted."
        )
    return redirect("entry:form", academy_slug=academy.slug, period_slug=period.slug)


def _partly_saved(result, unreadable: int, wanted_submit: bool) -> str:
    saved = f"Draft saved: {result.changed} value(s) changed"
    if unreadable:
        saved += f", but {unreadable} value(s) could not be read and were not saved"
    if wanted_submit:
        problems = len(result.problems)
        why = f"{problems} thing(s) to resolve" if problems else "correct the values first"
        return f"{saved}. The return was not submitted: {why}, listed below."
    return f"{saved}. Correct them (listed below) and save again."


def _central_return(request: HttpRequest, academy_slug: str, period_slug: str) -> Return:
    if not permissions.may_review_returns(request.user):
        raise PermissionDenied("Only central team can approve, send back or reopen returns.")
    return get_object_or_404(
        Return.objects.select_related("academy", "period"),
        academy__slug=academy_slug,
        period__slug=period_slug,
    )


def _version(request: HttpRequest) -> int:
    return parse_id(request.POST.get("version")) or 0


@require_POST
def approve(request: HttpRequest, academy_slug: str, period_slug: str) -> HttpResponse:
    ret = _central_return(request, academy_slug, period_slug)
    try:
        return_approve(ret=ret, user=request.user, version=_version(request))
        messages.success(request, f"Approved {ret.academy.name}'s return for {ret.period}.")
    except ReturnError as error:
        messages.error(request, str(error))
    return redirect("entry:form", academy_slug=academy_slug, period_slug=period_slug)


@require_POST
def send_back(request: HttpRequest, academy_slug: str, period_slug: str) -> HttpResponse:
    ret = _central_return(request, academy_slug, period_slug)
    try:
        return_send_back(
            ret=ret,
            user=request.user,
            version=_version(request),
            reason=request.POST.get("reason", "")[:2000],
        )
        messages.success(request, f"Sent {ret.academy.name}'s return for {ret.period} back.")
    except ReturnError as error:
        messages.error(request, str(error))
    return redirect("entry:form", academy_slug=academy_slug, period_slug=period_slug)


@require_POST
def reopen(request: HttpRequest, academy_slug: str, period_slug: str) -> HttpResponse:
    ret = _central_return(request, academy_slug, period_slug)
    try:
        return_reopen(ret=ret, user=request.user, version=_version(request))
        messages.success(
            request, f"Reopened {ret.academy.name}'s return for {ret.period} as a draft."
        )
    except ReturnError as error:
        messages.error(request, str(error))
    return redirect("entry:form", academy_slug=academy_slug, period_slug=period_slug)


@require_POST
def period_status(request: HttpRequest, period_slug: str) -> HttpResponse:
    if not permissions.may_open_periods(request.user):
        raise PermissionDenied("Only central team can open or close a period.")
    period = get_object_or_404(Period, slug=period_slug)
    wanted = request.POST.get("open")
    if wanted not in ("0", "1"):
        messages.error(request, "Say whether to open (1) or close (0) the period.")
        return redirect("entry:grid")
    due_date, typed = None, request.POST.get("due_date", "")
    # Opening needs the date returns are due (the form offers one); a period that has one
    # keeps it unless another is typed.
    if wanted == "1" and (typed.strip() or period.due_date is None):
        try:
            due_date = _due_date(period, typed)
        except ValueError as problem:
            messages.error(request, f"{problem} {period} was not changed.")
            return redirect("entry:grid")
    period_set_open(period=period, is_open=wanted == "1", due_date=due_date)
    due = f", returns due {date_format(period.due_date, 'j M Y')}" if period.is_open else ""
    messages.success(
        request, f"{period} is now {'open' if period.is_open else 'closed'} for entry{due}."
    )
    return redirect("entry:grid")


def _due_date(period: Period, text: str) -> datetime.date:
    """The date central team typed for a period's returns to be due; ValueError says what is
    wrong with it."""
    text = text.strip()[:40]
    if not text:
        raise ValueError(f"Give the date {period}'s returns are due to open it.")
    try:
        due = parse_date(text)
    except ValueError:  # well formed, but no such day (2027-02-30)
        due = None
    if due is None:
        raise ValueError(
            f"The due date for {period} must be a date such as 2027-01-15; you entered “{text}”."
        )
    earliest = datetime.date(period.year_start, 9, 1)
    latest = period.end_date + datetime.timedelta(days=365)
    if not earliest <= due <= latest:
        raise ValueError(
            f"The due date for {period} must be between {date_format(earliest, 'j M Y')} and "
            f"{date_format(latest, 'j M Y')}; you entered {date_format(due, 'j M Y')}."
        )
    return due


@require_safe
def grid(request: HttpRequest) -> HttpResponse:
    """Completeness of every academy × period: central team see all, heads their own."""
    user = request.user
    if not permissions.may_enter_returns(user):
        raise PermissionDenied("Only central team and headteachers enter KPI returns.")
    academies = Academy.objects.active()
    entering = permissions.entry_academy_ids(user)
    if entering is not None:
        academies = academies.filter(pk__in=entering)
    academies = list(academies)
    periods = list(Period.objects.order_by("-year_start", "-term"))
    for period in periods:  # what the date box offers when central team open it
        period.proposed_due_date = period.due_date or default_due_date(period)
    returns = {
        (r.academy_id, r.period_id): r
        for r in Return.objects.filter(academy__in=academies).select_related("updated_by")
    }
    today = timezone.localdate()
    rows = [
        (
            academy,
            [_grid_cell(period, returns.get((academy.pk, period.pk)), today) for period in periods],
        )
        for academy in academies
    ]
    return render(
        request,
        "kpis/grid.html",
        {
            "rows": rows,
            "periods": periods,
            "every_academy": entering is None,
            "may_review_returns": permissions.may_review_returns(user),
            "may_open_periods": permissions.may_open_periods(user),
        },
    )


def _grid_cell(period: Period, ret: Return | None, today: datetime.date) -> tuple:
    """(period, return or None, whether it is overdue) for one cell of the returns grid."""
    return period, ret, period.return_overdue(ret, today)


# --- Exports -----------------------------------------------------------------------------------
