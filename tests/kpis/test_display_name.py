"""KPI names: pages show a display name where the seed's own wording cannot be shown as it is
(2.2's "Persistence absence < xxxxx", a typo and a placeholder target); the seed's wording is
kept beside it and named on the KPI page."""

import copy

import pytest

from academies.services import read_fixture
from kpis.models import KPI
from kpis.services import load_framework


def test_fixture_keeps_the_seeds_wording_for_2_2():
    rows = [k for a in read_fixture("amethyst_kpis.yaml")["areas"] for k in a["kpis"]]
    row = next(k for k in rows if k["code"] == "2.2")
    assert row["name"] == "Persistence absence < xxxxx"
    assert row["display_name"] == "Persistent absence below target"


def test_2_2_is_shown_with_dfes_term_and_keeps_the_seed_wording(trust):
    kpi = KPI.objects.get(code="2.2")
    assert kpi.name == "Persistent absence below target"
    assert kpi.seed_name == "Persistence absence < xxxxx"


def test_a_kpi_named_as_the_seed_writes_it_has_no_separate_seed_wording(trust):
    kpi = KPI.objects.get(code="2.1")
    assert (kpi.name, kpi.seed_name) == ("Attendance > 95%", "")


def test_load_framework_reads_the_display_name_again_on_reload(trust):
    data = copy.deepcopy(read_fixture("amethyst_kpis.yaml"))
    row = next(k for a in data["areas"] for k in a["kpis"] if k["code"] == "2.1")
    row["display_name"] = "Attendance at least 95%"
    load_framework(data=data)
    kpi = KPI.objects.get(code="2.1")
    assert (kpi.name, kpi.seed_name) == ("Attendance at least 95%", "Attendance > 95%")


@pytest.mark.parametrize("username", ["trustee", "central"])
def test_kpi_page_shows_the_display_name_and_the_seed_wording(trust, cast, client, username):
    client.force_login(cast[username])
    page = client.get("/kpis/2.2/").content.decode()
    assert '<h1 class="h2">2.2 Persistent absence below target</h1>' in page
    assert "Seed wording" in page
    assert "“Persistence absence &lt; xxxxx”" in page


def test_kpi_page_of_a_kpi_named_as_the_seed_has_no_seed_wording_line(trust, cast, client):
    client.force_login(cast["trustee"])
    assert "Seed wording" not in client.get("/kpis/2.1/").content.decode()
