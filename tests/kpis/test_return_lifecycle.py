"""The one return lifecycle (kpis.returns): imports and the Django admin follow the entry form's
rules, bump the return's version and never lower its status.

Races (a save after the period closed, an import confirmed after a concurrent save) are in
tests/test_races.py, on real connections.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import tablib
from django.urls import reverse
from django.utils import timezone

from kpis.admin import KPIValueResource
from kpis.models import KPI, KPIValue, Period, Return, ReturnStatus, Term
from kpis.returns import ImportConflict, ReturnConflict, admin_correct_value, return_save
from plans.models import Action, PlanStatus, ProgressUpdate
from spreadsheets.importer import apply_import, prepare_import
from tests.kpis.test_entry_views import complete_post, entry_url, form_as_sent, page, signed_in
from tests.kpis.test_import import AHS, LONG_HEADER, xlsx

AUTUMN = "2024-25 Autumn"
AUTUMN_LABEL = "2024/25 Autumn"
LONG_AT = ("Values", 2, "D")  # where the one value of `one_value` is


@pytest.fixture
def autumn(trust) -> Period:
    return Period.objects.create(year_start=2024, term=Term.AUTUMN, is_open=True)


@pytest.fixture
def attendance(trust) -> KPI:
    return KPI.objects.get(code="2.1")


def one_value(number, note: str = "From the MIS") -> bytes:
    """A values list with Aldersley's 2.1 for 2024/25 autumn."""
    return xlsx({"Values": [LONG_HEADER, ["2.1", AHS, AUTUMN, number, note]]})


def a_return(academy, period, kpi, status: str, user=None, **fields) -> Return:
    """A return in `status` holding one value (90) for `kpi`, as if long since saved."""
    ret = Return.objects.create(
        academy=academy, period=period, status=status, updated_by=user, **fields
    )
    KPIValue.objects.create(kpi=kpi, academy=academy, period=period, value=Decimal(90))
    long_ago = timezone.now() - datetime.timedelta(days=30)
    Return.objects.filter(pk=ret.pk).update(updated_at=long_ago)
    KPIValue.objects.filter(period=period).update(updated_at=long_ago)
    ret.refresh_from_db()
    return ret


def the_value(academy, period, kpi) -> KPIValue:
    return KPIValue.objects.get(academy=academy, period=period, kpi=kpi)


def where(problem) -> tuple:
    return (problem.sheet, problem.row, problem.column)


# --- Imports ----------------------------------------------------------------------------------


def test_importing_as_draft_into_a_submitted_return_is_refused_in_the_preview(
    cast, academy_a, autumn, attendance
):
    submitted = a_return(academy_a, autumn, attendance, ReturnStatus.SUBMITTED, cast["head_a"])

    preview = prepare_import(one_value(91), "mis.xlsx", state=ReturnStatus.DRAFT)

    assert not preview.ok and preview.updates == []
    [problem] = preview.problems
    assert where(problem) == LONG_AT
    assert problem.message == (
        f"{AHS}'s return for {AUTUMN_LABEL} has been submitted: import as submitted, "
        "or send it back first"
    )
    with pytest.raises(ValueError, match="cannot be applied"):
        apply_import(preview, user=cast["admin"])
    ret = Return.objects.get(pk=submitted.pk)
    assert (ret.status, ret.version) == (ReturnStatus.SUBMITTED, submitted.version)
    assert the_value(academy_a, autumn, attendance).value == 90
    assert KPIValue.objects.published().filter(period=autumn).count() == 1  # still on the board


