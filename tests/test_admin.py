"""The Django admin: every model registered with search, filters and import-export; imports
limited to administrators; history kept where DESIGN.md promises it."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse
from import_export.admin import ImportExportMixin

from academies.models import Academy, AcademyGroup, Owner, RoleAssignment
from kpis.models import KPI, KPIValue, Period, Term
from plans.models import Action, ProgressUpdate

APP_MODELS = [
    model
    for model in admin.site._registry
    if model._meta.app_label in {"academies", "kpis", "plans"}
]


def test_every_domain_model_is_in_the_admin_with_import_export():
    from django.apps import apps

    domain = {
        model
        for label in ("academies", "kpis", "plans")
        for model in apps.get_app_config(label).get_models()
        if not model.__name__.startswith("Historical")
        and not model._meta.auto_created
        # The caches' version tokens, not trust data.
        and model.__name__ not in ("BoardVersion", "ColumnVersion", "PlanVersion")
    }
    assert domain == set(APP_MODELS)
    for model in APP_MODELS:
        model_admin = admin.site._registry[model]
        assert isinstance(model_admin, ImportExportMixin), model
        assert model_admin.search_fields, f"{model.__name__} has no search"


@pytest.mark.parametrize("model", APP_MODELS, ids=lambda m: m.__name__)
def test_administrator_can_open_each_models_list_add_import_and_export(client_for, model):
    client = client_for("admin")
    opts = model._meta
    base = f"admin:{opts.app_label}_{opts.model_name}"
    assert client.get(reverse(f"{base}_changelist")).status_code == 200
    assert client.get(reverse(f"{base}_changelist"), {"q": "a"}).status_code == 200
    assert client.get(reverse(f"{base}_add")).status_code == 200
    assert client.get(reverse(f"{base}_import")).status_code == 200
    assert client.get(reverse(f"{base}_export")).status_code == 200


@pytest.mark.parametrize("model", [KPI, Action, Owner, KPIValue], ids=lambda m: m.__name__)
def test_central_team_edit_in_the_admin_but_cannot_import(client_for, model):
    client = client_for("central")
    base = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    assert client.get(reverse(f"{base}_changelist")).status_code == 200
    assert client.get(reverse(f"{base}_export")).status_code == 200
    assert client.get(reverse(f"{base}_import")).status_code == 403


def test_central_team_cannot_manage_users_or_role_assignments(client_for):
    client = client_for("central")
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(reverse("admin:academies_roleassignment_changelist")).status_code == 403


@pytest.mark.parametrize("role", ["trustee", "governor", "head_a"])
def test_other_roles_cannot_use_the_admin(client_for, role):
    response = client_for(role).get(reverse("admin:kpis_kpi_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_administrator_imports_academies_and_central_cannot(client_for, cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = (
        b"slug,name,short_name,urn,phase,pupils_on_roll,is_active\r\n"
        b"new-primary,New Primary Academy,NPA,123456,primary,210,1\r\n"
    )
    url = reverse("admin:academies_academy_import")
    central = client_for("central")
    response = central.post(
        url,
        {"import_file": SimpleUploadedFile("a.csv", csv), "format": "0", "resource": "0"},
    )
    assert response.status_code == 403
    assert not Academy.objects.filter(slug="new-primary").exists()

    client = client_for("admin")
    response = client.post(
        url, {"import_file": SimpleUploadedFile("a.csv", csv), "format": "0", "resource": "0"}
    )
    assert response.status_code == 200
    confirm = response.context["confirm_form"]
    assert confirm is not None, "the preview should offer confirmation"
    response = client.post(
        reverse("admin:academies_academy_process_import"),
        {**confirm.initial, "resource": "0"},
    )
    assert response.status_code == 302
    assert Academy.objects.get(slug="new-primary").urn == "123456"


def test_kpi_value_changes_keep_who_when_old_and_new(trust, academy_a, cast):
    period = Period.objects.create(year_start=2023, term=Term.AUTUMN)
    value = KPIValue.objects.create(
        kpi=KPI.objects.get(code="2.1"), academy=academy_a, period=period, value=Decimal("93.5")
    )
    value.value = Decimal("94.1")
    value._history_user = cast["head_a"]
    value.save()
    history = list(value.history.order_by("history_date"))
    assert [h.value for h in history] == [Decimal("93.5"), Decimal("94.1")]
    assert history[-1].history_user == cast["head_a"]
    assert history[-1].history_type == "~"


def test_actions_progress_updates_and_kpi_targets_keep_history(trust, cast):
    kpi = KPI.objects.get(code="2.1")
    kpi.target_value = Decimal("96")
    kpi.save()
    assert kpi.history.count() == 2
    action = Action.objects.filter(description__startswith="Publish Trust").get()
    action.description = "Publish the Trust Improvement Calendar"
    action.save()
    assert action.history.first().description == "Publish the Trust Improvement Calendar"
    update = ProgressUpdate.objects.create(action=action, status="on_track", author=cast["central"])
    assert update.history.count() == 1


def test_role_assignments_let_a_user_head_several_academies(cast):
    assert RoleAssignment.objects.heads().filter(user=cast["exec_head"]).count() == 2


def test_admin_exports_escape_every_formula_trigger(trust):
    from academies.admin import AcademyResource, OwnerResource

    Academy.objects.filter(slug="moreton-school").update(name='=HYPERLINK("x")')
    Owner.objects.filter(code="NLI").update(name="@SUM(1)")
    Owner.objects.filter(code="TBR").update(name="-2+3")
    academies = AcademyResource().export().csv
    assert "'=HYPERLINK" in academies
    assert ",=HYPERLINK" not in academies
    owners = OwnerResource().export().csv
    assert "'@SUM(1)" in owners and "'-2+3" in owners


# --- The history view of every registered model ------------------------------------------------

REGISTERED = list(admin.site._registry)


@pytest.fixture
def one_of_each(trust, cast, academy_a):
    """At least one row of every model in the admin, so each has a history page to open."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.utils import timezone
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from core.models import PasswordChangeFailure
    from kpis.models import Inspection, NationalFigure, Return
    from papers.models import PublishedPack
    from plans.models import SuccessCriterion

    period = Period.objects.create(year_start=2023, term=Term.AUTUMN)
    kpi = KPI.objects.get(code="2.1")
    NationalFigure.objects.create(kpi=kpi, period=period, value=Decimal("94"))
    KPIValue.objects.create(kpi=kpi, academy=academy_a, period=period, value=Decimal("95"))
    Return.objects.create(academy=academy_a, period=period)
    Inspection.objects.create(
        academy=academy_a, date=period.end_date, framework="four_point", grades={"overall": 2}
    )
    objective = trust.objectives.first()
    SuccessCriterion.objects.create(objective=objective, text="Attendance above 95%")
    action = Action.objects.filter(objective__plan=trust).first()
    ProgressUpdate.objects.create(action=action, status="on_track", author=cast["central"])
    access = {"user_agent": "test", "ip_address": "127.0.0.1", "username": "t-trustee"}
    AccessAttempt.objects.create(**access, get_data="", post_data="", failures_since_start=1)
    AccessLog.objects.create(**access)
    AccessFailureLog.objects.create(**access)
    PasswordChangeFailure.objects.create(user=cast["trustee"], ip_address="127.0.0.1")
    # Two-factor devices (django-otp's admin: how an administrator removes a lost phone's).
    TOTPDevice.objects.create(user=cast["trustee"], name="Authenticator app")
    StaticDevice.objects.create(user=cast["trustee"], name="Recovery codes")
    AcademyGroup.objects.create(name="North hub", slug="north-hub")
    # A published pack's row; its history page never opens its files, so it names none.
    PublishedPack.objects.create(
        meeting="Trust Board",
        meeting_date=period.end_date,
        period=period,
        pdf_size=0,
        pdf_sha256="0" * 64,
        xlsx_size=0,
        xlsx_sha256="0" * 64,
        data_digest="0" * 64,
        published_by=cast["central"],
        published_at=timezone.now(),
    )
    # People (issue 18): a reminder, an invitation, a history entry, preferences, a reset request.
    from people.models import (
        Invitation,
        PasswordResetRequest,
        PersonChange,
        Reminder,
        ReminderPreference,
    )

    now = timezone.now()
    Reminder.objects.create(
        user=cast["head_a"],
        kind="return_due",
        subject="return:x",
        day=now.date(),
        text="x",
        url="/",
    )
    Invitation.objects.create(user=cast["trustee"], invited_by=cast["admin"], sent_at=now)
    PersonChange.objects.create(user=cast["trustee"], changed_at=now, lines=["Invited"])
    ReminderPreference.objects.create(user=cast["trustee"])
    PasswordResetRequest.objects.create(email="x@example.org", requested_at=now)
    missing = [m.__name__ for m in REGISTERED if not m._default_manager.exists()]
    assert not missing, f"make a row of {missing} in one_of_each"


