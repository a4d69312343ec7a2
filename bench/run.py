#!/usr/bin/env python3
"""`make bench`: the benchmark suite, on SQLite and (when DATABASE_URL is PostgreSQL) on it too.

For each database: build a 1/10-scale trust and a full-scale one (generate_scale_data: 150
academies × 60 KPIs × 18 periods = 162,000 values, 500 actions, 400 users), then measure
- query counts of each page at both scales, and page medians at full scale (bench/measure.py);
- the KPI matrix's time over the bare fetch of its cells (same process, alternating);
- a 100,000-value import through `manage.py import_workbook` (rows/s and its peak memory), and
  django-import-export's default ModelResource importing the same long rows;
- the board pack export;
- the PDF board pack (issue 16): the demo trust's (`load_demo`, median of three in one process)
  and the full-scale trust's through `manage.py export_board_pack --format pdf` (its time,
  pages and the process's peak memory; on the first database only: the PDF's time is
  WeasyPrint's, whatever the database);
- a DfE Explore Education Statistics import (issue 17): `manage.py import_dfe` of a generated
  school-level suspensions file in the published layout (bench/dfe_file.py: 21,000 schools × 24
  terms, ~508,000 rows, the trust's 150 academies among them): its time and the process's peak
  memory, and the peak of a dry run of its first 50,000 rows beside the whole file's (a streamed
  read keeps the same memory, whatever the file's length); after the load test, on the
  full-scale trust. `python bench/run.py dfe` runs this measurement alone (SQLite);
- Chromium on the full-scale trust (bench/browser.py, issue 19): DOMContentLoaded of `/`,
  `/kpis/`, a KPI's page, `/plan/` and a scorecard, first visit after a change (a submitted
  return, a plan edit, both at once; the target reads the slower of the first two) and second
  visit, their elements and HTML raw and gzipped, each as a ratio to the sign-in page, against
  gunicorn with the load test's workers sharing Redis (REDIS_URL); `python bench/run.py
  browser` alone;
- the load test again on two app servers (two gunicorns on PORT and PORT + 1, users split
  between them) sharing the database and Redis, and a check that a change made by another
  process shows at once on both (`load2.*`); `python bench/run.py two-servers` alone;
- a load test with Locust (bench/locustfile.py): gunicorn with 2 × cores + 1 workers on
  loopback, 50 concurrent users (40 trustees reading the dashboards, 10 heads opening and saving
  their returns; each pauses 2–6 s between requests, the time a person takes to read a page or
  type a value) arriving 5 a second and signing in, measured for 60 s from 15 s after the start,
  sign-ins left out; and /healthz at full speed from the same harness in the same run.
Writes bench/results.json and prints a table (also bench/results.md).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import browser  # bench/, the script's own folder
import dfe_file

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
LOCUST = str(ROOT / ".venv" / "bin" / "locust")
WARM_UP = 15  # s: users arrive over the first 10 s, each signing in; caches fill
PAGES = ["home", "kpis", "kpi_detail", "scorecard", "plan", "entry_get", "entry_post"]
PORT = int(os.environ.get("TRUSTPLAN_BENCH_PORT", "8766"))  # and PORT + 1 (two servers)
SMALL = ["--academies", "15", "--kpis", "6", "--years", "6", "--actions", "50", "--users", "40"]


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def databases() -> list[tuple[str, dict]]:
    result = [("sqlite", {})]
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        result.append(("postgresql", {"base": url}))
    return result


def env_for(kind: str, info: dict, name: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        {"DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver", "CONN_MAX_AGE": "600"}
    )
    if kind == "sqlite":
        path = BENCH / f"{name}.sqlite3"
        path.unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{path}"
    else:
        server = re.sub(r"/[^/]*$", "/postgres", info["base"])  # DATABASE_URL's server
        for statement in (
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'CREATE DATABASE "{name}"',
        ):
            subprocess.run(["psql", server, "-qc", statement], check=True)
        env["DATABASE_URL"] = re.sub(r"/[^/]*$", f"/{name}", info["base"])
    return env


def manage(env: dict, *args: str) -> str:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


def measure(env: dict, *args: str) -> dict:
    out = subprocess.run(
        [PYTHON, str(BENCH / "measure.py"), *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def import_file(rows: int) -> Path:
    """A long values CSV of `rows` rows for periods the generated trust does not have."""
    path = BENCH / "import-100k.csv"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["KPI", "Academy", "Period", "Value"])
    count, year = 0, 2000  # years before the generated trust's, so its latest terms stay latest
    while count < rows:
        for term in ("Autumn", "Spring", "Summer"):
            for index in range(1, 61):
                area, minor = (index - 1) // 15 + 1, (index - 1) % 15 + 1
                for academy in range(1, 151):
                    # Every KPI of the generated framework takes a value of 1 (valid for all).
                    writer.writerow(
                        [
                            f"{area}.{minor}",
                            f"SA{academy:03d}",
                            f"{year}-{(year + 1) % 100:02d} {term}",
                            "1",
                        ]
                    )
                    count += 1
                    if count >= rows:
                        path.write_text(out.getvalue())
                        return path
        year += 1
    path.write_text(out.getvalue())
    return path


def _timed_command(env: dict, *args: str) -> tuple[str, float, int, float]:
    """`manage.py <args>` in a child process: its output, wall time, exit code and its own peak
    memory in MB (os.wait4 gives the rusage of the one child, not the maximum over every child
    so far)."""
    output = BENCH / "command-output.txt"
    with open(output, "w") as handle:
        start = time.perf_counter()
        child = subprocess.Popen(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
    text = output.read_text()
    output.unlink()
    return text, elapsed, os.waitstatus_to_exitcode(status), round(usage.ru_maxrss / 1024, 1)


def run_import(env: dict, path: Path, rows: int) -> dict:
    """`manage.py import_workbook` of the file, timed, with that process's own peak memory."""
    text, elapsed, code, peak_mb = _timed_command(
        env, "import_workbook", str(path), "--user", "scale-user-003"
    )
    if code != 0:
        raise SystemExit(f"import failed: {text[-3000:]}")
    return {
        "import.rows": rows,
        "import.seconds": round(elapsed, 1),
        "import.trustplan_rows_per_s": round(rows / elapsed, 1),
        "import.peak_rss_mb": peak_mb,
    }