def test_the_upload_page_shows_the_refusal_and_offers_no_confirm(
    client_for, cast, academy_a, autumn, attendance, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.TRUSTPLAN_IMPORT_DIR = tmp_path
    a_return(academy_a, autumn, attendance, ReturnStatus.SUBMITTED, cast["head_a"])
    response = client_for("admin").post(
        reverse("imports:upload"),
        {"file": SimpleUploadedFile("mis.xlsx", one_value(91)), "state": "draft"},
    )
    assert response.status_code == 200
    assert response.context["token"] == ""
    assert f"{AHS}'s return for {AUTUMN_LABEL} has been submitted" in page(response)
    assert Return.objects.get(academy=academy_a, period=autumn).status == ReturnStatus.SUBMITTED


def test_importing_as_submitted_into_a_submitted_return_keeps_it_and_bumps_its_version(
    cast, academy_a, autumn, attendance
):
    when = timezone.now() - datetime.timedelta(days=3)
    submitted = a_return(
        academy_a,
        autumn,
        attendance,
        ReturnStatus.SUBMITTED,
        cast["head_a"],
        submitted_by=cast["head_a"],
        submitted_at=when,
    )

    preview = prepare_import(one_value(91), "mis.xlsx", state=ReturnStatus.SUBMITTED)
    assert preview.ok and len(preview.updates) == 1
    counts = apply_import(preview, user=cast["admin"])

    assert (counts["values_updated"], counts["returns_changed"]) == (1, 1)
    ret = Return.objects.get(pk=submitted.pk)
    assert ret.status == ReturnStatus.SUBMITTED
    assert ret.version == submitted.version + 1
    assert ret.updated_by == cast["admin"]
    # The head's submission stands: the import joined it, it did not submit it again.
    assert (ret.submitted_by, ret.submitted_at) == (cast["head_a"], when)
    assert the_value(academy_a, autumn, attendance).value == 91
    assert ret.history.first().history_change_reason == "Imported from mis.xlsx"


@pytest.mark.parametrize("state", [ReturnStatus.DRAFT, ReturnStatus.SUBMITTED])
def test_importing_into_an_approved_return_is_refused_in_either_mode(
    cast, academy_a, autumn, attendance, state
):
    approved = a_return(academy_a, autumn, attendance, ReturnStatus.APPROVED, cast["central"])

    preview = prepare_import(one_value(91), "mis.xlsx", state=state)

    [problem] = preview.problems
    assert where(problem) == LONG_AT
    assert problem.message == (
        f"{AHS}'s return for {AUTUMN_LABEL} is approved: central team must reopen it before "
        "an import can change it"
    )
    ret = Return.objects.get(pk=approved.pk)
    assert (ret.status, ret.version) == (ReturnStatus.APPROVED, approved.version)
    assert the_value(academy_a, autumn, attendance).value == 90


def test_an_import_as_draft_leaves_a_sent_back_return_sent_back(
    cast, academy_a, autumn, attendance
):
    sent_back = a_return(
        academy_a, autumn, attendance, ReturnStatus.SENT_BACK, sent_back_reason="Check 2.1"
    )

    apply_import(prepare_import(one_value(91), "mis.xlsx", state=ReturnStatus.DRAFT), user=None)

    ret = Return.objects.get(pk=sent_back.pk)
    assert (ret.status, ret.sent_back_reason) == (ReturnStatus.SENT_BACK, "Check 2.1")
    assert ret.version == sent_back.version + 1


def test_an_import_sets_updated_at_of_the_returns_and_values_it_writes(
    cast, academy_a, autumn, attendance
):
    draft = a_return(academy_a, autumn, attendance, ReturnStatus.DRAFT, cast["head_a"])
    old_value = the_value(academy_a, autumn, attendance).updated_at
    started = timezone.now()

    apply_import(prepare_import(one_value(91), "mis.xlsx"), user=cast["admin"])

    ret = Return.objects.get(pk=draft.pk)
    value = the_value(academy_a, autumn, attendance)
    assert draft.updated_at < started <= ret.updated_at
    assert old_value < started <= value.updated_at
    assert ret.updated_at == value.updated_at  # one moment: the import's
    assert (ret.status, ret.submitted_by) == (ReturnStatus.SUBMITTED, cast["admin"])


def test_confirm_re_checks_the_rule_under_lock(cast, academy_a, autumn, attendance):
    """A return submitted after the preview (here without a version bump, as no code of ours
    does) is refused at confirm with the rule's reason, never turned back into a draft."""
    draft = a_return(academy_a, autumn, attendance, ReturnStatus.DRAFT)
    preview = prepare_import(one_value(91), "mis.xlsx", state=ReturnStatus.DRAFT)
    assert preview.ok
    Return.objects.filter(pk=draft.pk).update(status=ReturnStatus.SUBMITTED)

    with pytest.raises(ImportConflict) as refused:
        apply_import(preview, user=cast["admin"])

    assert refused.value.messages[0].endswith(
        "has been submitted: import as submitted, or send it back first"
    )
    assert Return.objects.get(pk=draft.pk).status == ReturnStatus.SUBMITTED
    assert the_value(academy_a, autumn, attendance).value == 90


# --- The Django admin: KPI values and returns --------------------------------------------------


def _value_change_url(value: KPIValue) -> str:
    return reverse("admin:kpis_kpivalue_change", args=[value.pk])


def _value_post(value: KPIValue, number: str, note: str = "") -> dict:
    """The admin change form's POST for a value (every field it has ever had)."""
    return {
        "kpi": value.kpi_id,
        "academy": value.academy_id,
        "period": value.period_id,
        "value": number,
        "note": note,
        "updated_by": "",
        "_save": "Save",
    }


LOCKS = {
    "approved": (ReturnStatus.APPROVED, True, "This return is approved."),
    "closed": (ReturnStatus.SUBMITTED, False, "is closed for entry."),
}


@pytest.mark.parametrize("lock", LOCKS)
def test_the_admin_shows_a_locked_value_read_only_and_refuses_to_change_it(
    client_for, cast, academy_a, autumn, attendance, lock
):
    status, is_open, reason = LOCKS[lock]
    ret = a_return(academy_a, autumn, attendance, status, cast["head_a"])
    Period.objects.filter(pk=autumn.pk).update(is_open=is_open)
    value = the_value(academy_a, autumn, attendance)
    client = client_for("central")

    assert client.post(_value_change_url(value), _value_post(value, "97")).status_code == 403
    deleting = reverse("admin:kpis_kpivalue_delete", args=[value.pk])
    assert client.post(deleting, {"post": "yes"}).status_code == 403
    assert the_value(academy_a, autumn, attendance).value == 90
    assert Return.objects.get(pk=ret.pk).version == ret.version
    shown = client.get(_value_change_url(value))
    assert shown.status_code == 200
    assert reason in page(shown) and 'name="_save"' not in page(shown)


def test_the_admin_cannot_revert_a_locked_value_from_its_history(
    client_for, cast, academy_a, autumn, attendance
):
    a_return(academy_a, autumn, attendance, ReturnStatus.DRAFT)
    value = the_value(academy_a, autumn, attendance)
    first = value.history.get()
    value.value = Decimal(95)
    value.save()
    Return.objects.filter(academy=academy_a, period=autumn).update(status=ReturnStatus.APPROVED)

    url = reverse("admin:kpis_kpivalue_simple_history", args=[value.pk, first.history_id])
    response = client_for("admin").post(url, _value_post(value, "90"))

    assert response.status_code == 403
    assert the_value(academy_a, autumn, attendance).value == 95


def test_a_value_added_in_the_admin_to_an_approved_return_is_refused(
    client_for, cast, academy_a, autumn, attendance
):
    a_return(academy_a, autumn, attendance, ReturnStatus.APPROVED)
    absence = KPI.objects.get(code="2.2")
    post = {"kpi": absence.pk, "academy": academy_a.pk, "period": autumn.pk, "value": "4"}

    response = client_for("central").post(reverse("admin:kpis_kpivalue_add"), post)

    assert response.status_code == 200
    assert "This return is approved." in page(response)
    assert not KPIValue.objects.filter(kpi=absence, period=autumn).exists()


def test_an_admin_correction_refuses_a_heads_stale_form_listing_the_kpi(
    client_for, cast, academy_a, attendance
):
    summer = Period.objects.create(year_start=2023, term=Term.SUMMER, is_open=True)
    head = client_for("head_a")
    assert head.post(entry_url(academy_a), complete_post(academy_a)).status_code == 302
    opened = head.get(entry_url(academy_a))  # the head's form, before the correction
    value = the_value(academy_a, summer, attendance)
    version = Return.objects.get(academy=academy_a, period=summer).version

    central = signed_in(cast["central"])
    corrected = central.post(_value_change_url(value), _value_post(value, "97.5", value.note))
    assert corrected.status_code == 302, page(corrected)

    # The head changes only a note, on the form opened before the correction.
    sent = form_as_sent(opened)
    sent[f"note_{attendance.pk}"] = "Attendance rose after the flu outbreak"
    response = head.post(entry_url(academy_a), sent)

    assert response.status_code == 409
    changes = response.context["conflict"].changes
    assert len(changes) == 1 and changes[0].startswith(
        f"{attendance.code} {attendance.name}: now 97.5% by t-central"
    )
    assert the_value(academy_a, summer, attendance).value == Decimal("97.5")
    ret = Return.objects.get(academy=academy_a, period=summer)
    assert ret.version == version + 1 and ret.updated_by == cast["central"]
    latest = the_value(academy_a, summer, attendance).history.first()
    assert (latest.history_user, latest.history_change_reason) == (
        cast["central"],
        "Corrected in the admin",
    )


def test_an_admin_deletion_bumps_the_returns_version(
    cast, client_for, academy_a, autumn, attendance
):
    ret = a_return(academy_a, autumn, attendance, ReturnStatus.DRAFT)
    value = the_value(academy_a, autumn, attendance)

    deleting = reverse("admin:kpis_kpivalue_delete", args=[value.pk])
    assert client_for("central").post(deleting, {"post": "yes"}).status_code == 302

    assert not KPIValue.objects.filter(pk=value.pk).exists()
    assert Return.objects.get(pk=ret.pk).version == ret.version + 1
    gone = KPIValue.history.filter(id=value.pk, history_type="-").get()
    assert gone.history_user == cast["central"]


def test_an_admin_import_refuses_a_value_of_an_approved_return(cast, academy_a, autumn, attendance):
    a_return(academy_a, autumn, attendance, ReturnStatus.APPROVED)
    rows = tablib.Dataset(headers=["kpi", "academy", "period", "value", "not_available", "note"])
    rows.append([attendance.pk, academy_a.pk, autumn.pk, "97", "0", ""])

    result = KPIValueResource().import_data(rows, dry_run=False, user=cast["admin"])

    assert result.has_validation_errors()
    assert "This return is approved." in str(result.invalid_rows[0].error)
    assert the_value(academy_a, autumn, attendance).value == 90


def test_the_admin_changes_no_returns_status_and_refuses_an_approved_return(
    client_for, cast, academy_a, autumn, attendance
):
    draft = a_return(academy_a, autumn, attendance, ReturnStatus.DRAFT)
    client = client_for("admin")
    url = reverse("admin:kpis_return_change", args=[draft.pk])
    post = {
        "academy": academy_a.pk,
        "period": autumn.pk,
        "status": ReturnStatus.APPROVED,
        "sent_back_reason": "",
        "version": draft.version,
        "_save": "Save",
    }

    assert client.post(url, post).status_code == 302
    ret = Return.objects.get(pk=draft.pk)
    assert ret.status == ReturnStatus.DRAFT  # approving is the entry page's, with its rules
    assert ret.version == draft.version + 1

    Return.objects.filter(pk=draft.pk).update(status=ReturnStatus.APPROVED)
    post["status"] = ReturnStatus.DRAFT
    assert client.post(url, post).status_code == 403
    assert Return.objects.get(pk=draft.pk).status == ReturnStatus.APPROVED


def test_a_save_with_the_version_from_before_an_admin_correction_is_a_conflict(
    cast, academy_a, autumn, attendance
):
    result = return_save(
        academy=academy_a,
        period=autumn,
        user=cast["head_a"],
        kpis=[attendance],
        values={attendance.pk: (Decimal(90), False, "")},
        version=0,
        was={},
    )
    value = the_value(academy_a, autumn, attendance)
    value.value = Decimal(93)
    admin_correct_value(value, user=cast["central"])

    with pytest.raises(ReturnConflict):
        return_save(
            academy=academy_a,
            period=autumn,
            user=cast["head_a"],
            kpis=[attendance],
            values={attendance.pk: (Decimal(90), False, "a note")},
            version=result.ret.version,
            was={attendance.pk: "90"},
        )
    assert the_value(academy_a, autumn, attendance).value == 93


# --- The Django admin: an archived plan --------------------------------------------------------


def _form_as_rendered(response) -> dict:
    """What a browser posts back from an admin change page: the form and its inlines."""
    data = {"_save": "Save"}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms.extend(formset.forms)
        management = formset.management_form
        data.update({management.add_prefix(n): management[n].value() for n in management.fields})
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = (
                [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
            )
    return data


def test_the_admin_refuses_a_change_to_an_archived_plans_action(client_for, trust):
    action = Action.objects.filter(objective__plan=trust).order_by("pk").first()
    client = client_for("central")
    url = reverse("admin:plans_action_change", args=[action.pk])
    post = _form_as_rendered(client.get(url))  # opened while the plan was active
    post["description"] = "Rewritten after the plan was archived"
    trust.status = PlanStatus.ARCHIVED
    trust.save()

    assert client.post(url, post).status_code == 403
    assert Action.objects.get(pk=action.pk).description == action.description
    deleting = reverse("admin:plans_action_delete", args=[action.pk])
    assert client.post(deleting, {"post": "yes"}).status_code == 403
    assert Action.objects.filter(pk=action.pk).exists()
    shown = client.get(url)
    assert "This plan is archived" in page(shown) and 'name="_save"' not in page(shown)


def test_the_admin_adds_no_progress_update_to_an_archived_plans_action(client_for, cast, trust):
    action = Action.objects.filter(objective__plan=trust).order_by("pk").first()
    trust.status = PlanStatus.ARCHIVED
    trust.save()
    post = {
        "action": action.pk,
        "date": datetime.date.today().isoformat(),
        "status": "on_track",
        "commentary": "Posted after the plan was archived",
        "author": cast["central"].pk,
    }

    response = client_for("central").post(reverse("admin:plans_progressupdate_add"), post)

    assert response.status_code == 200
    assert "This plan is archived" in page(response)
    assert not ProgressUpdate.objects.filter(commentary__startswith="Posted after").exists()
