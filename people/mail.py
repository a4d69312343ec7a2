"""Every message trustplan sends: a plain-text and an HTML part from two templates, the trust's
name in the subject and the body, and absolute links to the page it is about."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string


def site_url(path: str = "") -> str:
    """An absolute link: TRUSTPLAN_SITE_URL (where people reach trustplan) and the path."""
    return f"{settings.TRUSTPLAN_SITE_URL.rstrip('/')}{path}"


def base_context() -> dict:
    return {"trust_name": settings.TRUST_NAME, "site_url": site_url()}


def message(*, to: str, subject: str, template: str, context: dict) -> EmailMultiAlternatives:
    """``templates/people/email/<template>.txt`` and ``.html`` as one message to ``to``."""
    context = {**base_context(), **context, "subject": subject}
    text = render_to_string(f"people/email/{template}.txt", context)
    html = render_to_string(f"people/email/{template}.html", context)
    mail = EmailMultiAlternatives(
        subject=f"{settings.TRUST_NAME}: {subject}",
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    mail.attach_alternative(html, "text/html")
    return mail


def connection():
    """One connection for a run of messages; never fail silently (the caller records it)."""
    return get_connection(fail_silently=False)
