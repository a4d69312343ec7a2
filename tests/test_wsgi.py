"""The WSGI entry point gunicorn loads (trustplan/wsgi.py), in a fresh interpreter: it answers
a request, and what start-up made is frozen out of the garbage collector's way (issue 19: a
full collection walked it in the middle of the board's requests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import gc, json, sys
before = gc.get_freeze_count()
import trustplan.wsgi
from django.urls import get_resolver
resolver = get_resolver()
frozen = gc.get_freeze_count()
statuses = []
def start_response(status, headers):
    statuses.append(status)
body = b"".join(trustplan.wsgi.application({
    "REQUEST_METHOD": "GET", "PATH_INFO": "/healthz", "SERVER_NAME": "127.0.0.1",
    "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": sys.stdin.buffer,
    "wsgi.errors": sys.stderr, "HTTP_HOST": "127.0.0.1",
}, start_response))
print(json.dumps({
    "before": before, "frozen": frozen, "status": statuses[0],
    "urls_loaded": "url_patterns" in resolver.__dict__,
}))
"""


def test_the_wsgi_application_freezes_what_start_up_made_and_answers():
    # /healthz runs one query: an in-memory database, whichever the suite runs against.
    env = {
        **os.environ,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "0",
        "DATABASE_URL": "sqlite://:memory:",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["before"] == 0
    # Django, the apps' modules and models, the URL patterns: tens of thousands of objects.
    assert found["frozen"] > 50_000
    assert found["urls_loaded"]  # loaded before freezing, not on the first request
    assert found["status"].startswith("200")
