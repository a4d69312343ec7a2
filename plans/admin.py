from django.contrib import admin

from academies.admin import TrustModelAdmin
from core.admin import SafeModelResource
from plans.models import Action, Aim, Plan, ProgressUpdate, StrategicObjective, SuccessCriterion


class PlanResource(SafeModelResource):
    class Meta:
        model = Plan


class StrategicObjectiveResource(SafeModelResource):
    class Meta:
        model = StrategicObjective


class AimResource(SafeModelResource):
    class Meta:
        model = Aim


class SuccessCriterionResource(SafeModelResource):
    class Meta:
        model = SuccessCriterion


class ActionResource(SafeModelResource):
    class Meta:
        model = Action


class ProgressUpdateResource(SafeModelResource):
    class Meta:
        model = ProgressUpdate
        # The model's own rules (an update's date: not after today, not before the plan).
        clean_model_instances = True


class ObjectiveInline(admin.TabularInline):
    model = StrategicObjective
    extra = 0


class AimInline(admin.TabularInline):
    model = Aim
    extra = 0


class ProgressUpdateInline(admin.TabularInline):
    model = ProgressUpdate
    extra = 0
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
class StrategicObjectiveAdmin(TrustModelAdmin):
    resource_classes = [StrategicObjectiveResource]
    list_display = ["number", "title", "plan"]
    list_filter = ["plan"]
    search_fields = ["title"]
    inlines = [AimInline]


@admin.register(Aim)
class AimAdmin(TrustModelAdmin):
    resource_classes = [AimResource]
    list_display = ["__str__", "objective"]
    list_filter = ["objective__plan", "objective"]
    search_fields = ["title"]
    list_select_related = ["objective"]


@admin.register(SuccessCriterion)
class SuccessCriterionAdmin(TrustModelAdmin):
    resource_classes = [SuccessCriterionResource]
    list_display = ["__str__", "objective"]
    list_filter = ["objective__plan", "objective"]
    search_fields = ["text"]
    filter_horizontal = ["aims"]


@admin.register(Action)
class ActionAdmin(TrustModelAdmin):
    resource_classes = [ActionResource]
    list_display = ["__str__", "objective", "due_date"]
    list_filter = ["objective__plan", "objective", "responsible", "monitors"]
    search_fields = ["description", "responsible__code", "monitors__code", "monitors__name"]
    filter_horizontal = ["aims", "responsible", "monitors", "kpis", "academies"]
    inlines = [ProgressUpdateInline]
    list_select_related = ["objective"]


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(TrustModelAdmin):
    resource_classes = [ProgressUpdateResource]
    list_display = ["action", "date", "status", "author"]
    list_filter = ["status", "date"]
    search_fields = ["commentary", "action__description"]
    autocomplete_fields = ["action", "author"]