def run_pack(env: dict) -> dict:
    """`manage.py export_board_pack --format pdf` of the full-scale trust: the pack's own time
    and pages as the command reports them, the wall time of the process and its peak memory."""
    pdf = BENCH / "pack-full.pdf"
    text, elapsed, code, peak_mb = _timed_command(
        env, "export_board_pack", "--format", "pdf", "-o", str(pdf)
    )
    pdf.unlink(missing_ok=True)
    found = re.search(r": (\d+) pages in ([\d.]+) s", text)
    if code != 0 or found is None:
        raise SystemExit(f"PDF board pack failed: {text[-3000:]}")
    return {
        "pack.full_pages": int(found.group(1)),
        "pack.full_s": float(found.group(2)),
        "pack.full_process_s": round(elapsed, 1),
        "pack.full_peak_rss_mb": peak_mb,
    }


DFE_SETUP = """
import json
from academies.models import Academy
from kpis.models import KPI, Measure, Period, TargetKind, Term
# The file's school number i * 140 is the trust's academy i (URNs 100140 ... 121000).
for index, academy in enumerate(Academy.objects.order_by('position'), start=1):
    academy.urn = str(100_000 + index * 140)
    academy.save(update_fields=['urn'])
counts = list(KPI.objects.filter(measure=Measure.COUNT).order_by('area__number', 'position')[:2])
rates = list(
    KPI.objects.filter(measure=Measure.PERCENTAGE).order_by('area__number', 'position')[:2]
)
columns = ['suspension', 'perm_excl', 'susp_rate', 'one_plus_susp_rate']
for kpi, column in zip(counts + rates, columns):
    kpi.dfe_source = column
    kpi.save(update_fields=['dfe_source'])
rates[1].target_kind, rates[1].target_value = TargetKind.NATIONAL, 0  # England's figure too
rates[1].save(update_fields=['target_kind', 'target_value'])
# The file's terms 2012/13 ... 2018/19, before the generated trust's (2019 on): no returns yet.
# 2011/12 is left unset, as a national file holds years a trust never had.
for year in range(2012, 2019):
    for term in Term:
        Period.objects.get_or_create(year_start=year, term=term)
print(json.dumps({'kpis': [k.code for k in counts + rates]}))
"""


