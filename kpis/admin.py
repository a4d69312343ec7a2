"""The KPI framework, periods, values and returns in the Django admin.

Values and returns follow the return lifecycle here as on the entry pages (kpis.returns): one of
an approved return or a closed period is read-only, saying why, and every write (a change, an
addition, a deletion, an import-export row) goes through kpis.returns, which locks, re-checks and
bumps the return's version, so a head's form opened before an admin correction is refused with
the conflict page instead of silently writing the old value back.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.shortcuts import redirect

from academies.admin import TrustModelAdmin
from academies.models import Phase
from core.admin import SafeModelResource
from kpis import returns
from kpis.models import (
    KPI,
    AcademyTarget,
    Area,
    Inspection,
    KPIValue,
    NationalFigure,
    Period,
    Return,
)


class AreaResource(SafeModelResource):
    class Meta:
        model = Area
        import_id_fields = ["number"]
        fields = ["number", "name"]


class KPIResource(SafeModelResource):
    class Meta:
        model = KPI
        import_id_fields = ["code"]
        exclude = ["id"]


class AcademyTargetResource(SafeModelResource):
    class Meta:
        model = AcademyTarget


class PeriodResource(SafeModelResource):
    class Meta:
        model = Period
        import_id_fields = ["year_start", "term"]
        fields = ["year_start", "term", "slug", "is_open", "due_date"]
        skip_unchanged = True


class NationalFigureResource(SafeModelResource):
    class Meta:
        model = NationalFigure


class LifecycleResource(SafeModelResource):
    """An admin import's rows are written through kpis.returns; a row it refuses is an invalid
    row saying why (in the preview too: django-import-export saves it there and rolls back)."""

    def save_instance(self, instance, is_create, row, **kwargs):
        self._user = kwargs.get("user")
        super().save_instance(instance, is_create, row, **kwargs)

    def write(self, instance) -> None:
        raise NotImplementedError

    def do_instance_save(self, instance, is_create):
        try:
            self.write(instance)
        except returns.ReturnError as error:
            raise ValidationError(str(error)) from error


class KPIValueResource(LifecycleResource):
    class Meta:
        model = KPIValue
        import_id_fields = ["kpi", "academy", "period"]
        fields = ["kpi", "academy", "period", "value", "not_available", "note"]
        skip_unchanged = True

    def write(self, instance) -> None:
        returns.admin_correct_value(instance, user=self._user, reason="Imported in the admin")


class InspectionResource(LifecycleResource):
    class Meta:
        model = Inspection
        import_id_fields = ["academy", "date"]
        fields = ["academy", "date", "framework", "grades", "safeguarding_met", "report_url"]
        skip_unchanged = True

    def write(self, instance) -> None:
        _record(instance, user=self._user)


def _record(instance: Inspection, *, user) -> Inspection:
    """An inspection saved in the admin goes through the lifecycle as the page's does."""
    return returns.record_inspection(
        academy=instance.academy,
        date=instance.date,
        framework=instance.framework,
        grades=instance.grades or {},
        safeguarding_met=instance.safeguarding_met,
        report_url=instance.report_url,
        user=user,
        inspection=instance if instance.pk else None,
    )


class ReturnResource(LifecycleResource):
    class Meta:
        model = Return
        import_id_fields = ["academy", "period"]
        fields = ["academy", "period", "status", "sent_back_reason"]
        skip_unchanged = True

    def write(self, instance) -> None:
        returns.admin_save_return(instance, user=self._user, reason="Imported in the admin")


class KPIAdminForm(forms.ModelForm):
    phases = forms.MultipleChoiceField(
        choices=Phase.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Phases the KPI applies to; none ticked means every phase.",
    )

    class Meta:
        model = KPI
        fields = [
            "area",
            "code",
            "position",
            "name",
            "description",
            "is_active",
            "measure",
            "inspection_rule",
            "inspection_area",
            "direction",
            "unit",
            "phases",
            "frequency",
            "dfe_source",
            "dfe_transform",
            "target_kind",
            "target_value",
            "amber_margin",
            "baseline_year",
            "aggregation",
            "trust_target_value",
        ]


class AcademyTargetInline(admin.TabularInline):
    model = AcademyTarget
    extra = 0
    autocomplete_fields = ["academy"]


