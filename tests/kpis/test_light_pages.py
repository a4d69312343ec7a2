"""Lighter pages (issue 19): markup the cell already says is not repeated, and pages are
compressed when the browser accepts gzip."""

from __future__ import annotations

import gzip
import re

import pytest
from django.urls import reverse

from academies.models import Academy
from board.templatetags.trustplan_tags import rag_cell
from demo.values import generate_demo_values
from kpis import rag
from kpis.selectors import Cell


@pytest.fixture
def demo(trust):
    generate_demo_values()


def _cell(**extra) -> Cell:
    return Cell(
        Academy(name="Moreton School", slug="moreton-school"),
        None if extra.get("outcome") == rag.Outcome.MISSING else extra.pop("value", 96),
        rag.Judgement(
            extra.pop("outcome", rag.Outcome.GREEN),
            "96% meets the target of at least 95%.",
            target_words="at least 95%",
        ),
        measure="percentage",
        tip_id="tip-2.1-moreton-school-2023-24-autumn",
        **extra,
    )


def test_a_scorecard_cell_says_rating_value_and_target_without_repeating_them_in_a_tip():
    markup = str(rag_cell(_cell(trend=rag.Trend.WORSE), "target"))
    assert 'role="tooltip"' not in markup and "meets the target" not in markup
    assert "tabindex" not in markup and "aria-describedby" not in markup  # nothing to focus
    text = re.sub(r"<[^>]+>", "", markup)
    assert "Green:" in text and "96%" in text and "at least 95%" in text
    assert "worse than last period" in text
    # The matrix's cells keep their explanation.
    assert "meets the target of at least 95%" in str(rag_cell(_cell()))


def test_a_scorecard_cell_with_a_note_keeps_its_tip():
    markup = str(rag_cell(_cell(note="New maths lead from January", note_by="A Head"), "target"))
    assert 'role="tooltip"' in markup and "New maths lead from January" in markup
    assert 'aria-describedby="tip-2.1-moreton-school-2023-24-autumn"' in markup


def test_a_missing_or_not_applicable_scorecard_cell_still_says_so():
    missing = re.sub(r"<[^>]+>", "", str(rag_cell(_cell(outcome=rag.Outcome.MISSING), "target")))
    assert "Missing:" in missing
    na = str(rag_cell(_cell(outcome=rag.Outcome.NOT_APPLICABLE), "target"))
    assert "Not applicable:" in na and "rag-value" not in na


def test_the_scorecard_has_tips_only_where_a_note_is(client_for, demo):
    response = client_for("trustee").get(reverse("academies:scorecard", args=["moreton-school"]))
    html = response.content.decode()
    noted = sum(
        1 for group in response.context["areas"] for s in group.rows for c in s.cells if c.note
    )
    assert html.count('role="tooltip"') == noted
    assert html.count('class="rag-cell"') > 50


def test_pages_are_compressed_for_a_browser_that_accepts_gzip(client_for, demo):
    client = client_for("trustee")
    url = reverse("kpis:matrix") + "?period=2023-24-autumn"
    plain = client.get(url)
    packed = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    body = gzip.decompress(packed.content)
    assert len(packed.content) * 4 < len(body)
    # The same page but for the per-response CSRF token and CSP nonce.
    strip = re.compile(rb'(csrfmiddlewaretoken" value="|nonce=")[^"]+')
    assert strip.sub(b"", body) == strip.sub(b"", plain.content)