def run_dfe(env: dict) -> dict:
    """`manage.py import_dfe` of a generated national suspensions file (bench/dfe_file.py) into
    the full-scale trust: a dry run of its first 50,000 rows and of the whole file (their peak
    memory side by side: the read streams), the import (time, values, peak memory), and the
    same file again (nothing changes)."""
    facts = json.loads(manage(env, "shell", "-c", DFE_SETUP).strip().splitlines()[-1])
    folder = Path(tempfile.mkdtemp(prefix="trustplan-bench-dfe-"))
    try:
        small, whole = folder / "exc_school_50k.csv", folder / "exc_school.csv"
        started = time.perf_counter()
        rows = dfe_file.write(whole)
        written_s = time.perf_counter() - started
        dfe_file.write(small, rows=50_000, years=range(2012, 2015))  # terms set up
        results = {
            "dfe.rows": rows,
            "dfe.file_mb": round(whole.stat().st_size / 2**20, 1),
            "dfe.generate_file_s": round(written_s, 1),
            "dfe.kpis": len(facts["kpis"]),
        }
        runs = [
            ("dry_run_50k", small, ["--dry-run"]),
            ("dry_run", whole, ["--dry-run"]),
            ("import", whole, []),
            ("reimport", whole, []),
        ]
        for name, path, extra in runs:
            text, elapsed, code, peak_mb = _timed_command(
                env, "import_dfe", str(path), "--user", "scale-user-003", *extra
            )
            read = rows if path == whole else 50_000
            if code != 0 or f"Read {read} rows" not in text:
                raise SystemExit(f"import_dfe {name} failed: {text[-3000:]}")
            results[f"dfe.{name}_s"] = round(elapsed, 1)
            results[f"dfe.{name}_peak_rss_mb"] = peak_mb
            if name == "import":
                found = re.search(r"values_created (\d+).*returns_created (\d+)", text)
                national = re.search(r"national_figures_created (\d+)", text)
                if found is None or national is None:
                    raise SystemExit(f"import_dfe: no counts in its output: {text[-3000:]}")
                results["dfe.values_created"] = int(found.group(1))
                results["dfe.returns_created"] = int(found.group(2))
                results["dfe.national_figures_created"] = int(national.group(1))
            if name == "reimport" and "Changes: 0 value(s), 0 national figure(s)" not in text:
                raise SystemExit(f"import_dfe: the same file changed things: {text[-3000:]}")
        results["dfe.rows_per_s"] = round(rows / results["dfe.import_s"])
        return results
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _get(path: str, port: int = PORT) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status
    except (urllib.error.URLError, OSError):
        return 0


def _serve(env: dict, port: int, workers: int, name: str = "gunicorn") -> subprocess.Popen:
    """gunicorn on loopback, answering /healthz (its log in bench/<name>.log)."""
    log_file = open(BENCH / f"{name}.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [
            GUNICORN,
            "trustplan.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--timeout",
            "120",
            "--access-logfile",
            str(BENCH / f"{name}-access.log"),
            "--access-logformat",
            "%(t)s %(p)s %(m)s %(U)s %(s)s %(B)s %(D)s",
        ],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    server.log_file = log_file
    for _ in range(300):
        if _get("/healthz", port) == 200:
            return server
        time.sleep(0.1)
    _stop(server)
    raise SystemExit(f"gunicorn on port {port} did not start: see bench/{name}.log")


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
    server.log_file.close()


def _locust(user_classes: list[str], users: int, rate: int, seconds: int) -> list:
    """Run Locust headless; every request as (start, name, milliseconds, failure or None)."""
    samples = BENCH / "load-samples.json"
    samples.unlink(missing_ok=True)
    result = subprocess.run(
        [
            LOCUST,
            "-f",
            str(BENCH / "locustfile.py"),
            *user_classes,
            "--headless",
            "--host",
            f"http://127.0.0.1:{PORT}",
            "-u",
            str(users),
            "-r",
            str(rate),
            "-t",
            f"{seconds}s",
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "TRUSTPLAN_LOAD_FACTS": str(BENCH / "load-facts.json"),
            "TRUSTPLAN_LOAD_SAMPLES": str(samples),
        },
        check=False,  # Locust exits 1 when any request failed: the failures are counted below
        capture_output=True,
        text=True,
    )
    if not samples.exists() or "Traceback" in result.stderr:
        raise SystemExit(f"locust failed: {result.stderr[-3000:]}")
    return json.loads(samples.read_text())


