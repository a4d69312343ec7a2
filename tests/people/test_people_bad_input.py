"""The bad-input corpus of the people forms: a person (add and change), reminder preferences,
password reset, choosing a password from a link. Each case gets a message naming the field,
never a server error, and writes nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from people import services
from people.models import PasswordResetRequest, PersonChange, ReminderPreference
from people.tokens import invitation_token

pytestmark = pytest.mark.django_db

User = get_user_model()

GOOD = {
    "first_name": "Jo",
    "last_name": "Bloggs",
    "email": "jo@example.org",
    "roles": ["Trustee"],
}

# (field, typed, words the page says): each refused, naming what is wrong.
PERSON_CASES = [
    ("first_name", "", "This field is required."),
    ("first_name", "   ", "This field is required."),
    ("first_name", "x" * 10_000, "at most 150 characters"),
    ("last_name", "y" * 151, "at most 150 characters"),
    ("email", "", "This field is required."),
    ("email", "not an address", "Enter a valid email address."),
    ("email", "jo@", "Enter a valid email address."),
    ("email", "@example.org", "Enter a valid email address."),
    ("email", "jo@exa mple.org", "Enter a valid email address."),
    ("email", f"{'a' * 250}@example.org", "at most 254 characters"),
    ("email", "=cmd|' /C calc'!A0@example.org", "Enter a valid email address."),
    ("email", "<script>@example.org", "Enter a valid email address."),
    ("email", "jo@example.org\nBcc: all@example.org", "Enter a valid email address."),
    ("roles", [], "This field is required."),
    ("roles", ["Emperor"], "Select a valid choice. Emperor is not one of the available choices."),
    ("roles", ["🙂"], "Select a valid choice."),
    ("roles", ["x" * 10_000], "Select a valid choice."),
    ("heads", ["999999"], "Select a valid choice. 999999 is not one of the available choices."),
    ("heads", ["abc"], "“abc” is not a valid value."),
    ("heads", ["٣"], "not a valid value"),  # Arabic-Indic three
    ("heads", ["²"], "not a valid value"),
    ("heads", ["-1"], "“-1” is not a valid value."),
    ("heads", ["9" * 40], "is not a valid value"),
    ("governs", ["1.5"], "not a valid value"),
]


@pytest.mark.parametrize("field, typed, words", PERSON_CASES)
def test_adding_a_person_refuses_bad_input_and_writes_nothing(client, cast, field, typed, words):
    client.force_login(cast["central"])
    users, changes = User.objects.count(), PersonChange.objects.count()
    response = client.post(reverse("people:new"), {**GOOD, field: typed})
    assert response.status_code == 400
    page = response.content.decode()
    from html import unescape

    assert words in unescape(page), page[:2000]
    assert User.objects.count() == users
    assert mail.outbox == []
    assert PersonChange.objects.count() == changes


@pytest.mark.parametrize("field, typed, words", PERSON_CASES)
def test_changing_a_person_refuses_bad_input_and_changes_nothing(client, cast, field, typed, words):
    from html import unescape

    person = cast["trustee"]
    client.force_login(cast["central"])
    changes = PersonChange.objects.count()
    response = client.post(reverse("people:person", args=[person.pk]), {**GOOD, field: typed})
    assert response.status_code == 400
    assert words in unescape(response.content.decode())
    person.refresh_from_db()
    assert person.email == "" and person.first_name == ""
    assert list(person.groups.values_list("name", flat=True)) == ["Trustee"]
    assert PersonChange.objects.count() == changes


def test_a_formula_or_markup_in_a_name_is_kept_as_text(client, cast):
    client.force_login(cast["central"])
    client.post(
        reverse("people:new"),
        {**GOOD, "first_name": '=HYPERLINK("x")', "last_name": "<b>Bold</b>"},
    )
    person = User.objects.get(username="jo@example.org")
    assert person.first_name == '=HYPERLINK("x")'
    page = client.get(reverse("people:list")).content.decode()
    assert "&lt;b&gt;Bold&lt;/b&gt;" in page and "<b>Bold</b>" not in page
    assert "<b>Bold</b>" not in mail.outbox[0].alternatives[0][0]


def test_a_nul_character_anywhere_is_refused_before_any_view(client, cast):
    client.force_login(cast["central"])
    response = client.post(reverse("people:new"), {**GOOD, "first_name": "Jo\x00"})
    assert response.status_code == 400
    assert not User.objects.filter(username="jo@example.org").exists()
    response = client.post(reverse("password_reset"), {"email": "jo\x00@example.org"})
    assert response.status_code == 400


def test_an_unknown_person_is_a_404(client, cast):
    client.force_login(cast["central"])
    assert client.get("/people/999999/").status_code == 404
    assert client.post("/people/999999/deactivate/").status_code == 404
    assert client.get("/people/٣/").status_code == 404  # not matched by <int:pk>


@pytest.mark.parametrize(
    "posted",
    [
        {"returns": "maybe"},
        {"weekly_digest": "x" * 10_000},
        {"returns": "🙂", "actions": ["on", "off"]},
        {"unknown": "on"},
    ],
)
def test_preferences_take_any_junk_as_a_yes_or_no(client, cast, posted):
    client.force_login(cast["head_a"])
    response = client.post(reverse("people:preferences"), posted)
    assert response.status_code == 302
    assert ReminderPreference.objects.filter(user=cast["head_a"]).count() == 1


RESET_CASES = [
    ("", "This field is required."),
    ("not an address", "Enter a valid email address."),
    ("x" * 10_000, "at most 254 characters"),
    ("jo@example.org\r\nBcc: everyone@example.org", "Enter a valid email address."),
    ("' OR '1'='1", "Enter a valid email address."),
    ("١@example.org" * 30, "at most 254 characters"),
]


@pytest.mark.parametrize("typed, words", RESET_CASES)
def test_the_reset_form_refuses_bad_input_without_sending_or_counting(client, db, typed, words):
    from html import unescape

    response = client.post(reverse("password_reset"), {"email": typed})
    assert response.status_code == 200
    assert words in unescape(response.content.decode())
    assert mail.outbox == []
    assert not PasswordResetRequest.objects.exists()


@pytest.fixture
def invited(cast, academy_a):
    person = services.invite_person(
        details=services.PersonDetails(
            "Jo", "Bloggs", "jo@example.org", ["Headteacher"], [academy_a]
        ),
        by=cast["central"],
    )
    services.send_invitation(user=person, by=cast["central"])
    return User.objects.get(pk=person.pk)


def _form_url(client, person) -> str:
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    link = reverse("people:accept", args=[uid, invitation_token.make_token(person)])
    return client.get(link)["Location"]


@pytest.mark.parametrize(
    "first, second, words",
    [
        ("", "", "This field is required."),
        ("a-long-passphrase-1", "a-long-passphrase-2", "The two password fields didn’t match."),
        ("short", "short", "at least 10 characters"),
        ("1234567890", "1234567890", "This password is entirely numeric."),
        ("password123", "password123", "This password is too common."),
        ("jo@example.org", "jo@example.org", "too similar"),
        ("x" * 10_000, "y", "didn’t match"),
    ],
)
def test_choosing_a_password_refuses_bad_ones_and_the_link_still_works(
    client, invited, first, second, words
):
    from html import unescape

    url = _form_url(client, invited)
    response = client.post(url, {"new_password1": first, "new_password2": second})
    assert response.status_code == 200
    assert words in unescape(response.content.decode())
    invited.refresh_from_db()
    assert not invited.has_usable_password()
    assert invited.invitation.accepted_at is None
    assert client.get(url).context["validlink"]


@pytest.mark.parametrize(
    "uid, token",
    [
        ("MQ", "x"),
        ("!!!", "abc-def"),
        ("A" * 2000, "1-2"),
        ("MTIzNDU2Nzg5MDEyMzQ1Njc4OTA", "zz-zz"),  # a uid too big for the database
        ("w7w", "٣-٣"),
        ("MQ", "-".join(["a"] * 50)),
    ],
)
def test_a_broken_link_says_so(client, db, uid, token):
    for name in ("people:accept", "password_reset_confirm"):
        response = client.get(reverse(name, args=[uid, token]), follow=True)
        assert response.status_code == 200
        assert response.context["validlink"] is False
