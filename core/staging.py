"""Uploaded workbooks waiting between preview and confirm, in settings.TRUSTPLAN_IMPORT_DIR.

The import page stages a file that previews cleanly, named by a random token kept in the
administrator's session (the admin's django-import-export imports stage theirs in the
``admin`` folder inside it, core.import_formats). A file is removed when its import is
confirmed, cancelled, refused at confirm or replaced by a new upload in the same session; any
other (a preview never confirmed, a session that ended) expires after
TRUSTPLAN_IMPORT_STAGED_HOURS and is removed at the next upload or by
``manage.py purge_staged_imports``. Only files named like tokens are ever removed.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from pathlib import Path

from django.conf import settings

ADMIN = "admin"  # the django-import-export area
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,100}")
log = logging.getLogger(__name__)


def folder(area: str = "") -> Path:
    root = Path(settings.TRUSTPLAN_IMPORT_DIR)
    return root / area if area else root


def new_token() -> str:
    return secrets.token_urlsafe(24)


def stage(data: bytes, area: str = "") -> str:
    """Keep `data` until confirmed; its token."""
    token = new_token()
    where = folder(area)
    where.mkdir(parents=True, exist_ok=True)
    (where / token).write_bytes(data)
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