def _percentile(ordered: list[float], fraction: float) -> float:
    return ordered[max(int(len(ordered) * fraction + 0.5) - 1, 0)]


def load_test(env: dict, seconds: int = 60, users: int = 50) -> dict:
    """Locust against gunicorn: 40 trustees and 10 heads (bench/locustfile.py) arrive 5 a
    second and sign in; from WARM_UP s after the start (each worker has filled its cache, the
    last sign-in is done) `seconds` are measured, sign-ins left out; then /healthz as fast as
    Locust's 50 users can ask, for 10 s."""
    workers = 2 * (os.cpu_count() or 1) + 1
    log_file = open(BENCH / "gunicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [
            GUNICORN,
            "trustplan.wsgi",
            "-b",
            f"127.0.0.1:{PORT}",
            "-w",
            str(workers),
            "--timeout",
            "60",
            "--access-logfile",
            str(BENCH / "access.log"),
            "--access-logformat",
            "%(t)s %(p)s %(m)s %(U)s %(s)s %(B)s %(D)s",
        ],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(200):
            if _get("/healthz") == 200:
                break
            time.sleep(0.1)
        facts = manage(env, "shell", "-c", LOAD_FACTS).strip().splitlines()[-1]
        if not all(json.loads(facts).values()):
            raise SystemExit(f"load test: the trust lacks heads, trustees or academies: {facts}")
        (BENCH / "load-facts.json").write_text(facts)
        began = time.time()
        samples = _locust(["TrusteeUser", "HeadUser"], users, 5, WARM_UP + seconds)
        window = (began + WARM_UP, began + WARM_UP + seconds)
        measured = [
            s for s in samples if window[0] <= s[0] < window[1] and not s[1].startswith("sign in")
        ]
        missing = set(PAGES) - {s[1] for s in measured}
        if missing:
            raise SystemExit(f"load test: no measured request for {sorted(missing)}")
        ordered = sorted(s[2] for s in measured)
        failures = [s[3] for s in measured if s[3]]
        result = {
            "load.tool": "locust",
            "load.workers": workers,
            "load.users": users,
            "load.seconds": seconds,
            "load.requests": len(ordered),
            "load.errors": len(failures),
            "load.p50_ms": round(_percentile(ordered, 0.50), 1),
            "load.p95_ms": round(_percentile(ordered, 0.95), 1),
            "load.rps": round(len(ordered) / seconds, 1),
            "load.error_statuses": sorted(set(failures))[:10],
        }
        for name in sorted({s[1] for s in measured}):
            times = sorted(s[2] for s in measured if s[1] == name)
            result[f"load.by_page.{name}"] = (
                f"n={len(times)} p50={_percentile(times, 0.5):.0f} "
                f"p95={_percentile(times, 0.95):.0f} ms"
            )
        # /healthz at full speed from the same harness: the server's ceiling for a trivial page.
        healthz = [s for s in _locust(["HealthzUser"], users, users, 12) if s[1] == "healthz"]
        first = min(s[0] for s in healthz)
        steady = [s for s in healthz if first + 2 <= s[0] < first + 12]
        result["load.healthz_rps"] = round(len(steady) / 10, 1)
        result["load.healthz_errors"] = sum(1 for s in steady if s[3])
        return result
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log_file.close()


