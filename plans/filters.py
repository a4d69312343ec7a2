"""The /plan/ filters (django-filter) over a plan's actions."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from academies.models import Academy, Owner
from plans.models import Action, ActionStatus, StrategicObjective


class ActionFilter(django_filters.FilterSet):
    objective = django_filters.ModelChoiceFilter(
        queryset=StrategicObjective.objects.none(), empty_label="All objectives"
    )
    owner = django_filters.ModelChoiceFilter(
        field_name="responsible",
        queryset=Owner.objects.all(),
        label="Responsibility",
        empty_label="Anyone",
    )
    monitor = django_filters.ModelChoiceFilter(
        field_name="monitors",
        queryset=Owner.objects.all(),
        label="Monitored by",
        empty_label="Any body or person",
    )
    status = django_filters.ChoiceFilter(
        choices=ActionStatus.choices, method="filter_status", empty_label="Any status"
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        label="Overdue only",
        widget=forms.CheckboxInput,
    )
    academy = django_filters.ModelChoiceFilter(
        field_name="academies", queryset=Academy.objects.all(), empty_label="Any academy"
    )

    class Meta:
        model = Action
        fields = ["objective", "owner", "monitor", "status", "overdue", "academy"]

    def __init__(self, *args, plan=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if plan is not None:
            self.filters["objective"].queryset = plan.objectives.all()
            self.filters["objective"].label = plan.objective_label

    def filter_status(self, queryset, name, value):
        if value == ActionStatus.NOT_STARTED:
            return queryset.filter(Q(latest_status__isnull=True) | Q(latest_status=value))
        return queryset.filter(latest_status=value)

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue(timezone.localdate()) if value else queryset
