"""The People pages (central team and administrators), the invitation's page, each person's
reminder preferences, and Django's password reset, throttled."""

from __future__ import annotations

import logging
from datetime import timedelta

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from academies import permissions
from academies.models import AcademyRole, RoleAssignment
from core.client_ip import client_ip
from people import mail, services
from people.forms import PersonForm, PreferencesForm, ResetForm
from people.models import PasswordResetRequest, PersonChange, ReminderPreference
from people.tokens import invitation_token

logger = logging.getLogger(__name__)

User = get_user_model()


def _posted(request: HttpRequest):
    """The form's data on a POST (an empty POST too: its errors are shown), else None."""
    return request.POST if request.method == "POST" else None


def _manager(request: HttpRequest) -> None:
    if not permissions.may_manage_people(request.user):
        raise PermissionDenied


def _person(request: HttpRequest, pk: int):
    _manager(request)
    return get_object_or_404(User, pk=pk)


def _people_queryset():
    return (
        User.objects.select_related("invitation")
        .prefetch_related(
            "groups",
            Prefetch(
                "academy_roles",
                queryset=RoleAssignment.objects.select_related("academy").order_by(
                    "academy__position", "academy__name"
                ),
            ),
        )
        .order_by("-is_active", "last_name", "first_name", "username")
    )


def _row(user) -> dict:
    roles = [g.name for g in user.groups.all() if g.name in permissions.ROLE_GROUPS]
    if user.is_superuser and permissions.ADMINISTRATOR not in roles:
        roles.append(permissions.ADMINISTRATOR)
    assignments = list(user.academy_roles.all())
    invitation = getattr(user, "invitation", None)
    if not user.is_active:
        state = "Deactivated"
    elif invitation is not None and invitation.accepted_at is None:
        if invitation.times_sent == 0:
            state = "Invitation not sent"
        else:
            expires = invitation.sent_at + timedelta(days=settings.TRUSTPLAN_INVITATION_DAYS)
            expired = expires < timezone.now()
            state = "Invitation expired" if expired else "Invited"
    else:
        state = "Active"
    return {
        "user": user,
        "roles": [r for r in permissions.ROLE_GROUPS if r in roles],
        "heads": [a.academy for a in assignments if a.role == AcademyRole.HEADTEACHER],
        "governs": [a.academy for a in assignments if a.role == AcademyRole.GOVERNOR],
        "state": state,
        "invitation": invitation,
    }


@require_http_methods(["GET", "HEAD"])
def people_list(request: HttpRequest) -> HttpResponse:
    _manager(request)
    rows = [_row(user) for user in _people_queryset()]
    context = {"rows": rows, "invitation_days": settings.TRUSTPLAN_INVITATION_DAYS}
    return render(request, "people/list.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def person_new(request: HttpRequest) -> HttpResponse:
    _manager(request)
    form = PersonForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            person = services.invite_person(details=form.details(), by=request.user)
        except services.PersonError as error:
            form.add_error(None, str(error))
        else:
            _send(request, person)
            return redirect("people:person", pk=person.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "person": None, "sso_enabled": _sso_enabled()}
    return render(request, "people/form.html", context, status=status)


def _sso_enabled() -> bool:
    return bool(getattr(settings, "OIDC_ISSUER", ""))


def _send(request: HttpRequest, person) -> None:
    try:
        services.send_invitation(user=person, by=request.user)
    except services.MailError as error:
        messages.error(request, f"{error}. Check the mail settings, then send it again.")
    except services.PersonError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Invitation sent to {person.email}: the link works for "
            f"{settings.TRUSTPLAN_INVITATION_DAYS} days.",
        )


def _initial(person) -> dict:
    row = _row(_people_queryset().get(pk=person.pk))
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "roles": row["roles"],
        "heads": row["heads"],
        "governs": row["governs"],
    }


