"""The development plan: the tree, action detail, editing, progress updates, governance."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from academies import permissions
from core.cache import cached_fragment
from core.http import form_data, parse_id
from plans.cache import bump_plan_version, plan_and_board_version
from plans.filters import ActionFilter
from plans.forms import ActionForm, AimForm, ObjectiveForm, ProgressUpdateForm
from plans.models import Action, Aim, Plan, PlanStatus, ProgressUpdate, StrategicObjective
from plans.selectors import (
    action_rows,
    actions_for_display,
    active_plan,
    kpi_rag_map,
    plan_tree,
)


def _require_central(request: HttpRequest) -> None:
    if not permissions.may_edit_plan(request.user):
        raise PermissionDenied("Only central team and administrators edit the plan.")


def can_post_update(user, action: Action) -> bool:
    """Central team, or a user linked to one of the action's responsible owners; never on an
    archived plan, which is kept as it was."""
    if action.objective.plan.status == PlanStatus.ARCHIVED:
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
    can_edit = permissions.is_central(request.user) and plan.status != PlanStatus.ARCHIVED
    today = timezone.localdate()

    def render_tree() -> str:
        period, rag = kpi_rag_map()
        chosen = action_rows(actions_for_display(action_filter.qs), today)
        context = {
            "plan": plan,
            "tree": plan_tree(plan, chosen, filtered=filtered, today=today),
            "filtered": filtered,
            "rag": rag,
            "rag_period": period,
            "today": today,
            "can_edit": can_edit,
        }
        if can_edit:  # its forms get a placeholder, replaced by each editor's own token below
            context["csrf_token"] = CSRF_PLACEHOLDER
        return render_to_string("plans/_tree.html", context)

    # A tree is the same for every reader, and for every editor but for the CSRF token: cached
    # until the plan or the board changes (or the day does: overdue depends on it), per filter.
    parts = (
        plan.pk,
        today.isoformat(),
        can_edit,
        _filter_key(action_filter) if filtered else None,
        permissions.scope_key(request.user),
    )
    token = plan_and_board_version() if valid else None
    tree_html = cached_fragment("plan-tree", parts, render_tree, token)
    if can_edit:
        # This editor's own token (letters and digits only, so the HTML stays safe).
        tree_html = mark_safe(tree_html.replace(CSRF_PLACEHOLDER, get_token(request)))  # noqa: S308
    return render(
        request,
        "plans/plan.html",
        {
            "plan": plan,
            "plans": plans,
            "filter": action_filter,
            "filtered": filtered,
            "can_edit": can_edit,
            "tree_html": tree_html,
        },
    )


# What {% csrf_token %} writes in a cached editor's tree until the page is served.
CSRF_PLACEHOLDER = "csrf-placeholder-5c1d0e7a"


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
    period, rag = kpi_rag_map()
    return {
        "action": action,
        "plan": action.objective.plan,
        "criteria": action.objective.success_criteria.filter(aims__in=aim_ids)
        .distinct()
        .order_by("position"),
        "updates": action.updates.select_related("author").order_by("-date", "-created_at", "-pk"),
        "history": action.history.select_related("history_user").order_by("-history_date")[:50],
        "rag": rag,
        "rag_period": period,
        "today": timezone.localdate(),
        "form": form,
        "can_update": can_post_update(request.user, action),
        "can_edit": permissions.is_central(request.user),
    }


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
    update = form.save(commit=False)
    update.action, update.author = action, request.user
    update._history_user = request.user
    update.save()
    messages.success(request, f"Progress posted: {update.get_status_display().lower()}.")
    return redirect("plans:action", pk=action.pk)


def _editable_plan(plan: Plan) -> None:
    if plan.status == PlanStatus.ARCHIVED:
        raise PermissionDenied("This plan is archived: it can be read but not changed.")


def _form_page(request, form, *, title: str, back: str, status: int = 200) -> HttpResponse:
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
        objective = form.save(commit=False)
        objective.plan = plan
        objective.save()
        messages.success(request, f"Added {plan.objective_label.lower()} {objective.number}.")
        return redirect(_plan_url(plan))
    status = 400 if request.method == "POST" else 200
    return _form_page(
        request,
        form,
        title=f"New {plan.objective_label.lower()}",
        back=_plan_url(plan),
        status=status,
    )


@require_http_methods(["GET", "POST"])
def objective_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_central(request)
    objective = get_object_or_404(StrategicObjective.objects.select_related("plan"), pk=pk)
    _editable_plan(objective.plan)
    form = ObjectiveForm(*form_data(request), instance=objective, plan=objective.plan)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved {objective}.")
        return redirect(_plan_url(objective.plan))
    return _form_page(
        request,
        form,
        title=f"Edit {objective.plan.objective_label.lower()}",
        back=_plan_url(objective.plan),
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def aim_create(request: HttpRequest, objective_id: int) -> HttpResponse:
    _require_central(request)
    objective = get_object_or_404(
        StrategicObjective.objects.select_related("plan"), pk=objective_id
    )
    _editable_plan(objective.plan)
    form = AimForm(*form_data(request))
    if request.method == "POST" and form.is_valid():
        aim = form.save(commit=False)
        aim.objective = objective
        aim.position = (objective.aims.aggregate(n=Max("position"))["n"] or 0) + 1
        aim.save()
        messages.success(request, f"Added {objective.plan.aim_label.lower()} {aim.number}.")
        return redirect(_plan_url(objective.plan))
    return _form_page(
        request,
        form,
        title=f"New {objective.plan.aim_label.lower()} for {objective}",
        back=_plan_url(objective.plan),
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def aim_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_central(request)
    aim = get_object_or_404(Aim.objects.select_related("objective__plan"), pk=pk)
    _editable_plan(aim.objective.plan)
    form = AimForm(*form_data(request), instance=aim)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved {aim.objective.plan.aim_label.lower()} {aim.number}.")
        return redirect(_plan_url(aim.objective.plan))
    return _form_page(
        request,
        form,
        title=f"Edit {aim.objective.plan.aim_label.lower()} {aim.number}",
        back=_plan_url(aim.objective.plan),
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def action_create(request: HttpRequest, objective_id: int) -> HttpResponse:
    _require_central(request)
    objective = get_object_or_404(
        StrategicObjective.objects.select_related("plan"), pk=objective_id
    )
    _editable_plan(objective.plan)
    initial = {}
    aim_id = parse_id(request.GET.get("aim"))
    if aim_id is not None:
        initial["aims"] = [aim_id]
    form = ActionForm(*form_data(request), objective=objective, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            action = form.save()
        messages.success(request, "Action added.")
        return redirect("plans:action", pk=action.pk)
    return _form_page(
        request,
        form,
        title=f"New action for {objective}",
        back=_plan_url(objective.plan),
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_central(request)
    action = get_object_or_404(Action.objects.select_related("objective__plan"), pk=pk)
    _editable_plan(action.objective.plan)
    form = ActionForm(*form_data(request), instance=action, objective=action.objective)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            action._history_user = request.user
            form.save()
        messages.success(request, "Action saved.")
        return redirect("plans:action", pk=action.pk)
    return _form_page(
        request,
        form,
        title="Edit action",
        back=reverse("plans:action", args=[action.pk]),
        status=400 if request.method == "POST" else 200,
    )


DELETABLE = {"objective": StrategicObjective, "aim": Aim, "action": Action}


@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Ask first (GET), then delete (POST). History keeps the deleted rows."""
    _require_central(request)
    model = DELETABLE.get(kind)
    if model is None:
        raise Http404("Nothing of that kind")
    obj = get_object_or_404(model, pk=pk)
    plan = _plan_of(obj)
    _editable_plan(plan)
    if request.method == "POST":
        description = str(obj)
        with transaction.atomic():
            if isinstance(obj, Aim):
                # Actions that serve only this aim go with it; others just lose the link.
                for action in _actions_only_serving(obj):
                    action._history_user = request.user
                    action.delete()
            obj._history_user = request.user
            obj.delete()
        messages.success(request, f"Deleted: {description}. Its history is kept.")
        return redirect(_plan_url(plan))
    affected = _what_goes_with(obj)
    return render(
        request,
        "plans/confirm_delete.html",
        {"object": obj, "kind": kind, "affected": affected, "back": _plan_url(plan)},
    )


