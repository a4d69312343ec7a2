"""The plan in the Django admin.

An archived plan is kept as it was (plans.services.require_editable): its objectives, aims,
success criteria, actions and progress updates are read-only here too, saying why, inline and on
their own pages, and nothing can be added to it, moved into it or imported into it. The plan
itself stays editable, so it can be made active again.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError

from academies.admin import TrustModelAdmin
from core.admin import SafeModelResource
from plans.models import Action, Aim, Plan, ProgressUpdate, StrategicObjective, SuccessCriterion
from plans.services import PlanArchived, require_editable


def plan_of(obj) -> Plan | None:
    """The plan a plan item belongs to (None: an unsaved item with no parent yet)."""
    if isinstance(obj, Plan):
        return obj
    if isinstance(obj, StrategicObjective):
        return obj.plan if obj.plan_id else None
    if isinstance(obj, Aim | SuccessCriterion | Action):
        return obj.objective.plan if obj.objective_id else None
    if isinstance(obj, ProgressUpdate):
        return obj.action.objective.plan if obj.action_id else None
    return None


def archived_because(obj) -> str | None:
    """Why this plan item may not be changed (its plan is archived), or None."""
    plan = plan_of(obj)
    try:
        if plan is not None:
            require_editable(plan)
    except PlanArchived as error:
        return str(error)
    return None


class PlanItemResource(SafeModelResource):
    """An admin import refuses rows of an archived plan: an invalid row saying why."""

    def before_save_instance(self, instance, row, **kwargs):
        stored = type(instance).objects.filter(pk=instance.pk).first() if instance.pk else None
        reason = archived_because(instance) or archived_because(stored)
        if reason:
            raise ValidationError(reason)


class PlanResource(SafeModelResource):
    class Meta:
        model = Plan


class StrategicObjectiveResource(PlanItemResource):
    class Meta:
        model = StrategicObjective


class AimResource(PlanItemResource):
    class Meta:
        model = Aim


class SuccessCriterionResource(PlanItemResource):
    class Meta:
        model = SuccessCriterion


class ActionResource(PlanItemResource):
    class Meta:
        model = Action


class ProgressUpdateResource(PlanItemResource):
    class Meta:
        model = ProgressUpdate
        # The model's own rules (an update's date: not after today, not before the plan).
        clean_model_instances = True


class PlanItemInline(admin.TabularInline):
    """Read-only, with nothing to add or delete, under an item of an archived plan."""

    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and not archived_because(obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not archived_because(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not archived_because(obj)


class ObjectiveInline(PlanItemInline):
    model = StrategicObjective


class AimInline(PlanItemInline):
    model = Aim


class PlanItemAdmin(TrustModelAdmin):
    """An item of an archived plan is read-only, saying why; none can be put into one."""

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not archived_because(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not archived_because(obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        reason = archived_because(self.get_object(request, unquote(object_id)))
        if reason and request.method == "GET":
            messages.warning(request, f"Read-only here: {reason}")
        return super().change_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)  # a new class each time

        class ParentNotArchived(form):
            def clean(self):
                cleaned = super().clean()
                for value in cleaned.values():  # the parent chosen: a plan, objective, action
                    if isinstance(value, Plan | StrategicObjective | Action):
                        reason = archived_because(value)
                        if reason:
                            raise ValidationError(reason)
                return cleaned

        return ParentNotArchived


class ProgressUpdateInline(PlanItemInline):
    model = ProgressUpdate
    fields = ["date", "status", "commentary", "evidence_url", "author"]
    autocomplete_fields = ["author"]


@admin.register(Plan)
class PlanAdmin(TrustModelAdmin):
    resource_classes = [PlanResource]
    list_display = ["title", "years", "status"]
    list_filter = ["status"]
    search_fields = ["title", "introduction"]
    inlines = [ObjectiveInline]


@admin.register(StrategicObjective)
class StrategicObjectiveAdmin(PlanItemAdmin):
    resource_classes = [StrategicObjectiveResource]
    list_display = ["number", "title", "plan"]
    list_filter = ["plan"]
    search_fields = ["title"]
    inlines = [AimInline]


@admin.register(Aim)
class AimAdmin(PlanItemAdmin):
    resource_classes = [AimResource]
    list_display = ["__str__", "objective"]
    list_filter = ["objective__plan", "objective"]
    search_fields = ["title"]
    list_select_related = ["objective"]


@admin.register(SuccessCriterion)
class SuccessCriterionAdmin(PlanItemAdmin):
    resource_classes = [SuccessCriterionResource]
    list_display = ["__str__", "objective"]
    list_filter = ["objective__plan", "objective"]
    search_fields = ["text"]
    filter_horizontal = ["aims"]


@admin.register(Action)
class ActionAdmin(PlanItemAdmin):
    resource_classes = [ActionResource]
    list_display = ["__str__", "objective", "due_date"]
    list_filter = ["objective__plan", "objective", "responsible", "monitors"]
    search_fields = ["description", "responsible__code", "monitors__code", "monitors__name"]
    filter_horizontal = ["aims", "responsible", "monitors", "kpis", "academies"]
    inlines = [ProgressUpdateInline]
    list_select_related = ["objective"]


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(PlanItemAdmin):
    resource_classes = [ProgressUpdateResource]
    list_display = ["action", "date", "status", "author"]
    list_filter = ["status", "date"]
    search_fields = ["commentary", "action__description"]
    autocomplete_fields = ["action", "author"]
