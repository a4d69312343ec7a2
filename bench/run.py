#!/usr/bin/env python3
"""`make bench`: the benchmark suite, on SQLite and (when DATABASE_URL is PostgreSQL) on it too.

For each database: build a 1/10-scale trust and a full-scale one (generate_scale_data: 150
academies × 60 KPIs × 18 periods = 162,000 values, 500 actions, 400 users), then measure
- query counts of each page at both scales, and page medians at full scale (bench/measure.py);
- the KPI matrix's time over the bare fetch of its cells (same process, alternating);
- a 100,000-value import through `manage.py import_workbook` (rows/s and its peak memory), and
  django-import-export's default ModelResource importing the same long rows;
- the board pack export;
- a load test: gunicorn with 2 × cores + 1 workers on loopback, 50 concurrent users for 60 s
  (40 trustees reading the dashboards, 10 heads opening and saving their returns; each pauses
  2–6 s between requests, the time a person takes to read a page or type a value; measured
  after a 10 s warm-up), and /healthz at full speed in the same run.
Writes bench/results.json and prints a table (also bench/results.md).
"""

from __future__ import annotations

import csv
import http.cookiejar
import io
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PORT = 8766
WARM_UP = 10  # seconds of load before measuring starts
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
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-qc",
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            ],
            check=True,
        )
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-qc",
                f'CREATE DATABASE "{name}"',
            ],
            check=True,
        )
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


