"""The scorecard's target column prints the latest value's target in the measure's words
(issue 15: it printed the raw threshold — "2" for Ofsted good, "1" for Yes, "27.75")."""

import re

import pytest
from django.urls import reverse

from demo.values import generate_demo_values


@pytest.fixture
def page(client_for, trust):
    generate_demo_values()
    response = client_for("trustee").get(reverse("academies:scorecard", args=["moreton-school"]))
    assert response.status_code == 200
    return response.content.decode()


def target_of(page: str, code: str) -> str:
    """The Target cell of a KPI's row: the first plain small cell after its chart."""
    row = page[page.index(f'<th scope="row" class="kpi-name"><a href="/kpis/{code}/">') :]
    return re.search(r'<td class="small">(.*?)</td>', row, re.S).group(1).strip()


@pytest.mark.parametrize(
    ("code", "words"),
    [
        # From inspections (issue 17): Moreton's inspection in force is on the old scale.
        ("1.9", "Good or better (pre-2025 grades)"),  # never "2"
        ("3.1", "Safeguarding effective (pre-2025)"),
        ("4.10", "Yes"),  # yes/no: never "1"
        ("2.1", "At least 95%"),
    ],
)
def test_the_target_column_reads_in_the_measures_words(page, code, words):
    assert target_of(page, code) == words


def test_a_change_target_is_a_whole_count_not_a_fraction(page):
    target = target_of(page, "2.3")
    assert re.fullmatch(r"At most \d+ \(25% below the baseline of \d+\)", target), target
