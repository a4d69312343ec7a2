"""Published packs: the list, a pack's page, its two files, and publishing one.

Who reads which pack is academies.permissions.pack_academy_ids: trustees, central team and
administrators every pack; governors and heads the packs of their academies' bodies (never a
trust-wide one). A pack out of the reader's scope is a 404, like an unknown one. The files are
read from the packs storage and sent as attachments, never linked from a public folder.
"""

from __future__ import annotations

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_safe

from academies import permissions
from academies.models import Academy
from core.http import form_data
from kpis.models import Period
from kpis.selectors import PeriodIndex, default_period
from papers.models import PublishedPack
from papers.publishing import (
    PublishError,
    changed_values,
    changes_for,
    publish_pack,
    sha256,
)

logger = logging.getLogger(__name__)

PACKS_PER_PAGE = 50
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def web_limit() -> int:
    """The most academies a pack published from the page may cover (the PDF's: about half a
    second an academy; papers.views shares the setting for /kpis/pack.pdf)."""
    return settings.TRUSTPLAN_PACK_WEB_MAX_ACADEMIES


def _visible_pack(request: HttpRequest, pk: int) -> PublishedPack:
    """The pack if the user may read it; else 404, as for an unknown id."""
    return get_object_or_404(PublishedPack.objects.visible_to(request.user).for_display(), pk=pk)


@require_safe
def pack_list(request: HttpRequest) -> HttpResponse:
    """Newest first, each with how many of its values have changed since. Queries: the
    count, the page of packs with period and publisher, their academies, the values now."""
    if not permissions.may_see_packs(request.user):
        raise PermissionDenied("Board papers are for trustees, governors, heads and central team.")
    packs = PublishedPack.objects.visible_to(request.user).for_display()
    page = Paginator(packs, PACKS_PER_PAGE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    changes = changes_for(shown)
    return render(
        request,
        "papers/packs_list.html",
        {
            "rows": [(pack, changes[pack.pk]) for pack in shown],
            "page": page,
            "may_publish": permissions.may_publish_packs(request.user),
        },
    )


@require_safe
def pack_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pack = _visible_pack(request, pk)
    changes = changed_values(pack)
    return render(request, "papers/packs_detail.html", {"pack": pack, "changes": changes})


def _file_response(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """The stored bytes exactly, as an attachment, after checking them against the SHA-256
    recorded when the pack was published."""
    pack = _visible_pack(request, pk)
    field = getattr(pack, kind)
    try:
        with field.open("rb") as handle:
            content = handle.read()
    except OSError as error:
        logger.error("Published pack %s: its %s %s cannot be read: %s", pk, kind, field.name, error)
        raise Http404(f"This pack's {kind.upper()} file is missing from the store.") from error
    if sha256(content) != getattr(pack, f"{kind}_sha256"):
        logger.error("Published pack %s: its %s %s differs from its SHA-256", pk, kind, field.name)
        return HttpResponse(
            f"This pack's stored {kind.upper()} is not the file that was published (its SHA-256 "
            "differs), so it is not served. Tell an administrator.",
            status=500,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(content, content_type=CONTENT_TYPES[kind])
    filename = f"{slugify(pack.meeting) or 'board-pack'}-{pack.period.slug}.{kind}"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def pack_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _file_response(request, pk, "pdf")


@require_safe
def pack_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    return _file_response(request, pk, "xlsx")


class PublishForm(forms.Form):
    meeting = forms.CharField(
        max_length=200,
        help_text="As the papers name it, e.g. “Trust Board, 12 March 2024” or “Moreton School "
        "LGB, 5 March 2024”; it is the pack's title.",
        error_messages={
            "required": "Name the meeting, e.g. “Trust Board, 12 March 2024”.",
            "max_length": "Shorten the meeting's name to 200 characters at most.",
        },
    )
    meeting_date = forms.DateField(
        label="Date of the meeting",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Give the date of the meeting.",
            "invalid": "That is not a date: give the meeting's date as 12/03/2024 or 2024-03-12.",
        },
    )
    period = forms.ModelChoiceField(
        queryset=Period.objects.none(),
        label="Period of the figures",
        empty_label=None,
        error_messages={
            "required": "Choose the period whose figures the pack reports.",
            "invalid_choice": "That period is unknown: choose one of the periods listed.",
        },
    )
    academies = forms.ModelMultipleChoiceField(
        queryset=Academy.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Academies (for a local governing body's pack)",
        help_text="Tick none for a Trust Board pack of the whole trust. A pack naming academies "
        "is read by their governors and heads as well as trustees and central team.",
        error_messages={
            "invalid_choice": "One of the academies ticked is unknown or no longer active.",
            "invalid_pk_value": "One of the academies ticked is unknown.",
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = Period.objects.order_by("-year_start", "-term")
        self.fields["academies"].queryset = Academy.objects.active()

    def clean(self) -> dict:
        data = super().clean()
        academies = data.get("academies")
        count = len(academies) if academies else Academy.objects.active().count()
        limit = web_limit()
        if count > limit:
            raise forms.ValidationError(
                f"This pack covers {count} academies: more than {limit} take too long to make "
                "while the page waits. Publish it with the command manage.py publish_pack (README, "
                "Board papers), or tick fewer academies."
            )
        return data

    def clean_meeting(self) -> str:
        meeting = self.cleaned_data["meeting"].strip()
        if not meeting:
            raise forms.ValidationError("Name the meeting, e.g. “Trust Board, 12 March 2024”.")
        return meeting


@require_http_methods(["GET", "HEAD", "POST"])
def pack_publish(request: HttpRequest) -> HttpResponse:
    """The form (GET) and publishing (POST: central team and administrators only)."""
    if not permissions.may_publish_packs(request.user):
        raise PermissionDenied("Only central team and administrators publish board packs.")
    form = PublishForm(*form_data(request))
    if request.method != "POST":
        form.initial["period"] = default_period(PeriodIndex())
    elif form.is_valid():
        data = form.cleaned_data
        try:
            pack = publish_pack(
                meeting=data["meeting"],
                meeting_date=data["meeting_date"],
                period=data["period"],
                academy_ids={academy.pk for academy in data["academies"]},
                user=request.user,
            )
        except PublishError as error:
            form.add_error(None, str(error))
            return render(request, "papers/packs_publish.html", {"form": form}, status=409)
        else:
            messages.success(
                request, f"Published “{pack.meeting}”: its PDF and workbook are kept as made now."
            )
            return redirect(pack)
    status = 400 if form.is_bound else 200
    return render(request, "papers/packs_publish.html", {"form": form}, status=status)