def _signed_in(port: int, username: str) -> urllib.request.OpenerDirector:
    """An HTTP client signed in to one server (the session is in the database: any server
    accepts it)."""
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    opener.open(f"{base}/accounts/login/", timeout=30).read()
    token = next(c.value for c in jar if c.name == "csrftoken")
    form = urllib.parse.urlencode(
        {"username": username, "password": "trustplan", "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(
        f"{base}/accounts/login/", form, headers={"Referer": f"{base}/accounts/login/"}
    )
    opener.open(request, timeout=30).read()
    if not any(c.name == "sessionid" for c in jar):
        raise SystemExit(f"could not sign in as {username} on port {port}")
    return opener


RENAME = """
from kpis.models import KPI
kpi = KPI.objects.get(code='1.1')
kpi.name = {name!r}
kpi.save()  # its post_save signal replaces the board's version token
"""


def stale_check(env: dict, ports: list[int], period: str, rounds: int = 6) -> dict:
    """Whether a change made through one process is seen at once by every server: each round
    both servers serve the matrix (cached), KPI 1.1 is renamed by another process (as an
    admin's edit), and both must show the new name on their next answer."""
    trustee = json.loads((BENCH / "load-facts.json").read_text())["trustees"][0]
    clients = {port: _signed_in(port, trustee) for port in ports}
    url = "/kpis/?period=" + period
    stale = 0
    original = manage(
        env, "shell", "-c", "from kpis.models import KPI; print(KPI.objects.get(code='1.1').name)"
    ).strip()
    try:
        for round_ in range(rounds):
            for port, client in clients.items():
                client.open(f"http://127.0.0.1:{port}{url}", timeout=120).read()
            name = f"{original} (round {round_})"
            manage(env, "shell", "-c", RENAME.format(name=name))
            for port in ports[round_ % 2 :] + ports[: round_ % 2]:
                html = clients[port].open(f"http://127.0.0.1:{port}{url}", timeout=120).read()
                stale += name.encode() not in html
    finally:
        manage(env, "shell", "-c", RENAME.format(name=original))
    return {"load2.stale_checks": rounds * len(ports), "load2.stale_pages": stale}


def two_servers(env: dict, seconds: int = 60, users: int = 50) -> dict:
    """The load test with two app servers (two gunicorns on two ports, each with half the
    workers, users split between them) sharing the database and Redis (REDIS_URL), then the
    stale check across them."""
    shared = _with_redis(env)
    ports = [PORT, PORT + 1]
    workers = max((2 * (os.cpu_count() or 1) + 1) // 2, 1)
    servers = [_serve(shared, port, workers, f"gunicorn-{port}") for port in ports]
    try:
        facts = json.loads(manage(shared, "shell", "-c", LOAD_FACTS).strip().splitlines()[-1])
        facts["hosts"] = [f"http://127.0.0.1:{port}" for port in ports]
        (BENCH / "load-facts.json").write_text(json.dumps(facts))
        began = time.time()
        samples = _locust(["TrusteeUser", "HeadUser"], users, 5, WARM_UP + seconds)
        window = (began + WARM_UP, began + WARM_UP + seconds)
        measured = [
            s for s in samples if window[0] <= s[0] < window[1] and not s[1].startswith("sign in")
        ]
        ordered = sorted(s[2] for s in measured)
        failures = [s[3] for s in measured if s[3]]
        result = {
            "load2.servers": len(ports),
            "load2.workers_each": workers,
            "load2.users": users,
            "load2.requests": len(ordered),
            "load2.errors": len(failures),
            "load2.p50_ms": round(_percentile(ordered, 0.50), 1),
            "load2.p95_ms": round(_percentile(ordered, 0.95), 1),
            "load2.error_statuses": sorted(set(failures))[:10],
        }
        result.update(stale_check(shared, ports, facts["period"]))
        return result
    finally:
        for server in servers:
            _stop(server)


BROWSER_FACTS = """
import json
from academies.models import Academy
from kpis.models import KPI, Period
board = [p for p in Period.objects.order_by('year_start', 'term') if not p.is_open][-1]
print(json.dumps({'period': board.slug, 'kpi': KPI.objects.order_by('area__number', 'position')
                  .first().code, 'academy': Academy.objects.active().first().slug}))
"""


def _with_redis(env: dict) -> dict:
    """The environment with REDIS_URL (a database and key prefix of the bench's own)."""
    redis_url = os.environ.get("TRUSTPLAN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    return {**env, "REDIS_URL": redis_url, "TRUSTPLAN_CACHE_PREFIX": f"bench-{time.time_ns()}"}


def run_browser(env: dict) -> dict:
    """bench/browser.py's Chromium pass against gunicorn with as many workers as the load
    test's, sharing one cache through Redis (REDIS_URL): with per-process caches a second
    visit usually reaches another worker, whose cache is cold."""
    env = _with_redis(env)
    facts = json.loads(manage(env, "shell", "-c", BROWSER_FACTS).strip().splitlines()[-1])
    pages = {
        "home": "/",
        "kpis": f"/kpis/?period={facts['period']}",
        "kpi_detail": f"/kpis/{facts['kpi']}/",
        "plan": "/plan/",
        "scorecard": f"/academies/{facts['academy']}/",
    }
    server = _serve(env, PORT, 2 * (os.cpu_count() or 1) + 1, "gunicorn-browser")
    try:
        return browser.browser_pass(
            f"http://127.0.0.1:{PORT}", pages, "scale-user-000", browser.bumper(PYTHON, ROOT, env)
        )
    finally:
        _stop(server)


LOAD_FACTS = """
import json
from academies.models import Academy, RoleAssignment
from kpis.models import Period, Return, ReturnStatus
periods = list(Period.objects.order_by('year_start', 'term'))
board = [p for p in periods if not p.is_open][-1]
open_period = Period.objects.filter(is_open=True).order_by('year_start', 'term').last()
# Heads whose return for the open period is not started or still a draft: they may save it.
done = set(Return.objects.filter(period=open_period).exclude(
    status__in=[ReturnStatus.DRAFT, ReturnStatus.SENT_BACK]).values_list('academy_id', flat=True))
heads = [(r.user.username, f"/entry/{r.academy.slug}/{open_period.slug}/")
         for r in RoleAssignment.objects.heads().select_related('user', 'academy')
         if r.academy_id not in done][:10]
from django.contrib.auth import get_user_model
trustees = list(get_user_model().objects.filter(groups__name='Trustee')
                .values_list('username', flat=True)[:40])
academies = list(Academy.objects.active().values_list('slug', flat=True)[:10])
print(json.dumps({'period': board.slug, 'heads': heads, 'trustees': trustees,
                  'academies': academies}))
"""


def bench(kind: str, info: dict, first: bool = True) -> dict:
    results: dict = {}
    log(f"{kind}: the demo trust's PDF board pack")
    env = env_for(kind, info, "trustplan_bench_demo")
    manage(env, "migrate", "--noinput")
    manage(env, "load_demo")
    results.update(measure(env, "pack"))
    log(f"{kind}: building the 1/10-scale trust")
    env = env_for(kind, info, "trustplan_bench_small")
    manage(env, "migrate", "--noinput")
    manage(env, "generate_scale_data", *SMALL)
    small = measure(env, "pages")
    log(f"{kind}: building the full-scale trust (162,000 values)")
    env = env_for(kind, info, "trustplan_bench_large")
    manage(env, "migrate", "--noinput")
    started = time.perf_counter()
    manage(env, "generate_scale_data")
    results["generate_scale_data_s"] = round(time.perf_counter() - started, 1)
    large = measure(env, "pages")
    log(f"{kind}: Chromium on the full-scale trust")
    results.update(run_browser(env))
    for key, value in small.items():
        if key.startswith("queries."):
            results[f"{key}.small"] = value
            results[f"{key}.large"] = large[key]
    for key, value in large.items():
        if not key.startswith("queries."):
            results[key] = value
    log(f"{kind}: exports and imports")
    results.update(measure(env, "export"))
    results.update({f"import.{k}": v for k, v in measure(env, "import-export", "2000").items()})
    rows = 100_000
    results.update(run_import(env, import_file(rows), rows))
    if first:
        log(f"{kind}: the full-scale trust's PDF board pack")
        results.update(run_pack(env))
    results["import.speedup"] = round(
        results["import.trustplan_rows_per_s"] / results["import.import_export_rows_per_s"], 1
    )
    log(f"{kind}: load test (60 s)")
    results.update(load_test(env))
    log(f"{kind}: load test on two app servers sharing Redis (60 s)")
    results.update(two_servers(env))
    log(f"{kind}: DfE suspensions file (~508,000 rows) through import_dfe")
    results.update(run_dfe(env))
    return results


BROWSER_PAGES = ["home", "kpis", "kpi_detail", "plan", "scorecard"]


def _browser_targets() -> list:
    targets = []
    for page in BROWSER_PAGES:
        key = f"browser.{page}"
        targets += [
            (f"{key}.second_ratio", "≤ 4", lambda r, k=key: r[f"{k}.second_ratio"] <= 4),
            (f"{key}.first_ratio", "≤ 8", lambda r, k=key: r[f"{k}.first_ratio"] <= 8),
            (f"{key}.html_kb", "≤ 1024", lambda r, k=key: r[f"{k}.html_kb"] <= 1024),
        ]
    return targets


TARGETS = [
    ("board_matrix_overhead_ratio", "≤ 3", lambda r: r["board_matrix_overhead_ratio"] <= 3),
    (
        "board_matrix_overhead_ratio_uncached",
        "≤ 3",
        lambda r: r["board_matrix_overhead_ratio_uncached"] <= 3,
    ),
    *_browser_targets(),
    ("load2.errors", "= 0", lambda r: r["load2.errors"] == 0),
    ("load2.stale_pages", "= 0", lambda r: r["load2.stale_pages"] == 0),
    ("import.speedup", "≥ 10", lambda r: r["import.speedup"] >= 10),
    ("load.errors", "= 0", lambda r: r["load.errors"] == 0),
    ("load.p95_ms", "≤ 300", lambda r: r["load.p95_ms"] <= 300),
    ("median_ms.kpis", "< 500", lambda r: r["median_ms.kpis"] < 500),
    ("pack.demo_s", "< 3", lambda r: r["pack.demo_s"] < 3),
    ("dfe.import_s", "< 30", lambda r: r["dfe.import_s"] < 30),
    (
        "dfe.dry_run_peak_rss_mb ≤ 1.2 × dfe.dry_run_50k_peak_rss_mb (streamed)",
        "yes",
        lambda r: r["dfe.dry_run_peak_rss_mb"] <= 1.2 * r["dfe.dry_run_50k_peak_rss_mb"],
    ),
    (
        "queries equal at both scales",
        "yes",
        lambda r: all(r[k] == r[k.replace(".small", ".large")] for k in r if k.endswith(".small")),
    ),
]


def table(all_results: dict) -> str:
    lines = ["| key | " + " | ".join(all_results) + " |", "|---|" + "---|" * len(all_results)]
    keys = sorted({key for results in all_results.values() for key in results})
    for key in keys:
        values = [str(results.get(key, "")) for results in all_results.values()]
        lines.append(f"| `{key}` | " + " | ".join(values) + " |")
    lines += [
        "",
        "| target | " + " | ".join(all_results) + " |",
        "|---|" + "---|" * len(all_results),
    ]
    for name, goal, check in TARGETS:
        marks = ["met" if check(results) else "MISSED" for results in all_results.values()]
        lines.append(f"| {name} {goal} | " + " | ".join(marks) + " |")
    return "\n".join(lines)


def dfe_only() -> int:
    """`python bench/run.py dfe`: the full-scale trust on SQLite and run_dfe alone; prints its
    figures (bench/results.* are left as the last full run wrote them)."""
    log("sqlite: building the full-scale trust for the DfE import alone")
    env = env_for("sqlite", {}, "trustplan_bench_dfe")
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "generate_scale_data")
        log("sqlite: DfE suspensions file (~508,000 rows) through import_dfe")
        print(json.dumps(run_dfe(env), indent=2, sort_keys=True))
    finally:
        (BENCH / "trustplan_bench_dfe.sqlite3").unlink(missing_ok=True)
    return 0


def alone(name: str) -> int:
    """`python bench/run.py browser` / `two-servers`: the full-scale trust on SQLite and that
    measurement alone; prints its figures (bench/results.* are left as the last full run
    wrote them)."""
    log(f"sqlite: building the full-scale trust for the {name} measurement alone")
    env = env_for("sqlite", {}, f"trustplan_bench_{name.replace('-', '_')}")
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "generate_scale_data")
        if name == "browser":
            results = run_browser(env)
        else:
            results = two_servers(env)
        print(json.dumps(results, indent=2, sort_keys=True))
    finally:
        for path in BENCH.glob(f"trustplan_bench_{name.replace('-', '_')}.sqlite3*"):
            path.unlink()
    return 0


def main() -> int:
    if sys.argv[1:] == ["dfe"]:
        return dfe_only()
    if sys.argv[1:] in (["browser"], ["two-servers"]):
        return alone(sys.argv[1])
    all_results = {}
    for index, (kind, info) in enumerate(databases()):
        all_results[kind] = bench(kind, info, first=index == 0)
    (BENCH / "results.json").write_text(json.dumps(all_results, indent=2, sort_keys=True) + "\n")
    text = table(all_results)
    (BENCH / "results.md").write_text(text + "\n")
    print(text)
    for path in BENCH.glob("*.sqlite3"):
        path.unlink()
    (BENCH / "import-100k.csv").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
