"""The development plan: the tree, action detail, editing, progress updates, governance."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from academies import permissions
from core import history
from core.cache import CACHE_SECONDS
from core.http import form_data, parse_id
from kpis.cache import board_version
from plans import services
from plans.cache import plan_version
from plans.filters import ActionFilter
from plans.forms import ActionForm, AimForm, ObjectiveForm, ProgressUpdateForm
from plans.models import Action, Aim, Plan, PlanStatus, ProgressUpdate, StrategicObjective
from plans.selectors import (
    actions_for_display,
    active_plan,
    deletion_summary,
    kpi_rag_map,
    plan_tree_view,
    tree_board_key,
)


def _require_central(request: HttpRequest) -> None:
    if not permissions.may_edit_plan(request.user):
        raise PermissionDenied("Only central team and administrators edit the plan.")


def can_post_update(user, action: Action) -> bool:
    """Central team, or a user linked to one of the action's responsible owners; never on an
    archived plan, which is kept as it was."""
    if action.plan.status == PlanStatus.ARCHIVED:
        return False
    return permissions.may_post_update(user, action)


def _plan_from_request(request: HttpRequest) -> Plan | None:
    plan_id = request.GET.get("plan")
    if plan_id:
        if parse_id(plan_id) is None:
            raise Http404("No such plan")
        return get_object_or_404(Plan, pk=parse_id(plan_id))
    return active_plan()


@require_safe
def plan_page(request: HttpRequest) -> HttpResponse:
    plan = _plan_from_request(request)
    plans = list(Plan.objects.order_by("-start_year", "title"))
    if plan is None:
        return render(request, "plans/plan.html", {"plan": None, "plans": plans})
    # A governor's tree: the trust-wide actions and those naming their academies.
    actions = permissions.visible_actions(request.user, Action.objects.filter(objective__plan=plan))
    actions = actions.with_current_status()
    action_filter = ActionFilter(request.GET or None, queryset=actions, plan=plan)
    valid = not action_filter.is_bound or action_filter.form.is_valid()
    filtered = (
        action_filter.is_bound
        and valid
        and any(
            value not in (None, "", False) for value in action_filter.form.cleaned_data.values()
        )
    )
    can_edit = permissions.may_edit_plan(request.user) and plan.status != PlanStatus.ARCHIVED
    others = [other for other in plans if other != plan]  # linked: "Earlier plans: …"
    today = timezone.localdate()
    # The template caches the tree ({% cache %}) under the plan's version token and what the
    # tree shows of the board (plans.selectors.tree_board_key: the chips' ratings, KPI names,
    # term end dates; a submitted return that re-rates no chip keeps the tree), the day
    # (overdue depends on it), who may edit, the filter and the academies in view; the tree is
    # computed only when it is not cached. No token (none yet, or a filter in error): timeout
    # 0, nothing cached.
    rating = functools.cache(lambda: kpi_rag_map(plan))  # once, for the key and the tree

    token = None
    if valid and (plan_token := plan_version()):
        board_key = tree_board_key(plan, board_version(), rating)
        token = f"{plan_token}-{board_key}" if board_key else None
    tree_key = (
        token,
        plan.pk,
        today.isoformat(),
        can_edit,
        _filter_key(action_filter) if filtered else None,
        permissions.scope_key(request.user),
    )
    tree_view = SimpleLazyObject(
        lambda: plan_tree_view(
            plan, action_filter.qs, filtered=filtered, today=today, rating=rating()
        )
    )
    return render(
        request,
        "plans/plan.html",
        {
            "plan": plan,
            "plans": plans,
            "other_plans": others,
            "others_label": (
                "Earlier plans"
                if all(other.start_year < plan.start_year for other in others)
                else "Other plans"
            ),
            "filter": action_filter,
            "filtered": filtered,
            "can_edit": can_edit,
            "today": today,
            "tree_view": tree_view,
            "tree_key": tree_key,
            "tree_timeout": CACHE_SECONDS if token else 0,
        },
    )


def _filter_key(action_filter: ActionFilter) -> tuple:
    """The chosen filters as plain values (objects by primary key) for a cache key."""
    return tuple(
        (name, getattr(value, "pk", value))
        for name, value in sorted(action_filter.form.cleaned_data.items())
    )


def _detail_context(request: HttpRequest, pk: int, form: ProgressUpdateForm) -> dict:
    action = get_object_or_404(actions_for_display(Action.objects.all()), pk=pk)
    if not permissions.may_see_action(request.user, action):
        raise Http404("No such action")  # outside a governor's academies: as if unknown
    aim_ids = [aim.pk for aim in action.aims.all()]
    period, rag = kpi_rag_map(action.objective.plan)  # ratings of the plan's own years only
    return {
        "action": action,
        "plan": action.objective.plan,
        "criteria": action.objective.success_criteria.filter(aims__in=aim_ids)
        .distinct()
        .order_by("position"),
        "updates": action.updates.select_related("author").order_by("-date", "-created_at", "-pk"),
        "history": _action_history(action),
        "rag": rag,
        "rag_period": period,
        "today": timezone.localdate(),
        "form": form,
        "can_update": can_post_update(request.user, action),
        "can_edit": permissions.may_edit_plan(request.user),
    }


# The action page reads this many of the latest history records (several per save) and shows
# the saves among them, newest first.
HISTORY_RECORDS = 200
# The model's verbose names that read badly alone, as the action's form and page call them.
ACTION_HISTORY_LABELS = {"due_period": "Due by the end of term", "academies": "Academies in scope"}


def _action_history(action: Action) -> list[history.Entry]:
    """The action's saves, newest first, each saying what it changed (owners, monitors, KPIs and
    academies added or removed; dates, terms and text old → new). Queries: the records, with
    who saved them and the due term and objective the words name, then one per linked kind."""
    records = list(
        action.history.select_related("history_user", "due_period", "objective__plan").order_by(
            "-history_date", "-history_id"
        )[: HISTORY_RECORDS + 1]
    )
    records.reverse()
    before = records.pop(0) if len(records) > HISTORY_RECORDS else None
    # Its position among its siblings is the plan's order, shown by the tree, not a change to it.
    return history.entries(
        records, before=before, exclude=["position"], labels=ACTION_HISTORY_LABELS
    )[::-1]


@require_safe
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    form = ProgressUpdateForm(initial={"date": timezone.localdate()})
    return render(request, "plans/action_detail.html", _detail_context(request, pk, form))


@require_POST
def action_update(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(
        Action.objects.select_related("objective__plan").prefetch_related("responsible"), pk=pk
    )
    if not can_post_update(request.user, action):
        raise PermissionDenied("Only the action's owners and central team post progress.")
    form = ProgressUpdateForm(request.POST, instance=ProgressUpdate(action=action))
    if not form.is_valid():
        messages.error(request, "The update was not posted: please correct the fields below.")
        context = _detail_context(request, pk, form)
        return render(request, "plans/action_detail.html", context, status=400)
    update = services.progress_update_post(action=action, user=request.user, **form.cleaned_data)
    messages.success(request, f"Progress posted: {update.get_status_display().lower()}.")
    return redirect("plans:action", pk=action.pk)


def _editable_plan(plan: Plan) -> None:
    """Refuse (403) a page that would change an archived plan before showing its form."""
    services.require_editable(plan)


def _form_page(request: HttpRequest, form, *, title: str, back: str) -> HttpResponse:
    """The editing form; after a POST, it is the form with its errors (400)."""
    status = 400 if request.method == "POST" else 200
    return render(
        request, "plans/form.html", {"form": form, "title": title, "back": back}, status=status
    )


@require_http_methods(["GET", "POST"])
def objective_create(request: HttpRequest, plan_id: int) -> HttpResponse:
    _require_central(request)
    plan = get_object_or_404(Plan, pk=plan_id)
    _editable_plan(plan)
    next_number = (plan.objectives.aggregate(n=Max("number"))["n"] or 0) + 1
    form = ObjectiveForm(*form_data(request), plan=plan, initial={"number": next_number})
    if request.method == "POST" and form.is_valid():
        objective = services.objective_create(plan=plan, user=request.user, **form.cleaned_data)
        messages.success(request, f"Added {plan.objective_label.lower()} {objective.number}.")
        return redirect(_plan_url(plan))
    title = f"New {plan.objective_label.lower()}"
    return _form_page(request, form, title=title, back=_plan_url(plan))


@require_http_methods(["GET", "POST"])
def objective_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_central(request)
    objective = get_object_or_404(StrategicObjective.objects.select_related("plan"), pk=pk)
    plan = objective.plan
    _editable_plan(plan)
    form = ObjectiveForm(*form_data(request), instance=objective, plan=plan)
    if request.method == "POST" and form.is_valid():
        services.objective_edit(objective=objective, user=request.user, **form.cleaned_data)
        messages.success(request, f"Saved {objective}.")
        return redirect(_plan_url(plan))
    title = f"Edit {plan.objective_label.lower()}"
    return _form_page(request, form, title=title, back=_plan_url(plan))


@require_http_methods(["GET", "POST"])
def aim_create(request: HttpRequest, objective_id: int) -> HttpResponse:
    _require_central(request)
    objective = get_object_or_404(
        StrategicObjective.objects.select_related("plan"), pk=objective_id
    )
    plan = objective.plan
    _editable_plan(plan)
    form = AimForm(*form_data(request))
    if request.method == "POST" and form.is_valid():
        aim = services.aim_create(objective=objective, user=request.user, **form.cleaned_data)
        messages.success(request, f"Added {plan.aim_label.lower()} {aim.number}.")
        return redirect(_plan_url(plan))
    title = f"New {plan.aim_label.lower()} for {objective}"
    return _form_page(request, form, title=title, back=_plan_url(plan))


@require_http_methods(["GET", "POST"])
def aim_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_central(request)
    aim = get_object_or_404(Aim.objects.select_related("objective__plan"), pk=pk)
    plan = aim.plan
    _editable_plan(plan)
    form = AimForm(*form_data(request), instance=aim)
    if request.method == "POST" and form.is_valid():
        services.aim_edit(aim=aim, user=request.user, **form.cleaned_data)
        messages.success(request, f"Saved {plan.aim_label.lower()} {aim.number}.")
        return redirect(_plan_url(plan))
    title = f"Edit {plan.aim_label.lower()} {aim.number}"
    return _form_page(request, form, title=title, back=_plan_url(plan))


@require_http_methods(["GET", "POST"])
def action_create(request: HttpRequest, objective_id: int) -> HttpResponse:
    _require_central(request)
    objective = get_object_or_404(
        StrategicObjective.objects.select_related("plan"), pk=objective_id
    )
    _editable_plan(objective.plan)
    aim_id = parse_id(request.GET.get("aim"))
    initial = {"aims": [aim_id]} if aim_id is not None else {}
    form = ActionForm(*form_data(request), objective=objective, initial=initial)
    if request.method == "POST" and form.is_valid():
        action = services.action_create(
            objective=objective, user=request.user, **form.action_data()
        )
        messages.success(request, "Action added.")
        return redirect("plans:action", pk=action.pk)
    title = f"New action for {objective}"
    return _form_page(request, form, title=title, back=_plan_url(objective.plan))


@require_http_methods(["GET", "POST"])
def action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_central(request)
    action = get_object_or_404(Action.objects.select_related("objective__plan"), pk=pk)
    _editable_plan(action.plan)
    form = ActionForm(*form_data(request), instance=action, objective=action.objective)
    if request.method == "POST" and form.is_valid():
        services.action_edit(action=action, user=request.user, **form.action_data())
        messages.success(request, "Action saved.")
        return redirect("plans:action", pk=action.pk)
    back = reverse("plans:action", args=[action.pk])
    return _form_page(request, form, title="Edit action", back=back)


# What the delete and move URLs' <kind> names.
PLAN_ITEMS = {"objective": StrategicObjective, "aim": Aim, "action": Action}


@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Ask first (GET), then delete (POST). History keeps the deleted rows."""
    _require_central(request)
    model = PLAN_ITEMS.get(kind)
    if model is None:
        raise Http404("Nothing of that kind")
    item = get_object_or_404(model, pk=pk)
    plan = item.plan
    _editable_plan(plan)
    if request.method == "POST":
        description = str(item)
        services.plan_item_delete(item=item, user=request.user)
        messages.success(request, f"Deleted: {description}. Its history is kept.")
        return redirect(_plan_url(plan))
    return render(
        request,
        "plans/confirm_delete.html",
        {
            "object": item,
            "kind": kind,
            "affected": deletion_summary(item),
            "back": _plan_url(plan),
        },
    )


@require_POST
def move(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Move an objective, aim or action one place up or down among its siblings."""
    _require_central(request)
    model = PLAN_ITEMS.get(kind)
    direction = request.POST.get("direction")
    if model is None or direction not in ("up", "down"):
        raise Http404("Cannot move that")
    item = get_object_or_404(model, pk=pk)
    try:
        services.plan_item_move(item=item, direction=direction)
    except IntegrityError:
        # Only if the database's own serialisation let two moves through at once.
        messages.error(
            request, "Someone else moved this at the same moment; nothing changed. Try again."
        )
    return redirect(_plan_url(item.plan))


@require_POST
def plan_status(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Archive a plan (it stays readable) or make it the active one."""
    _require_central(request)
    plan = get_object_or_404(Plan, pk=plan_id)
    wanted = request.POST.get("status")
    if wanted not in PlanStatus.values:
        messages.error(request, "Choose archived, active or draft.")
        return redirect(_plan_url(plan))
    services.plan_set_status(plan=plan, status=wanted, user=request.user)
    messages.success(request, f"{plan} is now {plan.get_status_display().lower()}.")
    return redirect(_plan_url(plan))


def _plan_url(plan: Plan) -> str:
    return f"{reverse('plans:plan')}?plan={plan.pk}"