def run_import(env: dict, path: Path, rows: int) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = subprocess.run(
        [PYTHON, "manage.py", "import_workbook", str(path), "--user", "scale-user-003"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"import failed: {result.stdout[-2000:]} {result.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "import.rows": rows,
        "import.seconds": round(elapsed, 1),
        "import.trustplan_rows_per_s": round(rows / elapsed, 1),
        "import.peak_rss_mb": round(max(peak, before) / 1024, 1),
    }


class Session:
    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def call(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = None
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{PORT}{path}", body, {"Referer": f"http://127.0.0.1:{PORT}{path}"}
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, ""
        except OSError:
            return 0, ""

    def sign_in(self, username: str) -> None:
        self.call("/accounts/login/")
        status, _ = self.call("/accounts/login/", {"username": username, "password": "trustplan"})
        if status != 302:
            raise SystemExit(f"load test: could not sign in as {username}: {status}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_302(self, req, fp, code, msg, headers):
        return fp


def _entry_data(html: str) -> dict:
    data = dict(
        re.findall(
            r'<input[^>]*name="((?:value|note|version|was)_?[^"]*)"[^>]*value="([^"]*)"', html
        )
    )
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        data[name] = chosen.group(1) if chosen else ""
    data["action"] = "save"
    return data


def load_test(env: dict, seconds: int = 60, users: int = 50) -> dict:
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
            if Session().call("/healthz")[0] == 200:
                break
            time.sleep(0.1)
        facts = json.loads(manage(env, "shell", "-c", LOAD_FACTS).strip().splitlines()[-1])
        latencies: list[float] = []
        by_page: dict[str, list[float]] = {}
        errors = [0]
        lock = threading.Lock()

        def record(label: str, start: float, status: int, ok: tuple[int, ...] = (200,)) -> None:
            if time.time() < warm_until:  # each worker's first visits fill its cache
                return
            took = time.perf_counter() - start
            with lock:
                latencies.append(took)
                by_page.setdefault(label, []).append(took)
                if status not in ok:
                    errors[0] += 1
                    error_codes.append(status)

        error_codes: list[int] = []

        def trustee(index: int) -> None:
            rng = random.Random(index)
            session = sessions[index]
            time.sleep(rng.uniform(0, 6))  # people arrive over a few seconds, not at once
            pages = [
                ("home", "/"),
                ("kpis", f"/kpis/?period={facts['period']}"),
                ("kpi_detail", "/kpis/1.1/"),
                ("scorecard", f"/academies/{facts['academies'][index % len(facts['academies'])]}/"),
                ("plan", "/plan/"),
            ]
            while time.time() < stop:
                label, path = rng.choice(pages)
                start = time.perf_counter()
                status, _ = session.call(path)
                record(label, start, status)
                time.sleep(rng.uniform(2, 6))

        def head(index: int) -> None:
            rng = random.Random(1000 + index)
            url = facts["heads"][index % len(facts["heads"])][1]
            session = sessions[trustees + index]
            time.sleep(rng.uniform(0, 6))
            while time.time() < stop:
                start = time.perf_counter()
                status, html = session.call(url)
                record("entry_get", start, status)
                time.sleep(rng.uniform(2, 6))
                start = time.perf_counter()
                status, _ = session.call(url, _entry_data(html))
                record("entry_post", start, status, ok=(302,))
                time.sleep(rng.uniform(2, 6))

        trustees = users * 4 // 5
        threads = [threading.Thread(target=trustee, args=(i,)) for i in range(trustees)]
        threads += [threading.Thread(target=head, args=(i,)) for i in range(users - trustees)]
        # Everyone signs in before the clock starts: a sign-in is once a working day (and
        # Argon2 is slow on purpose), not part of the dashboard and returns mix measured here.
        usernames = [facts["trustees"][i % len(facts["trustees"])] for i in range(trustees)]
        usernames += [facts["heads"][i % len(facts["heads"])][0] for i in range(users - trustees)]
        sessions = [Session() for _ in usernames]
        for session, username in zip(sessions, usernames, strict=True):
            session.sign_in(username)
        warm_until = time.time() + WARM_UP
        stop = warm_until + seconds
        began = time.time()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.time() - began - WARM_UP
        ordered = sorted(latencies)
        result = {
            "load.workers": workers,
            "load.users": users,
            "load.seconds": seconds,
            "load.requests": len(ordered),
            "load.errors": errors[0],
            "load.p50_ms": round(statistics.median(ordered) * 1000, 1),
            "load.p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 1),
            "load.rps": round(len(ordered) / elapsed, 1),
            "load.error_statuses": sorted(set(error_codes)),
        }
        for label, times in sorted(by_page.items()):
            times.sort()
            result[f"load.by_page.{label}"] = (
                f"n={len(times)} p50={statistics.median(times) * 1000:.0f} "
                f"p95={times[max(int(len(times) * 0.95) - 1, 0)] * 1000:.0f} ms"
            )
        # /healthz at full speed from the same harness: the server's ceiling for a trivial page.
        count = [0]
        healthz_stop = time.time() + 10

        def hammer() -> None:
            session = Session()
            while time.time() < healthz_stop:
                if session.call("/healthz")[0] == 200:
                    with lock:
                        count[0] += 1

        hammers = [threading.Thread(target=hammer) for _ in range(users)]
        for thread in hammers:
            thread.start()
        for thread in hammers:
            thread.join()
        result["load.healthz_rps"] = round(count[0] / 10, 1)
        return result
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log_file.close()


LOAD_FACTS = """
import json
from academies.models import RoleAssignment
from kpis.models import Period
periods = list(Period.objects.order_by('year_start', 'term'))
board = [p for p in periods if not p.is_open][-1]
periods.append(Period.objects.filter(is_open=True).order_by('year_start', 'term').last())
from kpis.models import Return
started = set(Return.objects.filter(period=periods[-1]).values_list('academy_id', flat=True))
heads = [(r.user.username, f"/entry/{r.academy.slug}/{periods[-1].slug}/")
         for r in RoleAssignment.objects.heads().select_related('user', 'academy')
         if r.academy_id not in started][:10]
from django.contrib.auth import get_user_model
trustees = list(get_user_model().objects.filter(groups__name='Trustee')
                .values_list('username', flat=True)[:40])
academies = [r[1].split('/')[2] for r in heads]
print(json.dumps({'period': board.slug, 'heads': heads, 'trustees': trustees,
                  'academies': academies}))
"""


def bench(kind: str, info: dict) -> dict:
    results: dict = {}
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
    results["import.speedup"] = round(
        results["import.trustplan_rows_per_s"] / results["import.import_export_rows_per_s"], 1
    )
    log(f"{kind}: load test (60 s)")
    results.update(load_test(env))
    return results


TARGETS = [
    ("board_matrix_overhead_ratio", "≤ 3", lambda r: r["board_matrix_overhead_ratio"] <= 3),
    ("import.speedup", "≥ 10", lambda r: r["import.speedup"] >= 10),
    ("load.errors", "= 0", lambda r: r["load.errors"] == 0),
    ("load.p95_ms", "≤ 300", lambda r: r["load.p95_ms"] <= 300),
    ("median_ms.kpis", "< 500", lambda r: r["median_ms.kpis"] < 500),
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


def main() -> int:
    all_results = {}
    for kind, info in databases():
        all_results[kind] = bench(kind, info)
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
