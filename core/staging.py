"""Uploaded workbooks waiting between preview and confirm, in settings.TRUSTPLAN_IMPORT_DIR.

The import page stages a file that previews cleanly, named by a random token kept in the
administrator's session (the admin's django-import-export imports stage theirs in the
``admin`` folder inside it, core.import_formats). A file is removed when its import is
confirmed, cancelled, refused at confirm or replaced by a new upload in the same session; any
other (a preview never confirmed, a session that ended) expires after
TRUSTPLAN_IMPORT_STAGED_HOURS and is removed at the next upload or by
``manage.py purge_staged_imports``. Only files named like tokens are ever removed.

SessionStage is the import pages' side of it (the workbook, GIAS and plan imports): the upload
waiting in a session, and the messages of a confirm that finds it gone or no longer clean and of
a cancel.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

ADMIN = "admin"  # the django-import-export area
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,100}")
log = logging.getLogger(__name__)
CONFIRM_PROBLEMS_SHOWN = 5  # a confirm that no longer imports cleanly says the first few why


def folder(area: str = "") -> Path:
    root = Path(settings.TRUSTPLAN_IMPORT_DIR)
    return root / area if area else root


def new_token() -> str:
    return secrets.token_urlsafe(24)


def stage(data: bytes, area: str = "") -> str:
    """Keep `data` until confirmed; its token."""
    return stage_chunks([data], area)


def stage_chunks(chunks: Iterable[bytes], area: str = "") -> str:
    """Keep the bytes of `chunks` (an upload's .chunks(), never read into memory whole) until
    confirmed; their token."""
    token = new_token()
    where = folder(area)
    where.mkdir(parents=True, exist_ok=True)
    with (where / token).open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
    return token


def path(token: str, area: str = "") -> Path | None:
    """The staged file of `token`, or None (not a token, or no such file)."""
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        return None
    found = folder(area) / token
    return found if found.is_file() else None


def read(token: str, area: str = "") -> bytes | None:
    """The staged bytes, or None if the file is not there (or went a moment ago)."""
    found = path(token, area)
    if found is None:
        return None
    try:
        return found.read_bytes()
    except FileNotFoundError:  # expired or cancelled in between
        return None


def discard(token: str, area: str = "") -> None:
    found = path(token, area)
    if found is not None:
        found.unlink(missing_ok=True)


def expiry_hours() -> float:
    return float(settings.TRUSTPLAN_IMPORT_STAGED_HOURS)


def purge_expired(hours: float | None = None) -> int:
    """Remove staged files older than `hours` (default the setting); how many went."""
    cutoff = time.time() - (expiry_hours() if hours is None else hours) * 60 * 60
    removed = 0
    for area in ("", ADMIN):
        where = folder(area)
        if not where.is_dir():
            continue
        for candidate in where.iterdir():
            if not TOKEN.fullmatch(candidate.name):
                continue
            try:
                if not candidate.is_file() or candidate.stat().st_mtime >= cutoff:
                    continue
                candidate.unlink()
            except FileNotFoundError:  # removed at the same moment by another purge
                continue
            removed += 1
    return removed


def purge_expired_quietly() -> None:
    """purge_expired for a request: a folder it cannot clean is logged, never an error page."""
    try:
        purge_expired()
    except OSError:
        log.exception("Could not remove expired staged imports from %s", folder())


class SessionStage:
    """The upload an import page keeps waiting in the session under `key` (a dict with its
    staged file's "token" and what the page needs at confirm), between preview and confirm.

    `noun` names it in messages ("GIAS import"), `url` is the page's URL name (where a confirm
    or cancel goes back to) and `changed` what may have changed since the preview ("data").
    """

    def __init__(self, key: str, noun: str, url: str, changed: str = "data") -> None:
        self.key, self.noun, self.url, self.changed = key, noun, url, changed

    def pending(self, request: HttpRequest, token: str) -> dict | None:
        """The upload waiting in this session, if `token` is its token."""
        pending = request.session.get(self.key) or {}
        if not pending or not token or pending.get("token") != token:
            return None
        return pending

    def waiting(self, request: HttpRequest, token: str) -> tuple[dict | None, bytes | None]:
        """The upload waiting in this session under `token` and its staged bytes (None when
        it is not this session's, or its file went)."""
        pending = self.pending(request, token)
        return pending, (read(token) if pending else None)

    def keep(self, request: HttpRequest, token: str, details: dict) -> None:
        """Wait for the confirm of the file staged under `token`, with `details`."""
        request.session[self.key] = {**details, "token": token}

    def forget(self, request: HttpRequest) -> dict:
        """Drop the upload waiting in this session, and its staged file; what it was."""
        pending = request.session.pop(self.key, None) or {}
        if pending.get("token"):
            discard(pending["token"])
        return pending

    def received(self, request: HttpRequest, form) -> bool:
        """Whether the upload form was posted and is valid. Any post replaces the upload
        waiting, valid or not (its file goes, and expired ones with it)."""
        if request.method != "POST":
            return False
        self.forget(request)
        purge_expired_quietly()
        return form.is_valid()

    def form_page(self, request: HttpRequest, template: str, form) -> HttpResponse:
        """The upload form: 400 when posted (it did not validate)."""
        status = 400 if request.method == "POST" else 200
        return render(request, template, {"form": form}, status=status)

    def gone(self, request: HttpRequest) -> HttpResponse:
        """A confirm whose upload is not (or no longer) waiting."""
        messages.error(request, f"That {self.noun} is no longer waiting: upload the file again.")
        return redirect(self.url)

    def refuse(self, request: HttpRequest, problems: Iterable) -> HttpResponse:
        """A confirm whose file no longer imports cleanly: the first few `problems` say why."""
        messages.error(
            request,
            f"The {self.changed} changed since the preview and the file no longer imports "
            "cleanly; nothing was written. Upload it again to see why.",
        )
        for problem in list(problems)[:CONFIRM_PROBLEMS_SHOWN]:
            messages.error(request, str(problem))
        return redirect(self.url)

    def cancel(self, request: HttpRequest) -> HttpResponse:
        """Abandon the upload waiting in this session: its staged file goes, nothing is
        written."""
        pending = self.pending(request, request.POST.get("token", ""))
        if pending is None:
            messages.info(request, f"No {self.noun} of yours is waiting.")
        else:
            self.forget(request)
            messages.info(
                request, f"Import of {pending['filename']} cancelled: nothing was written."
            )
        return redirect(self.url)
