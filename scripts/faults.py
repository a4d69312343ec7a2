#!/usr/bin/env python3
"""Fault drills on PostgreSQL, run by .ci/run after its PostgreSQL test pass.

1. Database restart under load: gunicorn serves the demo on loopback; a writer posts progress
   updates and a reader polls pages while the PostgreSQL cluster is restarted. Passes when the
   app answers again by itself (no gunicorn restart: connections are health-checked) and every
   update that got a success response is in the database.
2. Import killed midway: `manage.py import_workbook` of a large file is killed with SIGKILL
   while it writes. Passes when the database holds all of the import or none of it.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/trustplan .venv/bin/python scripts/faults.py
Needs permission to restart the local cluster (root on the project's machines). Exits 1 on a
failed drill.
"""

from __future__ import annotations

import csv
import http.cookiejar
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"


def log(message: str) -> None:
    print(f"[faults] {message}", flush=True)


def database_url(name: str) -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/trustplan")
    if not url.startswith("postgres"):
        sys.exit("scripts/faults.py needs DATABASE_URL pointing at PostgreSQL")
    return re.sub(r"/[^/]*$", f"/{name}", url)


def psql(sql: str, db: str = "postgres") -> str:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-tAc", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def manage(*args: str, env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        **kwargs,
    )


def fresh_database(name: str) -> dict:
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DATABASE_URL": database_url(name),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CONN_MAX_AGE": "600",
        # The drills exercise the database, not sign-in: central team's two-factor step (on by
        # default without DEBUG, and tested in tests/signin) would stand between the writer and
        # the page it posts to.
        "TRUSTPLAN_REQUIRE_2FA": "0",
    }
    manage("migrate", "--noinput", env=env)
    manage("load_demo", env=env)
    return env


def restart_cluster() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        capture_output=True,
    )


def wait_for_postgres(seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode == 0:
            return
        time.sleep(0.2)
    raise SystemExit("PostgreSQL did not come back")


class Browser:
    """A signed-in session over real HTTP, with the CSRF token Django expects."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def request(self, path: str, data: dict | None = None) -> int:
        return self.fetch(path, data)[0]

    def fetch(self, path: str, data: dict | None = None) -> tuple[int, str]:
        """The response's status and, for a redirect, where it points ("" otherwise)."""
        body = None
        headers = {"Referer": BASE + path}
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}).encode()
        try:
            request = urllib.request.Request(BASE + path, body, headers)
            with self.opener.open(request, timeout=10) as response:
                response.read()
                return response.status, response.headers.get("Location", "")
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", "")
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return 0, ""

    def sign_in(self, username: str) -> None:
        self.request("/accounts/login/")
        status, location = self.fetch(
            "/accounts/login/", {"username": username, "password": "trustplan"}
        )
        # A redirect back to a sign-in step (two-factor, the form again) is not a session.
        if status != 302 or "/accounts/" in location:
            raise SystemExit(f"could not sign in as {username} ({status} → {location or '-'})")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_302(self, req, fp, code, msg, headers):
        return fp