def _plan_of(obj) -> Plan:
    if isinstance(obj, StrategicObjective):
        return obj.plan
    return obj.objective.plan


def _what_goes_with(obj) -> list[str]:
    if isinstance(obj, StrategicObjective):
        return [
            f"{obj.aims.count()} aim(s)",
            f"{obj.actions.count()} action(s) and their progress updates",
            f"{obj.success_criteria.count()} success criteria",
        ]
    if isinstance(obj, Aim):
        only_here = _actions_only_serving(obj)
        shared = obj.actions.count() - len(only_here)
        lines = [f"{len(only_here)} action(s) serving only this aim, with their progress updates"]
        if shared:
            lines.append(f"{shared} action(s) that also serve other aims lose this one")
        return lines
    return [f"{obj.updates.count()} progress update(s)"]


def _actions_only_serving(aim: Aim) -> list[Action]:
    return [a for a in aim.actions.prefetch_related("aims") if len(a.aims.all()) == 1]


MOVABLE = {"objective": StrategicObjective, "aim": Aim, "action": Action}


@require_POST
def move(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Move an objective, aim or action one place up or down among its siblings."""
    _require_central(request)
    model = MOVABLE.get(kind)
    direction = request.POST.get("direction")
    if model is None or direction not in ("up", "down"):
        raise Http404("Cannot move that")
    obj = get_object_or_404(model, pk=pk)
    plan = _plan_of(obj)
    _editable_plan(plan)
    try:
        with transaction.atomic():
            _move_locked(obj, plan, direction)
    except IntegrityError:
        # Only if the database's own serialisation let two moves through at once.
        messages.error(
            request, "Someone else moved this at the same moment; nothing changed. Try again."
        )
    return redirect(_plan_url(plan))


def _move_locked(obj, plan: Plan, direction: str) -> None:
    """Swap ``obj`` with its neighbour, holding a lock on the parent so moves run one at a time.

    Two moves at once would otherwise read the same positions and collide on the unique
    positions (or the free value used to swap): the parent's row lock (PostgreSQL) or the
    immediate transaction (SQLite) makes the second read what the first wrote.
    """
    model = type(obj)
    if isinstance(obj, StrategicObjective):
        Plan.objects.select_for_update().filter(pk=plan.pk).first()
        siblings, field = list(plan.objectives.order_by("number")), "number"
    else:
        StrategicObjective.objects.select_for_update().filter(pk=obj.objective_id).first()
        if isinstance(obj, Aim):
            siblings, field = list(obj.objective.aims.order_by("position")), "position"
        else:
            siblings = list(obj.objective.actions.order_by("position", "pk"))
            field = "position"
    index = next((i for i, sibling in enumerate(siblings) if sibling.pk == obj.pk), None)
    if index is None:  # deleted a moment ago
        return
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(siblings):
        return
    if isinstance(obj, Action):
        # Actions may share positions (made outside the app): renumber them all in order.
        siblings[index], siblings[other_index] = siblings[other_index], siblings[index]
        for position, sibling in enumerate(siblings, start=1):
            sibling.position = position
        Action.objects.bulk_update(siblings, ["position"])
        bump_plan_version()  # bulk_update sends no signals
        return
    mine, theirs = getattr(siblings[index], field), getattr(siblings[other_index], field)
    other = siblings[other_index]
    # Through a free value, because objectives and aims are unique per position.
    model.objects.filter(pk=obj.pk).update(**{field: 32000})
    model.objects.filter(pk=other.pk).update(**{field: mine})
    model.objects.filter(pk=obj.pk).update(**{field: theirs})
    bump_plan_version()  # update() sends no signals


@require_POST
def plan_status(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Archive a plan (it stays readable) or make it the active one."""
    _require_central(request)
    plan = get_object_or_404(Plan, pk=plan_id)
    wanted = request.POST.get("status")
    if wanted not in (PlanStatus.ARCHIVED, PlanStatus.ACTIVE, PlanStatus.DRAFT):
        messages.error(request, "Choose archived, active or draft.")
        return redirect(_plan_url(plan))
    with transaction.atomic():
        if wanted == PlanStatus.ACTIVE:
            Plan.objects.filter(status=PlanStatus.ACTIVE).exclude(pk=plan.pk).update(
                status=PlanStatus.ARCHIVED
            )
        plan.status = wanted
        plan.save(update_fields=["status"])  # its signal bumps the plan's cache token
    messages.success(request, f"{plan} is now {plan.get_status_display().lower()}.")
    return redirect(_plan_url(plan))


def _plan_url(plan: Plan) -> str:
    return f"{reverse('plans:plan')}?plan={plan.pk}"