def _history_url(model) -> str:
    obj = model._default_manager.order_by("pk").first()
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_history", args=[obj.pk])


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: f"{m._meta.app_label}.{m.__name__}")
def test_an_administrator_opens_every_models_history(client_for, one_of_each, model):
    response = client_for("admin").get(_history_url(model))
    assert response.status_code == 200
    assert "history" in response.content.decode().lower()


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: f"{m._meta.app_label}.{m.__name__}")
def test_central_team_open_a_history_only_where_they_may_view(client_for, cast, one_of_each, model):
    opts = model._meta
    may_view = any(
        cast["central"].has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
        for action in ("view", "change")
    )
    response = client_for("central").get(_history_url(model))
    assert response.status_code == (200 if may_view else 403)


def test_central_team_may_not_view_academies_or_role_assignments(cast):
    # So the test above checks their history pages are 403s.
    assert not cast["central"].has_perm("academies.view_academy")
    assert not cast["central"].has_perm("academies.view_roleassignment")


def test_a_model_without_history_lists_its_admin_log(client_for, cast, trust):
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    academy = Academy.objects.get(slug="moreton-school")
    LogEntry.objects.create(
        user=cast["admin"],
        content_type=ContentType.objects.get_for_model(Academy),
        object_id=str(academy.pk),
        object_repr=str(academy),
        action_flag=CHANGE,
        change_message="Renamed the school",
    )
    client = client_for("admin")
    response = client.get(reverse("admin:academies_academy_history", args=[academy.pk]))
    assert response.status_code == 200
    assert "Renamed the school" in response.content.decode()
    # simple-history's page of one past version exists only for models that keep history.
    response = client.get(f"/admin/academies/academy/{academy.pk}/history/1/")
    assert response.status_code == 404
