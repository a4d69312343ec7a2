"""Invitations and the People pages: who may add whom, links that expire and are replaced by a
re-send, role and academy changes kept in history, deactivation ending sessions at once."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from academies.models import Academy, AcademyRole, RoleAssignment
from people import services
from people.models import PersonChange
from people.tokens import invitation_token
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

User = get_user_model()


def _invite(client, by, **overrides):
    client.force_login(by)
    data = {
        "first_name": "Jo",
        "last_name": "Bloggs",
        "email": "jo@example.org",
        "roles": ["Headteacher"],
        "heads": [Academy.objects.get(slug="moreton-school").pk],
        **overrides,
    }
    return client.post(reverse("people:new"), data)


def _accept_url(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("people:accept", args=[uid, invitation_token.make_token(user)])


def test_central_team_invite_a_head_who_has_no_password_until_they_choose_one(client, cast):
    response = _invite(client, cast["central"])
    person = User.objects.get(username="jo@example.org")
    assert response["Location"] == reverse("people:person", args=[person.pk])
    assert not person.has_usable_password()
    assert person.is_active and not person.is_staff
    assert list(person.groups.values_list("name", flat=True)) == ["Headteacher"]
    assert list(
        RoleAssignment.objects.filter(user=person).values_list("academy__slug", "role")
    ) == [("moreton-school", AcademyRole.HEADTEACHER)]
    assert person.invitation.times_sent == 1 and person.invitation.invited_by == cast["central"]
    [message] = mail.outbox
    assert message.to == ["jo@example.org"]
    [change] = PersonChange.objects.filter(user=person)
    assert change.changed_by == cast["central"]
    assert change.lines[0] == "Invited"
    assert "Role: (blank) → Headteacher" in change.lines
    assert "Headteacher of: added Moreton School" in change.lines


def test_the_people_page_lists_everyone_with_their_state(client, cast):
    _invite(client, cast["central"])
    page = client.get(reverse("people:list")).content.decode()
    assert "Jo Bloggs" in page and "Invited" in page
    assert "Headteacher of Moreton School" in page


def test_central_team_cannot_make_an_administrator(client, cast):
    response = _invite(client, cast["central"], roles=["Administrator"], heads=[])
    assert response.status_code == 400
    assert "Only an administrator may give the Administrator role." in response.content.decode()
    assert not User.objects.filter(username="jo@example.org").exists()
    assert mail.outbox == []


def test_central_team_cannot_change_an_administrator(client, cast):
    client.force_login(cast["central"])
    url = reverse("people:person", args=[cast["admin"].pk])
    assert "Only an administrator may change an administrator." in client.get(url).content.decode()
    response = client.post(
        url,
        {"first_name": "X", "last_name": "Y", "email": "x@example.org", "roles": ["Trustee"]},
    )
    assert response.status_code == 400
    assert User.objects.get(pk=cast["admin"].pk).groups.filter(name="Administrator").exists()
    client.post(reverse("people:deactivate", args=[cast["admin"].pk]))
    assert User.objects.get(pk=cast["admin"].pk).is_active


def test_an_administrator_may_make_an_administrator_who_uses_the_admin(client, cast):
    _invite(client, cast["admin"], roles=["Administrator"], heads=[])
    person = User.objects.get(username="jo@example.org")
    assert person.is_staff and person.groups.filter(name="Administrator").exists()


def test_a_head_may_not_open_the_people_pages(client, cast):
    client.force_login(cast["head_a"])
    assert client.get(reverse("people:list")).status_code == 403
    assert _invite(client, cast["head_a"]).status_code == 403
    assert not User.objects.filter(username="jo@example.org").exists()


def test_an_address_already_in_use_is_refused_in_any_case(client, cast):
    cast["trustee"].email = "Jo@Example.org"
    cast["trustee"].save()
    response = _invite(client, cast["central"])
    assert response.status_code == 400
    assert "jo@example.org is already someone&#x27;s address" in response.content.decode()


def test_academies_need_the_role_that_goes_with_them(client, cast):
    response = _invite(client, cast["central"], roles=["Trustee"])
    assert response.status_code == 400
    assert "Tick the Headteacher role" in response.content.decode()


def test_an_invitation_link_expires(client, cast, settings, monkeypatch):
    _invite(client, cast["central"])
    person = User.objects.get(username="jo@example.org")
    link = _accept_url(person)
    client.logout()
    later = datetime.datetime.now() + datetime.timedelta(
        days=settings.TRUSTPLAN_INVITATION_DAYS, hours=1
    )
    monkeypatch.setattr(invitation_token, "_now", lambda: later)
    page = client.get(link, follow=True)
    assert page.context["validlink"] is False
    assert "This invitation link no longer works" in page.content.decode()
    monkeypatch.setattr(invitation_token, "_now", lambda: later - datetime.timedelta(hours=2))
    assert client.get(link, follow=True).context["validlink"] is True


def test_sending_again_replaces_the_earlier_link(client, cast):
    _invite(client, cast["central"])
    person = User.objects.get(username="jo@example.org")
    first = _accept_url(person)
    response = client.post(reverse("people:resend", args=[person.pk]))
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    person = User.objects.get(pk=person.pk)
    assert person.invitation.times_sent == 2
    assert ["Invitation sent again (2 times)"] in [c.lines for c in person.person_changes.all()]
    client.logout()
    assert client.get(first, follow=True).context["validlink"] is False
    assert client.get(_accept_url(person), follow=True).context["validlink"] is True


def test_a_password_reset_token_is_no_invitation(client, cast):
    from django.contrib.auth.tokens import default_token_generator

    _invite(client, cast["central"])
    person = User.objects.get(username="jo@example.org")
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    client.logout()
    url = reverse("people:accept", args=[uid, default_token_generator.make_token(person)])
    assert client.get(url, follow=True).context["validlink"] is False


def test_a_deactivated_persons_invitation_no_longer_works(client, cast):
    _invite(client, cast["central"])
    person = User.objects.get(username="jo@example.org")
    link = _accept_url(person)
    client.post(reverse("people:deactivate", args=[person.pk]))
    client.logout()
    assert client.get(link, follow=True).context["validlink"] is False
    client.force_login(cast["central"])
    client.post(reverse("people:resend", args=[person.pk]))
    assert len(mail.outbox) == 1  # not sent again while deactivated


def test_deactivating_ends_the_persons_sessions_at_once(client, cast):
    head = cast["head_b"]
    desk, phone = Client(), Client()
    for device in (desk, phone):
        assert (
            device.post(
                reverse("login"), {"username": head.username, "password": PASSWORD}
            ).status_code
            == 302
        )
        assert device.get("/").status_code == 200
    client.force_login(cast["central"])
    sessions_before = Session.objects.count()
    response = client.post(reverse("people:deactivate", args=[head.pk]), follow=True)
    assert "signed out of 2 session(s)" in response.content.decode()
    assert Session.objects.count() == sessions_before - 2
    for device in (desk, phone):
        assert device.get("/").status_code == 302  # to sign in
    refused = Client().post(reverse("login"), {"username": head.username, "password": PASSWORD})
    assert refused.status_code == 200
    assert client.get("/").status_code == 200  # central team are still signed in
    [change] = PersonChange.objects.filter(user=head, changed_by=cast["central"])
    assert change.lines == ["Active: Yes → No"]


def test_reactivating_lets_them_sign_in_again(client, cast):
    head = cast["head_b"]
    client.force_login(cast["central"])
    client.post(reverse("people:deactivate", args=[head.pk]))
    client.post(reverse("people:reactivate", args=[head.pk]))
    assert (
        Client()
        .post(reverse("login"), {"username": head.username, "password": PASSWORD})
        .status_code
        == 302
    )
    changes = PersonChange.objects.filter(user=head, changed_by=cast["central"]).order_by("pk")
    assert [c.lines for c in changes] == [
        ["Active: Yes → No"],
        ["Active: No → Yes"],
    ]


def test_nobody_deactivates_themselves(client, cast):
    client.force_login(cast["central"])
    response = client.post(reverse("people:deactivate", args=[cast["central"].pk]), follow=True)
    assert "You cannot deactivate yourself." in response.content.decode()
    assert User.objects.get(pk=cast["central"].pk).is_active


def test_role_and_academy_changes_are_kept_in_history(client, cast, academy_a, academy_b):
    head = cast["head_a"]
    client.force_login(cast["central"])
    response = client.post(
        reverse("people:person", args=[head.pk]),
        {
            "first_name": "Priya",
            "last_name": "Shah",
            "email": "priya@example.org",
            "roles": ["Headteacher", "Governor"],
            "heads": [academy_b.pk],
            "governs": [academy_a.pk],
        },
    )
    assert response.status_code == 302
    [change] = PersonChange.objects.filter(user=head, changed_by=cast["central"])
    assert change.lines == [
        "Name: (blank) → Priya Shah",
        "E-mail: (blank) → priya@example.org",
        "Role: Headteacher → Governor, Headteacher",
        "Headteacher of: added Moreton School; removed Aldersley High School",
        "Local governor of: added Aldersley High School",
    ]
    assert set(RoleAssignment.objects.filter(user=head).values_list("academy__slug", "role")) == {
        ("moreton-school", AcademyRole.HEADTEACHER),
        ("aldersley-high-school", AcademyRole.GOVERNOR),
    }
    page = client.get(reverse("people:person", args=[head.pk])).content.decode()
    assert "Headteacher of: added Moreton School; removed Aldersley High School" in page
    # Saving again unchanged records nothing.
    client.post(
        reverse("people:person", args=[head.pk]),
        {
            "first_name": "Priya",
            "last_name": "Shah",
            "email": "priya@example.org",
            "roles": ["Headteacher", "Governor"],
            "heads": [academy_b.pk],
            "governs": [academy_a.pk],
        },
    )
    assert PersonChange.objects.filter(user=head, changed_by=cast["central"]).count() == 1


def test_a_role_change_takes_effect_at_the_next_request(client, cast, academy_a):
    head = cast["head_a"]
    head_client = Client()
    head_client.force_login(head)
    assert head_client.get(reverse("entry:grid")).status_code == 200
    services.update_person(
        user=head,
        details=services.PersonDetails("Priya", "Shah", "p@example.org", ["Trustee"]),
        by=cast["admin"],
    )
    assert head_client.get(reverse("entry:grid")).status_code == 403


def test_the_people_page_runs_the_same_queries_for_more_people(
    client, cast, django_assert_num_queries
):
    client.force_login(cast["central"])
    client.get(reverse("people:list"))  # warm: content types, groups

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("people:list")).status_code == 200
        return len(queries)

    before = count()
    moreton = Academy.objects.get(slug="moreton-school")
    for n in range(10):
        services.invite_person(
            details=services.PersonDetails(
                f"P{n}", "Q", f"p{n}@example.org", ["Headteacher"], heads=[moreton]
            ),
            by=cast["admin"],
        )
    assert count() == before
    # session, user, the user's groups (header), people, their groups, their academies,
    # the demo-data marker
    with django_assert_num_queries(before):
        client.get(reverse("people:list"))


def test_changes_made_elsewhere_are_kept_in_history_too(cast, academy_b):
    """The Django admin's user page and role assignments, or a script, change people without
    the People pages: the same history is kept, one line per change."""
    from django.contrib.auth.models import Group

    head = cast["head_a"]
    head.groups.add(Group.objects.get(name="Trustee"))
    head.groups.remove(Group.objects.get(name="Headteacher"))
    RoleAssignment.objects.create(user=head, academy=academy_b, role=AcademyRole.GOVERNOR)
    RoleAssignment.objects.filter(user=head, role=AcademyRole.HEADTEACHER).delete()
    lines = [c.lines for c in PersonChange.objects.filter(user=head).order_by("pk")]
    assert lines[-4:] == [
        ["Role: added Trustee"],
        ["Role: removed Headteacher"],
        ["Local governor of: added Moreton School"],
        ["Headteacher of: removed Aldersley High School"],
    ]


def test_deactivating_in_the_django_admin_ends_sessions_too(cast):
    head = cast["head_b"]
    device = Client()
    device.force_login(head)
    assert device.get("/").status_code == 200
    head.is_active = False
    head.save()
    assert device.get("/").status_code == 302
    assert PersonChange.objects.filter(user=head).latest("pk").lines == ["Active: Yes → No"]


def test_a_role_assignment_added_in_the_admin_records_who_added_it(client, cast, academy_b):
    client.force_login(cast["admin"])
    response = client.post(
        reverse("admin:academies_roleassignment_add"),
        {"user": cast["trustee"].pk, "academy": academy_b.pk, "role": AcademyRole.GOVERNOR},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    change = PersonChange.objects.filter(user=cast["trustee"]).latest("pk")
    assert change.lines == ["Local governor of: added Moreton School"]
    assert change.changed_by == cast["admin"]


def test_signing_in_records_nothing(client, cast):
    before = PersonChange.objects.count()
    client.post(reverse("login"), {"username": "t-trustee", "password": PASSWORD})
    assert PersonChange.objects.count() == before
