"""The load test's users, for Locust (run headless by bench/run.py; not part of `make test`).

TrusteeUser (4 in 5): opens the board overview, the KPI matrix of the board's period, a KPI's
page, an academy's scorecard or the plan, at random. HeadUser (1 in 5): opens their academy's
open return, then saves it as a draft. Everyone pauses 2–6 s between requests, the time a person
takes to read a page or type a value, and signs in once when they arrive.

HealthzUser is the other run: /healthz as fast as the harness can ask, for the server's ceiling.

bench/run.py writes the accounts and pages to use in the file named by TRUSTPLAN_LOAD_FACTS,
and reads every request's start, name, time and failure from TRUSTPLAN_LOAD_SAMPLES afterwards,
so that it can leave out the warm-up and the sign-ins exactly.
"""

from __future__ import annotations

import itertools
import json
import os
import time

from entry_form import form_data  # bench/: Locust puts the locustfile's folder on the path
from locust import HttpUser, SequentialTaskSet, between, constant, events, task

FACTS = json.loads(open(os.environ["TRUSTPLAN_LOAD_FACTS"]).read())  # noqa: SIM115
_trustees = itertools.count()
_heads = itertools.count()
# Two app servers (bench/run.py two_servers): each user keeps to one, alternately.
HOSTS = FACTS.get("hosts") or []


def keep_to_a_server(user: HttpUser, index: int) -> None:
    if HOSTS:
        user.host = HOSTS[index % len(HOSTS)]
        user.client.base_url = user.host


_samples: list[tuple[float, str, float, str | None]] = []


@events.request.add_listener
def _record(name, response_time, exception=None, **kwargs) -> None:
    started = time.time() - response_time / 1000
    _samples.append((started, name, response_time, None if exception is None else str(exception)))


@events.quitting.add_listener
def _write_samples(**kwargs) -> None:
    path = os.environ.get("TRUSTPLAN_LOAD_SAMPLES")
    if path:
        with open(path, "w") as handle:
            json.dump(_samples, handle)


def sign_in(user: HttpUser, username: str) -> None:
    user.client.get("/accounts/login/", name="sign in (form)")
    with user.client.post(
        "/accounts/login/",
        {
            "username": username,
            "password": "trustplan",
            "csrfmiddlewaretoken": user.client.cookies.get("csrftoken", ""),
        },
        headers={"Referer": f"{user.host}/accounts/login/"},
        allow_redirects=False,
        name="sign in",
        catch_response=True,
    ) as response:
        if response.status_code != 302:
            response.failure(f"could not sign in as {username}: {response.status_code}")


def get(user: HttpUser, path: str, name: str):
    """A page that must answer 200 itself: a redirect (to sign in, say) is a failure."""
    with user.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
        if response.status_code != 200:
            response.failure(f"{path}: {response.status_code}")
        return response


class TrusteeUser(HttpUser):
    weight = 4
    wait_time = between(2, 6)

    def on_start(self) -> None:
        index = next(_trustees)
        keep_to_a_server(self, index)
        sign_in(self, FACTS["trustees"][index % len(FACTS["trustees"])])
        self.academy = FACTS["academies"][index % len(FACTS["academies"])]

    @task
    def overview(self) -> None:
        get(self, "/", "home")

    @task
    def matrix(self) -> None:
        get(self, f"/kpis/?period={FACTS['period']}", "kpis")

    @task
    def kpi(self) -> None:
        get(self, "/kpis/1.1/", "kpi_detail")

    @task
    def scorecard(self) -> None:
        get(self, f"/academies/{self.academy}/", "scorecard")

    @task
    def plan(self) -> None:
        get(self, "/plan/", "plan")


class EnterReturn(SequentialTaskSet):
    """Open the return, then (after a pause) save it as it is: a draft."""

    @task
    def open(self) -> None:
        response = get(self.user, self.user.url, "entry_get")
        self.user.form = form_data(response.text)

    @task
    def save(self) -> None:
        data = {**self.user.form, "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")}
        with self.client.post(
            self.user.url,
            data,
            headers={"Referer": f"{self.user.host}{self.user.url}"},
            allow_redirects=False,
            name="entry_post",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"save refused: {response.status_code}")


class HeadUser(HttpUser):
    weight = 1
    wait_time = between(2, 6)
    tasks = [EnterReturn]

    def on_start(self) -> None:
        index = next(_heads)
        keep_to_a_server(self, index)
        username, self.url = FACTS["heads"][index % len(FACTS["heads"])]
        self.form: dict = {}
        sign_in(self, username)


class HealthzUser(HttpUser):
    wait_time = constant(0)

    @task
    def healthz(self) -> None:
        get(self, "/healthz", "healthz")
