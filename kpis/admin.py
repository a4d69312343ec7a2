from django import forms
from django.contrib import admin

from academies.admin import TrustModelAdmin
from academies.models import Phase
from core.admin import SafeModelResource
from kpis.models import KPI, AcademyTarget, Area, KPIValue, NationalFigure, Period, Return


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


class KPIValueResource(SafeModelResource):
    class Meta:
        model = KPIValue
        import_id_fields = ["kpi", "academy", "period"]
        fields = ["kpi", "academy", "period", "value", "not_available", "note"]
        skip_unchanged = True


class ReturnResource(SafeModelResource):
    class Meta:
        model = Return
        import_id_fields = ["academy", "period"]
        fields = ["academy", "period", "status", "sent_back_reason"]


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
            "direction",
            "unit",
            "phases",
            "frequency",
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


@admin.register(NationalFigure)
class NationalFigureAdmin(TrustModelAdmin):
    resource_classes = [NationalFigureResource]
    list_display = ["kpi", "period", "value", "source"]
    list_filter = ["period"]
    search_fields = ["kpi__code", "kpi__name"]
    autocomplete_fields = ["kpi"]


@admin.register(KPIValue)
class KPIValueAdmin(TrustModelAdmin):
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
    autocomplete_fields = ["kpi", "academy", "updated_by"]


@admin.register(Return)
class ReturnAdmin(TrustModelAdmin):
    resource_classes = [ReturnResource]
    list_display = ["academy", "period", "status", "submitted_by", "submitted_at", "approved_at"]
    list_filter = ["status", "period", "academy"]
    search_fields = ["academy__name"]
    list_select_related = ["academy", "period", "submitted_by"]
    autocomplete_fields = ["academy"]
