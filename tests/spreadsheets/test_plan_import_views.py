"""The plan import page (issue 20): a Word document into a new draft plan or an existing plan,
previewed as the plan's tree, confirmed or cancelled; unknown owners created only when ticked."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from academies.models import Owner
from academies.services import read_fixture
from plans.models import Action, Plan, PlanStatus
from tests.spreadsheets.plan_docs import AMETHYST, amethyst_document, plan_2019_document

pytestmark = pytest.mark.django_db
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _upload(client, content: bytes, name: str = "plan.docx", **fields):
    data = {"into": "new", "title": "", "years": "", **fields}
    data["file"] = SimpleUploadedFile(name, content, content_type=DOCX)
    return client.post("/import/plan/", data)


def test_only_administrators_import_plans(client_for):
    assert client_for("central").get("/import/plan/").status_code == 403
    response = client_for("admin").get("/import/plan/")
    assert response.status_code == 200
    assert "Word document (.docx)" in response.content.decode()


def test_a_word_plan_is_previewed_as_its_tree_then_made_a_draft_plan(client_for):
    client = client_for("admin")
    plans = Plan.objects.count()
    response = _upload(
        client, plan_2019_document(), title="Trust Development Plan 2019–2022", years="2019-2022"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "It becomes a <strong>new draft plan</strong>" in page
    assert "Key priority 1: Children and young people achieve the best outcomes" in page
    assert "Serving 1.1, 1.2, 1.3" in page
    assert "A Trust wide monitoring dashboard is created." in page
    assert "one paragraph lists 3 sub-priorities" in page  # what it assumed
    assert "Key priorities: 5 new" in page and "Sub-priorities: 18 new" in page  # its words
    assert Plan.objects.count() == plans  # the preview writes nothing
    token = response.context["token"]
    response = client.post("/import/plan/confirm/", {"token": token})
    plan = Plan.objects.order_by("-pk").first()
    assert response.status_code == 302 and response["Location"] == f"/plan/?plan={plan.pk}"
    assert Plan.objects.count() == plans + 1 and plan.status == PlanStatus.DRAFT
    assert plan.objectives.count() == 5
    # The staged file went with the import: confirming again is refused.
    again = client.post("/import/plan/confirm/", {"token": token}, follow=True)
    assert "no longer waiting" in again.content.decode()
    assert Plan.objects.count() == plans + 1


def test_an_existing_plan_must_be_chosen_and_archived_plans_are_not_offered(client_for, trust):
    client = client_for("admin")
    archived = Plan.objects.create(
        title="Old", start_year=2019, end_year=2022, status=PlanStatus.ARCHIVED
    )
    response = _upload(client, amethyst_document(), into="existing")
    assert response.status_code == 400
    assert "Choose the plan to add to and update." in response.content.decode()
    choices = [str(p.pk) for p in response.context["form"].fields["plan"].queryset]
    assert str(trust.pk) in choices and str(archived.pk) not in choices


def test_the_active_plans_own_document_has_nothing_to_import(client_for, trust):
    response = _upload(client_for("admin"), amethyst_document(), into="existing", plan=trust.pk)
    assert "Nothing to import" in response.content.decode()
    assert response.context["token"] == ""


def test_unknown_owners_are_created_only_when_ticked(client_for, trust):
    data = read_fixture(AMETHYST)
    data["objectives"][0]["aims"][0]["actions"][0]["responsibility"] = "NLJ"
    client = client_for("admin")
    response = _upload(client, amethyst_document(data), into="existing", plan=trust.pk)
    page = response.content.decode()
    assert "Owners trustplan does not have" in page and "NLI" in page  # the closest
    token = response.context["token"]
    refused = client.post("/import/plan/confirm/", {"token": token})
    assert refused.status_code == 400 and "Create these owners" in refused.content.decode()
    assert not Owner.objects.filter(code="NLJ").exists()
    client.post("/import/plan/confirm/", {"token": token, "create_owners": "on"})
    action = Action.objects.get(
        objective__plan=trust, description="Present and gain buy-in from headteachers"
    )
    assert [o.code for o in action.responsible.all()] == ["NLJ"]


def test_a_refused_document_shows_why_and_stages_nothing(client_for):
    client = client_for("admin")
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    response = _upload(client, ole2, name="plan.doc")
    page = response.content.decode()
    assert "old Word document (.doc" in page and response.context["token"] == ""
    header = ["Aim", "Action", "Responsibility", "Budget", "Monitored by"]
    response = _upload(client, amethyst_document(header=header))
    assert "“Budget” is not one a plan table has" in response.content.decode()


def test_cancel_drops_the_waiting_import(client_for):
    client = client_for("admin")
    response = _upload(client, plan_2019_document(), years="2019-2022")
    token = response.context["token"]
    cancelled = client.post("/import/plan/cancel/", {"token": token}, follow=True)
    assert "cancelled: nothing was written" in cancelled.content.decode()
    again = client.post("/import/plan/confirm/", {"token": token}, follow=True)
    assert "no longer waiting" in again.content.decode()


def test_the_workbook_import_sends_a_word_document_to_the_plan_import(client_for):
    client = client_for("admin")
    response = client.post(
        "/import/",
        {
            "file": SimpleUploadedFile("plan.docx", amethyst_document(), content_type=DOCX),
            "state": "submitted",
        },
    )
    assert response.status_code == 400
    assert "import a development plan from Word at /import/plan/" in response.content.decode()