@require_http_methods(["GET", "HEAD", "POST"])
def person(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    form = PersonForm(_posted(request), initial=_initial(person), person=person)
    if request.method == "POST" and form.is_valid():
        try:
            lines = services.update_person(user=person, details=form.details(), by=request.user)
        except services.PersonError as error:
            form.add_error(None, str(error))
        else:
            if lines:
                messages.success(request, "Saved: " + "; ".join(lines) + ".")
            else:
                messages.info(request, "Nothing changed.")
            return redirect("people:person", pk=person.pk)
    context = {
        "form": form,
        "person": person,
        "row": _row(_people_queryset().get(pk=person.pk)),
        "changes": PersonChange.objects.filter(user=person).select_related("changed_by"),
        "may_change": _may_change(request.user, person),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "people/form.html", context, status=status)


def _may_change(by, person) -> bool:
    return permissions.is_administrator(by) or not permissions.is_administrator(person)


@require_POST
def person_resend(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    if not _may_change(request.user, person):
        raise PermissionDenied
    _send(request, person)
    return redirect("people:person", pk=person.pk)


@require_POST
def person_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, active=False)


@require_POST
def person_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, active=True)


def _set_active(request: HttpRequest, pk: int, *, active: bool) -> HttpResponse:
    person = _person(request, pk)
    name = person.get_full_name() or person.get_username()
    try:
        ended = services.set_active(user=person, active=active, by=request.user)
    except services.PersonError as error:
        messages.error(request, str(error))
    else:
        if active:
            messages.success(request, f"{name} can sign in again.")
        else:
            signed_out = f" and signed out of {ended} session(s)" if ended else ""
            messages.success(request, f"{name} is deactivated{signed_out}.")
    return redirect("people:person", pk=person.pk)


@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """Each person's own page: which reminders they get, daily or as a weekly digest."""
    preference = ReminderPreference.objects.filter(user=request.user).first() or ReminderPreference(
        user=request.user
    )
    form = PreferencesForm(_posted(request), instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your reminder preferences are saved.")
        return redirect("people:preferences")
    status = 400 if request.method == "POST" else 200
    weekday = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    context = {
        "form": form,
        "has_email": bool(request.user.email),
        "digest_day": weekday[settings.TRUSTPLAN_DIGEST_WEEKDAY],
    }
    return render(request, "people/preferences.html", context, status=status)


class AcceptInvitationView(auth_views.PasswordResetConfirmView):
    """The invitation's link: choose a password, then signed in. Django's reset-confirm view
    (the token leaves the address bar before the form shows) with the invitation's tokens."""

    token_generator = invitation_token
    template_name = "people/accept.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("home")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["days"] = settings.TRUSTPLAN_INVITATION_DAYS
        context["sso_enabled"] = _sso_enabled()
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        services.accept_invitation(form.user)
        axes_reset(username=form.user.get_username())
        messages.success(self.request, f"Welcome to trustplan, {form.user.get_full_name()}.")
        return response


def _reset_throttled(ip: str | None, email: str) -> bool:
    since = timezone.now() - (settings.AXES_COOLOFF_TIME or timedelta(minutes=15))
    recent = PasswordResetRequest.objects.filter(requested_at__gte=since)
    limit = settings.AXES_FAILURE_LIMIT
    by_address = ip is not None and recent.filter(ip_address=ip).count() >= limit
    return by_address or recent.filter(email=email).count() >= limit


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's "choose a new password" page. A person locked out of sign-in (django-axes) who
    proves their address this way may sign in at once: their failed sign-ins are forgotten."""

    def form_valid(self, form):
        response = super().form_valid(form)
        axes_reset(username=form.user.get_username())
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset: the same answer whether or not the address is anyone's, the
    link expires after PASSWORD_RESET_TIMEOUT, and requests are throttled like sign-in —
    AXES_FAILURE_LIMIT per address and per e-mail address within AXES_COOLOFF_TIME (429)."""

    form_class = ResetForm
    email_template_name = "people/email/password_reset.txt"
    html_email_template_name = "people/email/password_reset.html"
    subject_template_name = "people/email/password_reset_subject.txt"

    def form_valid(self, form):
        ip = client_ip(self.request)
        email = form.cleaned_data["email"].strip().lower()
        if _reset_throttled(ip, email):
            logger.warning("Password reset throttled for %s from %s", email, ip)
            return render(
                self.request,
                "people/reset_throttled.html",
                {"cooloff": settings.AXES_COOLOFF_TIME},
                status=429,
            )
        PasswordResetRequest.objects.filter(
            requested_at__lt=timezone.now() - timedelta(days=30)
        ).delete()
        PasswordResetRequest.objects.create(
            ip_address=ip, email=email[:254], requested_at=timezone.now()
        )
        self.extra_email_context = {
            **mail.base_context(),
            "hours": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600),
            "login_link": mail.site_url(reverse("login")),
        }
        return super().form_valid(form)