@admin.register(Area)
class AreaAdmin(TrustModelAdmin):
    resource_classes = [AreaResource]
    list_display = ["number", "name"]
    search_fields = ["name"]


@admin.register(KPI)
class KPIAdmin(TrustModelAdmin):
    form = KPIAdminForm
    resource_classes = [KPIResource]
    list_display = [
        "code",
        "name",
        "area",
        "measure",
        "direction",
        "target_kind",
        "target_value",
        "amber_margin",
        "aggregation",
        "is_active",
    ]
    list_filter = ["area", "measure", "target_kind", "aggregation", "frequency", "is_active"]
    search_fields = ["code", "name", "description"]
    inlines = [AcademyTargetInline]
    fieldsets = [
        (None, {"fields": ["area", "code", "position", "name", "description", "is_active"]}),
        ("Measure", {"fields": ["measure", "direction", "unit", "phases", "frequency"]}),
        ("DfE open data", {"fields": ["dfe_source", "dfe_transform"]}),
        (
            "Target rule",
            {
                "fields": [
                    "target_kind",
                    "target_value",
                    "amber_margin",
                    "baseline_year",
                    "aggregation",
                    "trust_target_value",
                ]
            },
        ),
    ]


@admin.register(AcademyTarget)
class AcademyTargetAdmin(TrustModelAdmin):
    resource_classes = [AcademyTargetResource]
    list_display = ["kpi", "academy", "target_value", "amber_margin"]
    list_filter = ["academy"]
    search_fields = ["kpi__code", "kpi__name", "academy__name"]
    autocomplete_fields = ["kpi", "academy"]