def drill_restart() -> bool:
    env = fresh_database("trustplan_faults")
    action_id = int(psql("SELECT min(id) FROM plans_action", db="trustplan_faults"))
    server_log = open("/tmp/trustplan-faults-gunicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [GUNICORN, "trustplan.wsgi", "-b", f"127.0.0.1:{PORT}", "-w", "2", "--timeout", "30"],
        cwd=ROOT,
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            if Browser().request("/healthz") == 200:
                break
            time.sleep(0.1)
        writer, reader = Browser(), Browser()
        writer.sign_in("central")
        reader.sign_in("trustee")
        committed: list[str] = []
        refused: list[str] = []
        statuses: list[tuple[float, int]] = []
        stop = threading.Event()

        def write() -> None:
            n = 0
            while not stop.is_set():
                n += 1
                marker = f"fault-drill-{n}"
                status, location = writer.fetch(
                    f"/plan/actions/{action_id}/updates/",
                    {"date": "2024-01-15", "status": "on_track", "commentary": marker},
                )
                # Success is the redirect to the action's page, and nothing else (a redirect to
                # sign-in or to a two-factor step is a refusal, not a commit).
                if status == 302 and location.rstrip("/").endswith(f"/plan/actions/{action_id}"):
                    committed.append(marker)
                elif status == 302:
                    refused.append(location)
                time.sleep(0.02)

        def read() -> None:
            while not stop.is_set():
                for path in ("/healthz", "/", "/kpis/"):
                    statuses.append((time.time(), reader.request(path)))
                time.sleep(0.02)

        threads = [threading.Thread(target=write), threading.Thread(target=read)]
        for thread in threads:
            thread.start()
        time.sleep(4)
        before = len(committed)
        log(f"restarting PostgreSQL with {before} updates committed so far")
        restarted_at = time.time()
        restart_cluster()
        wait_for_postgres()
        back_at = time.time()
        time.sleep(6)
        stop.set()
        for thread in threads:
            thread.join()
        after = [status for when, status in statuses if when > back_at + 2]
        failures_during = sum(
            1 for when, s in statuses if restarted_at <= when <= back_at + 2 and s != 200
        )
        stored = set(
            psql(
                "SELECT commentary FROM plans_progressupdate WHERE commentary LIKE 'fault-drill-%'",
                db="trustplan_faults",
            ).split()
        )
        lost = [marker for marker in committed if marker not in stored]
        ok_after = bool(after) and all(status == 200 for status in after)
        if refused:
            log(f"{len(refused)} writes were redirected elsewhere, e.g. to {refused[0]}")
        log(
            f"requests: {len(statuses)} reads ({failures_during} failed around the restart, "
            f"{len(after)} after it, all 200: {ok_after}); {len(committed)} writes committed "
            f"({len(committed) - before} after the restart), {len(lost)} lost"
        )
        return ok_after and not lost and not refused and len(committed) > before
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server_log.close()


def big_csv(rows_wanted: int) -> bytes:
    """A long values file for many new periods, every value valid for its KPI."""
    from itertools import product

    academies = [
        "Aldersley High School",
        "Moreton School",
        "Amethyst Sixth Form",
        "Penn Hall School",
        "Tettenhall Wood School",
    ]
    # Every-phase KPIs only, with values valid for their measures; not the inspection KPIs (2.5,
    # 3.1, 3.2), whose values come from recorded inspections and which the import refuses.
    kpis = {
        "2.1": "96",
        "2.2": "7.5",
        "2.3": "3",
        "2.4": "0",
        "3.3": "1",
        "3.4": "96",
        "4.1": "100",
        "4.3": "96",
        "4.5": "1",
    }
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["KPI", "Academy", "Period", "Value"])
    count = 0
    # Years the demo does not use (its 2022/23 and 2023/24 returns are approved).
    years = [y for y in range(1990, 2190) if y not in (2022, 2023)]
    for year, term in product(years, ("Autumn", "Spring", "Summer")):
        for academy, (code, value) in product(academies, kpis.items()):
            writer.writerow([code, academy, f"{year}-{(year + 1) % 100:02d} {term}", value])
            count += 1
            if count >= rows_wanted:
                return out.getvalue().encode()
    return out.getvalue().encode()


def drill_killed_import() -> bool:
    db = "trustplan_faults_import"
    env = fresh_database(db)
    path = Path("/tmp/trustplan-faults-import.csv")
    path.write_bytes(big_csv(36_000))
    before = psql("SELECT count(*) FROM kpis_kpivalue", db=db)
    periods_before = psql("SELECT count(*) FROM kpis_period", db=db)
    process = subprocess.Popen(
        [PYTHON, "manage.py", "import_workbook", str(path), "--user", "admin"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # The preview is printed before anything is written. Then wait until PostgreSQL shows the
    # import's bulk INSERT of values running, and kill the process there: midway.
    to_create = 0
    for line in process.stdout:
        if line.startswith("Values:"):
            to_create = int(line.split()[1])
            log(f"import preview: {line.strip()}")
            break
    writing = (
        f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{db}' AND state = 'active' "
        "AND query LIKE 'INSERT INTO \"kpis_%'"
    )
    killed_midway = False
    deadline = time.time() + 30
    while process.poll() is None and time.time() < deadline:
        if psql(writing) != "0":
            process.kill()
            killed_midway = True
            break
    process.kill()
    output, _ = process.communicate()
    after = psql("SELECT count(*) FROM kpis_kpivalue", db=db)
    periods_after = psql("SELECT count(*) FROM kpis_period", db=db)
    if not killed_midway:
        log(
            f"the import finished before it could be killed (exit {process.returncode}); "
            f"all of it must be there: values {before} → {after}, {to_create} to create"
        )
        if process.returncode != 0:
            log("the import failed: " + " | ".join(output.strip().splitlines()[-3:]))
        return process.returncode == 0 and int(after) - int(before) == to_create
    log(
        f"killed while writing: values {before} → {after}, "
        f"periods {periods_before} → {periods_after}"
    )
    return after == before and periods_after == periods_before


def main() -> int:
    results = {"database restart": drill_restart(), "import killed midway": drill_killed_import()}
    for name, passed in results.items():
        log(f"{name}: {'passed' if passed else 'FAILED'}")
    for name in ("trustplan_faults", "trustplan_faults_import"):
        psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