@admin.register(Period)
class PeriodAdmin(TrustModelAdmin):
    resource_classes = [PeriodResource]
    list_display = ["__str__", "slug", "is_open", "due_date"]
    list_filter = ["is_open", "term", "year_start"]
    search_fields = ["slug"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if not change:  # a new period shows the inspections in force, as one opened does
            returns.sync_inspections(period_ids=[obj.pk], user=request.user)


@admin.register(NationalFigure)
class NationalFigureAdmin(TrustModelAdmin):
    resource_classes = [NationalFigureResource]
    list_display = ["kpi", "period", "value", "source"]
    list_filter = ["period"]
    search_fields = ["kpi__code", "kpi__name"]
    autocomplete_fields = ["kpi"]


class LifecycleAdmin(TrustModelAdmin):
    """An object the return lifecycle forbids changing now is read-only, with the reason shown;
    kpis.returns refusing a write under lock (it changed meanwhile) is a message, not a 500."""

    def refusal(self, request, obj) -> str | None:
        """Why this (saved) object may not be changed now, or None."""
        raise NotImplementedError

    def locked_because(self, request, obj) -> str | None:
        if obj is None or obj.pk is None:
            return None
        if not hasattr(obj, "_locked_because"):  # asked several times a page
            obj._locked_because = self.refusal(request, obj)
        return obj._locked_because

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not self.locked_because(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not self.locked_because(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        reason = self.locked_because(request, self.get_object(request, unquote(object_id)))
        if reason and request.method == "GET":
            messages.warning(request, f"Read-only here: {reason}")
        return super().change_view(request, object_id, form_url, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except returns.ReturnError as error:  # refused under lock: it changed meanwhile
            messages.error(request, f"Nothing was saved: {error}")
            return redirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except returns.ReturnError as error:
            messages.error(request, f"Nothing was deleted: {error}")
            return redirect(request.get_full_path())

    def changelist_view(self, request, extra_context=None):
        try:  # the bulk "delete selected" action
            return super().changelist_view(request, extra_context)
        except returns.ReturnError as error:
            messages.error(request, f"Nothing was deleted: {error}")
            return redirect(request.get_full_path())


class KPIValueAdminForm(forms.ModelForm):
    """A value added here must go into a return that may take it (kpis.returns)."""

    user = None  # set by KPIValueAdmin.get_form

    class Meta:
        model = KPIValue
        fields = ["kpi", "academy", "period", "value", "not_available", "note", "is_demo"]

    def clean(self):
        cleaned = super().clean()
        academy, period = cleaned.get("academy"), cleaned.get("period")
        kpi = cleaned.get("kpi") or getattr(self.instance, "kpi", None)
        if kpi is not None and kpi.from_inspections:
            raise ValidationError(returns.FROM_INSPECTIONS.format(kpi=kpi))
        if self.instance.pk is None and academy and period:
            ret = Return.objects.filter(academy=academy, period=period).first()
            reason = returns.editable_refusal(ret=ret, period=period, user=self.user)
            if reason:
                raise ValidationError(reason)
        return cleaned


@admin.register(KPIValue)
class KPIValueAdmin(LifecycleAdmin):
    form = KPIValueAdminForm
    resource_classes = [KPIValueResource]
    list_display = [
        "kpi",
        "academy",
        "period",
        "value",
        "not_available",
        "updated_by",
        "updated_at",
    ]
    list_filter = ["period", "academy", "kpi__area", "not_available", "is_demo"]
    search_fields = ["kpi__code", "kpi__name", "academy__name", "note"]
    list_select_related = ["kpi", "academy", "period", "updated_by"]
    autocomplete_fields = ["kpi", "academy"]

    def refusal(self, request, obj) -> str | None:
        if obj.kpi.from_inspections:
            return returns.FROM_INSPECTIONS.format(kpi=obj.kpi)
        ret = Return.objects.filter(academy_id=obj.academy_id, period_id=obj.period_id).first()
        return returns.editable_refusal(ret=ret, period=obj.period, user=request.user)

    def get_readonly_fields(self, request, obj=None):
        # A value stays in its return: moving it would change two returns at once.
        where = ["kpi", "academy", "period"] if obj is not None else []
        return [*where, "updated_by", "updated_at"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)  # a new class each time
        form.user = request.user
        return form

    def save_model(self, request, obj, form, change) -> None:
        returns.admin_correct_value(obj, user=request.user)

    def delete_model(self, request, obj) -> None:
        returns.admin_delete_values([obj], user=request.user)

    def delete_queryset(self, request, queryset) -> None:
        returns.admin_delete_values(queryset, user=request.user)


@admin.register(Return)
class ReturnAdmin(LifecycleAdmin):
    resource_classes = [ReturnResource]
    list_display = ["academy", "period", "status", "submitted_by", "submitted_at", "approved_at"]
    list_filter = ["status", "period", "academy"]
    search_fields = ["academy__name"]
    list_select_related = ["academy", "period", "submitted_by"]
    autocomplete_fields = ["academy"]
    # Its status changes on the entry pages (submit, approve, send back, reopen), with their
    # rules; kpis.returns keeps the rest.
    lifecycle_fields = [
        "status",
        "submitted_by",
        "submitted_at",
        "approved_by",
        "approved_at",
        "updated_by",
        "version",
        "updated_at",
    ]

    def refusal(self, request, obj) -> str | None:
        return returns.editable_refusal(ret=obj, period=obj.period, user=request.user)

    def get_readonly_fields(self, request, obj=None):
        where = ["academy", "period"] if obj is not None else []
        return [*where, *self.lifecycle_fields]

    def save_model(self, request, obj, form, change) -> None:
        returns.admin_save_return(obj, user=request.user)

    def delete_model(self, request, obj) -> None:
        returns.admin_delete_return(obj, user=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for ret in queryset:
            returns.admin_delete_return(ret, user=request.user)


@admin.register(Inspection)
class InspectionAdmin(LifecycleAdmin):
    """Inspections are recorded on each academy's Inspections page; here, under the same rules
    (kpis.returns.record_inspection: an approved return or a closed period refuses)."""

    resource_classes = [InspectionResource]
    list_display = ["academy", "date", "framework", "safeguarding_met", "recorded_by", "is_demo"]
    list_filter = ["framework", "academy", "is_demo"]
    search_fields = ["academy__name"]
    list_select_related = ["academy", "recorded_by"]
    autocomplete_fields = ["academy"]
    readonly_fields = ["recorded_by", "recorded_at", "is_demo"]

    def refusal(self, request, obj) -> str | None:
        return None  # each save or delete is checked by kpis.returns as it is made

    def save_model(self, request, obj, form, change) -> None:
        _record(obj, user=request.user)

    def delete_model(self, request, obj) -> None:
        returns.delete_inspection(obj, user=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for inspection in queryset:
            returns.delete_inspection(inspection, user=request.user)
