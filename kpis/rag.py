"""The RAG rules of DESIGN.md as pure functions: no ORM, no templates.

``judge`` turns a rule, a value and its context (applicability, baseline, national figure) into
an outcome — green, amber, red, missing, not applicable, no target — with a one-line
explanation a trustee can read. ``aggregate`` computes the trust column and ``trend`` compares
with the previous period, direction-aware. Every page that shows a RAG gets it from here.

Each target kind comes down to one threshold in the value's own units:
- absolute: the target itself;
- national: the national figure, offset by the target (0 = at least national);
- change: the baseline moved by the target per cent in the better direction ("reduced by 25%"
  from 36 is 27); the amber margin is in percentage points of that change.
Then, for higher-is-better, value ≥ threshold is green, within the amber margin below is amber,
further is red (mirrored for lower-is-better). Exactly on the threshold is green; exactly on the
edge of the margin is still amber.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, ROUND_UP, Decimal

from kpis import ofsted

HIGHER = "higher"
LOWER = "lower"

GRADE_NAMES = {1: "outstanding", 2: "good", 3: "requires improvement", 4: "inadequate"}

# Trust columns that are a share of academies meeting the target: by count of academies, or
# weighted by their pupils on roll.
SHARES = ("share_meeting", "share_pupils_meeting")


class Outcome(enum.StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    MISSING = "missing"
    NOT_APPLICABLE = "not_applicable"
    NO_TARGET = "no_target"

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]

    @property
    def symbol(self) -> str:
        """A shape that tells the outcome without colour (greyscale print, colour blindness)."""
        return OUTCOME_SYMBOLS[self]

    @property
    def is_exception(self) -> bool:
        return self in (Outcome.RED, Outcome.MISSING)


OUTCOME_LABELS = {
    Outcome.GREEN: "Green",
    Outcome.AMBER: "Amber",
    Outcome.RED: "Red",
    Outcome.MISSING: "Missing",
    Outcome.NOT_APPLICABLE: "Not applicable",
    Outcome.NO_TARGET: "No target",
}
OUTCOME_SYMBOLS = {
    Outcome.GREEN: "✓",
    Outcome.AMBER: "!",
    Outcome.RED: "✗",
    Outcome.MISSING: "?",
    Outcome.NOT_APPLICABLE: "–",
    Outcome.NO_TARGET: "·",
}
# For "a better value never gets a worse RAG" and for sorting exceptions first.
SEVERITY = {Outcome.GREEN: 0, Outcome.AMBER: 1, Outcome.RED: 2}


@dataclass(frozen=True)
class Rule:
    """What a KPI (or an academy's override of it) asks of a value."""

    measure: str = "number"
    direction: str = HIGHER
    target_kind: str = "none"
    target: Decimal | None = None
    amber_margin: Decimal = Decimal("0")
    unit: str = ""
    # Inspection KPIs (measure "inspection"): the question asked of the inspection in force
    # (kpis.ofsted: all_areas, area, safeguarding).
    inspection: str = ""

    @property
    def lower_is_better(self) -> bool:
        return self.direction == LOWER

    def with_target(self, target: Decimal | None, amber_margin: Decimal | None = None) -> Rule:
        return Rule(
            measure=self.measure,
            direction=self.direction,
            target_kind=self.target_kind,
            target=target,
            amber_margin=self.amber_margin if amber_margin is None else amber_margin,
            unit=self.unit,
            inspection=self.inspection,
        )


@dataclass(frozen=True)
class Judgement:
    outcome: Outcome
    explanation: str
    threshold: Decimal | None = None
    # The target that applied, in the measure's words ("at least 95%", "Yes"), also for a
    # missing value; "" when there is none (no target, not applicable).
    target_words: str = ""

    @property
    def label(self) -> str:
        return self.outcome.label

    @property
    def symbol(self) -> str:
        return self.outcome.symbol


def _d(value: Decimal | float | int | str | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def format_value(value: Decimal | None, measure: str, unit: str = "") -> str:
    """A value as a trustee reads it: "94.1%", "£12,300", "grade 2 (good)", "Yes".

    The one formatter of values (pages, explanations, exports): percentages and numbers up to
    two decimals with trailing zeros dropped ("94.1%", "-0.03"); counts are whole numbers as
    entered, and a trust mean of counts keeps up to two decimals ("4.5"); money in whole
    pounds; a grade by its name, a mean grade as a number ("grade 2.4"); yes/no as words.
    """
    if value is None:
        return "—"
    value = Decimal(value)
    if measure == "inspection":
        return ofsted.words(value)
    if measure == "yes_no":
        return "Yes" if value >= 1 else "No"
    if measure == "grade":
        if value == value.to_integral_value() and int(value) in GRADE_NAMES:
            return f"grade {int(value)} ({GRADE_NAMES[int(value)]})"
        return f"grade {_plain(value)}"
    if measure == "money":
        sign = "−" if value < 0 else ""
        return f"{sign}£{abs(value).quantize(Decimal('1'), ROUND_HALF_UP):,}"
    text = _plain(value)
    if measure == "count":
        return text
    if measure == "percentage":
        return f"{text}%"
    return f"{text} {unit}".strip() if unit and unit != "%" else text


def _plain(value: Decimal) -> str:
    """Up to two decimals, no trailing zeros: 94.1, 95, 4.25."""
    rounded = value.quantize(Decimal("0.01"), ROUND_HALF_UP).normalize()
    text = f"{rounded:f}"
    return text


def decimals_shown(value: Decimal, measure: str) -> int:
    """How many decimals format_value shows of this value (0, 1 or 2), for a spreadsheet
    number format that rounds the same way (spreadsheets.export)."""
    if measure in ("money", "yes_no", "inspection"):
        return 0
    exponent = Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP).normalize().as_tuple()
    return max(0, -int(exponent.exponent))


def rounded(value: Decimal | None, measure: str) -> Decimal | None:
    """A computed figure (a trust mean) rounded to what format_value shows of it: whole pounds
    for money, else two decimals. The trust's figure is rounded before it is judged, so the
    board never reads "95% is below the target of at least 95%"."""
    if value is None:
        return None
    step = Decimal("1") if measure == "money" else Decimal("0.01")
    return Decimal(value).quantize(step, ROUND_HALF_UP)


def _amount(value: Decimal, measure: str) -> str:
    """A difference in the measure's units: "0.9", "£50,000", "1"."""
    if measure == "money":
        return f"£{value.quantize(Decimal('1'), ROUND_HALF_UP):,}"
    if measure in ("count", "grade", "yes_no"):
        return _plain(value)
    return _plain(value)


def _at(rule: Rule, threshold: Decimal, measure: str | None = None) -> str:
    """The target in the measure's words: "at least 95%", "at most 21", "Yes", "grade 2
    (good) or better"."""
    measure = measure or rule.measure
    if measure == "yes_no":
        return format_value(threshold, "yes_no")
    if measure == "grade" and threshold == threshold.to_integral_value():
        return f"{format_value(threshold, 'grade')} or better"
    at = "at most" if rule.lower_is_better else "at least"
    return f"{at} {format_value(threshold, measure, rule.unit)}"


# Cached: a matrix judges thousands of values against a few hundred distinct targets, and the
# words of each are built once (Rule is frozen, so the arguments are hashable).
@functools.lru_cache(maxsize=4096)
def threshold_for(
    rule: Rule, *, baseline: Decimal | None = None, national: Decimal | None = None
) -> tuple[Decimal | None, Decimal, str]:
    """(threshold, amber width in value units, target in words), or (None, 0, why not)."""
    if rule.target_kind == "none" or rule.target is None:
        return None, Decimal(0), "no target set"
    target = Decimal(rule.target)
    margin = Decimal(rule.amber_margin or 0)
    if rule.target_kind == "absolute":
        return target, margin, _at(rule, target)
    if rule.target_kind == "national":
        if national is None:
            return None, Decimal(0), "no national figure for this period"
        offset = -target if rule.lower_is_better else target
        threshold = Decimal(national) + offset
        words = f"{_at(rule, threshold)} (national "
        words += f"{format_value(Decimal(national), rule.measure, rule.unit)}"
        if offset:
            words += f" {'+' if offset > 0 else '−'}{_plain(abs(offset))}"
        return threshold, margin, words + ")"
    if rule.target_kind == "change":
        if baseline is None:
            return None, Decimal(0), "no baseline value to compare with"
        baseline = Decimal(baseline)
        sign = -1 if rule.lower_is_better else 1
        # Relative to the baseline's size, so a negative baseline (a deficit) improves too.
        threshold = baseline + sign * abs(baseline) * target / 100
        width = abs(baseline) * margin / 100
        if rule.measure == "count":
            threshold, width = _whole(threshold, width, rule.lower_is_better)
        moved = "below" if rule.lower_is_better else "above"
        # Grades and yes/no: a threshold such as 2.5 is a number, not a grade's name.
        shown_as = "number" if rule.measure in ("grade", "yes_no") else rule.measure
        words = (
            f"{'at most' if rule.lower_is_better else 'at least'} "
            f"{format_value(threshold, shown_as, rule.unit)} ({_plain(target)}% {moved} "
            f"the baseline of {format_value(baseline, rule.measure, rule.unit)})"
        )
        return threshold, width, words
    raise ValueError(f"unknown target kind {rule.target_kind!r}")


def _whole(threshold: Decimal, width: Decimal, lower_is_better: bool) -> tuple[Decimal, Decimal]:
    """A count's threshold and amber edge in whole numbers, judging every whole count as the
    exact figures would: "25% below 37" is 27.75, so at most 27; its amber edge 31.45 is 31."""
    if lower_is_better:
        whole = threshold.to_integral_value(ROUND_FLOOR)
        return whole, (threshold + width).to_integral_value(ROUND_FLOOR) - whole
    whole = threshold.to_integral_value(ROUND_CEILING)
    return whole, whole - (threshold - width).to_integral_value(ROUND_CEILING)


def judge(
    rule: Rule,
    value: Decimal | float | int | None,
    *,
    applicable: bool = True,
    baseline: Decimal | float | int | None = None,
    national: Decimal | float | int | None = None,
) -> Judgement:
    """The RAG outcome of one value under one rule, with its explanation."""
    if not applicable:
        return Judgement(Outcome.NOT_APPLICABLE, "Does not apply to this academy's phase.")
    value = _d(value)
    if rule.measure == "inspection":
        return _judge_inspection(rule, value)
    threshold, margin, words = threshold_for(rule, baseline=_d(baseline), national=_d(national))
    target = "" if threshold is None else words
    if value is None:
        return Judgement(Outcome.MISSING, "No submitted value for this period.", None, target)
    shown = format_value(value, rule.measure, rule.unit)
    if threshold is None:
        return Judgement(Outcome.NO_TARGET, f"{shown}: {words}.")
    shortfall = value - threshold if rule.lower_is_better else threshold - value
    if shortfall <= 0:
        return Judgement(Outcome.GREEN, f"{shown} meets the target of {words}.", threshold, target)
    if rule.measure == "yes_no":
        wanted = format_value(threshold, "yes_no")
        outcome = Outcome.AMBER if shortfall <= margin else Outcome.RED
        return Judgement(outcome, f"{shown}, where the target is {wanted}.", threshold, target)
    # A grade 3 is "short of" good: "above" a grade reads as better.
    way = "short of" if rule.measure == "grade" else "above" if rule.lower_is_better else "below"
    gap = _amount(shortfall, rule.measure)
    if shortfall <= margin:
        return Judgement(
            Outcome.AMBER,
            f"{shown} is {way} the target of {words} by {gap}, within the "
            f"{_amount(margin, rule.measure)} amber margin.",
            threshold,
            target,
        )
    beyond = f", beyond the {_amount(margin, rule.measure)} amber margin" if margin else ""
    return Judgement(
        Outcome.RED, f"{shown} is {way} the target of {words} by {gap}{beyond}.", threshold, target
    )


def _judge_inspection(rule: Rule, value: Decimal | None) -> Judgement:
    """An inspection KPI's reading (a kpis.ofsted code) judged by its own framework's rule."""
    question = rule.inspection or ofsted.ALL_AREAS
    if value is None:
        return Judgement(
            Outcome.MISSING,
            "No inspection in force answers this for the period.",
            None,
            ofsted.target_words(question),
        )
    framework = ofsted.framework_of(value)
    if framework is None:
        return Judgement(Outcome.MISSING, "The value is not an inspection reading.")
    wanted = ofsted.target_words(question, framework)
    shown = ofsted.words(value)
    result = Outcome(ofsted.outcome(value))
    if result == Outcome.GREEN:
        return Judgement(result, f"{shown} meets the target of {wanted}.", None, wanted)
    return Judgement(result, f"{shown}, where the target is {wanted}.", None, wanted)


# --- The trust column -------------------------------------------------------------------------


# Slots, not frozen: a matrix builds two of these per cell, and a frozen dataclass's __init__
# costs several times as much.
@dataclass(slots=True)
class AcademyFigure:
    """One academy's contribution to the trust column."""

    value: Decimal | None
    weight: int = 1
    outcome: Outcome | None = None
    baseline: Decimal | None = None
    # The academy's name, for the trust cell's notes ("without Moreton School").
    name: str = ""

    @property
    def counted(self) -> bool:
        """Has a value the trust's figure counts: one of an academy the KPI applies to."""
        return self.value is not None and self.outcome != Outcome.NOT_APPLICABLE


def aggregate(
    aggregation: str, figures: Sequence[AcademyFigure], measure: str = "number"
) -> tuple[Decimal | None, Decimal | None]:
    """(trust value, trust baseline) over the academies that have a value, rounded as the
    measure is shown (kpis.rag.rounded). The baseline (of a change target) is over the same
    academies, and None unless every one of them has one.

    share_meeting is the percentage of judged academies (green, amber or red) that are green.
    A value of an academy the KPI does not apply to (a phase changed since) is not counted.
    """
    present = [
        f for f in figures if f.value is not None and f.outcome is not Outcome.NOT_APPLICABLE
    ]
    if aggregation in SHARES:
        judged = [f for f in figures if f.outcome in SEVERITY]
        if not judged:
            return None, None
        by_pupils = aggregation == "share_pupils_meeting"
        green = sum(f.weight if by_pupils else 1 for f in judged if f.outcome == Outcome.GREEN)
        whole = sum(f.weight if by_pupils else 1 for f in judged)
        # Two decimals, so one academy short compares cleanly with the one-academy margin.
        return share(green, whole), None
    if not present:
        return None, None
    value = _combine(aggregation, [(f.value, f.weight) for f in present])
    baselines = [(f.baseline, f.weight) for f in present if f.baseline is not None]
    baseline = _combine(aggregation, baselines) if len(baselines) == len(present) else None
    return rounded(value, measure), rounded(baseline, measure)


def largest_share(figures: Sequence[AcademyFigure]) -> Decimal | None:
    """The largest judged academy's share of the judged academies' pupils, per cent."""
    weights = [f.weight for f in figures if f.outcome in SEVERITY]
    if not weights or not sum(weights):
        return None
    return Decimal(100 * max(weights)) / sum(weights)


def share(part: int, whole: int) -> Decimal:
    """part of whole as a percentage to two decimals: share(14, 15) == Decimal("93.33")."""
    return (Decimal(100 * part) / whole).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _combine(aggregation: str, pairs: list[tuple[Decimal, int]]) -> Decimal | None:
    if not pairs:
        return None
    values = [Decimal(v) for v, _ in pairs]
    if aggregation == "sum":
        return sum(values, Decimal(0))
    if aggregation == "min":
        return min(values)
    if aggregation == "max":
        return max(values)
    if aggregation == "weighted_mean":
        total = sum(w for _, w in pairs)
        if total > 0:
            return sum((Decimal(v) * w for v, w in pairs), Decimal(0)) / total
    return sum(values, Decimal(0)) / len(values)


def trust_rule(
    rule: Rule,
    aggregation: str,
    trust_target: Decimal | None,
    academies: int,
    largest_share: Decimal | None = None,
) -> Rule:
    """The rule the trust column is judged by.

    A share of academies meeting target is a percentage, higher is better, against the trust
    target (100% unless set); falling short by one of the academies judged is amber, more is
    red. For a share of pupils, one academy short is the largest academy's share of the
    judged academies' pupils (``largest_share``, per cent).
    """
    if aggregation in SHARES:
        if rule.target_kind == "none":
            return Rule(measure="percentage", target_kind="none")
        # One academy's share, rounded up so that exactly one academy short is within it.
        one_academy = (
            Decimal(largest_share)
            if aggregation == "share_pupils_meeting" and largest_share is not None
            else Decimal(100) / max(academies, 1)
        ).quantize(Decimal("0.01"), ROUND_UP)
        return Rule(
            measure="percentage",
            direction=HIGHER,
            target_kind="absolute",
            target=Decimal(100) if trust_target is None else Decimal(trust_target),
            amber_margin=one_academy,
        )
    if trust_target is None:
        return rule
    return rule.with_target(Decimal(trust_target))


def judge_trust(
    rule: Rule,
    aggregation: str,
    trust_target: Decimal | None,
    figures: Sequence[AcademyFigure],
    *,
    national: Decimal | None = None,
) -> tuple[Decimal | None, Judgement]:
    """The trust column: aggregate the academies' figures, then judge by the trust target.

    The value is rounded as it is shown before it is judged. A change target's baseline is
    the baseline of the academies that reported this period; when one of them has none, the
    trust has no target and the explanation names it.
    """
    value, baseline = aggregate(aggregation, figures, rule.measure)
    applicable = [f for f in figures if f.outcome != Outcome.NOT_APPLICABLE]
    if not applicable:
        return None, Judgement(Outcome.NOT_APPLICABLE, "Applies to none of the academies.")
    if aggregation in SHARES and rule.target_kind == "none":
        return None, Judgement(
            Outcome.NO_TARGET, "No target is set, so no share of academies can meet it."
        )
    judged = sum(1 for f in applicable if f.outcome in SEVERITY)
    trust = trust_rule(rule, aggregation, trust_target, judged, largest_share(figures))
    judgement = judge(trust, value, baseline=baseline, national=national)
    if aggregation in SHARES and judgement.target_words:
        share_target = trust.target if trust.target is not None else Decimal(100)
        whose = "pupils in academies" if aggregation == "share_pupils_meeting" else "academies"
        words = (
            "every academy meeting its target"
            if share_target >= 100
            else f"at least {format_value(share_target, 'percentage')} of {whose} meeting "
            "their target"
        )
        explanation = judgement.explanation
        if aggregation == "share_pupils_meeting":
            explanation = f"Pupils in academies meeting the target: {explanation}"
        judgement = Judgement(judgement.outcome, explanation, judgement.threshold, words)
    lacking = [f.name for f in figures if f.counted and f.baseline is None and f.name]
    # Some academies have a baseline and these do not (when none has, as in the baseline year
    # itself, judge() has said "no baseline value to compare with").
    with_baseline = any(f.counted and f.baseline is not None for f in figures)
    if (
        trust.target_kind == "change"
        and value is not None
        and baseline is None
        and lacking
        and with_baseline
    ):
        judgement = Judgement(
            Outcome.NO_TARGET,
            f"{format_value(value, trust.measure, trust.unit)}: no baseline value for "
            f"{names_list(lacking)}, so the trust figure has no target.",
        )
    reported = sum(1 for f in applicable if f.value is not None)
    if judgement.outcome != Outcome.MISSING and reported < len(applicable):
        # A change target's baseline is of the same academies: say so, as it is smaller.
        same = (
            f"; the baseline is of the same {reported}"
            if trust.target_kind == "change" and judgement.threshold is not None
            else ""
        )
        judgement = Judgement(
            judgement.outcome,
            f"{judgement.explanation} ({reported} of {len(applicable)} academies reported{same}.)",
            judgement.threshold,
            judgement.target_words,
        )
    return value, judgement


def names_list(names: Sequence[str], most: int = 3) -> str:
    """ "A", "A and B", "A, B and C", "A, B, C and 2 more"."""
    names = list(names)
    if len(names) > most:
        return f"{', '.join(names[:most])} and {len(names) - most} more"
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def counted(aggregation: str, figures: Sequence[AcademyFigure]) -> list[bool]:
    """Which academies a trust figure counts, in ``figures``' order: for a share meeting the
    target those judged (green, amber, red), else those the KPI applies to with a value. Two
    periods compare like for like when these agree (trust_trend; the trust charts' lines)."""
    if aggregation in SHARES:
        return [f.outcome in SEVERITY for f in figures]
    na = Outcome.NOT_APPLICABLE
    return [f.value is not None and f.outcome is not na for f in figures]


def trust_trend(
    aggregation: str,
    current: Sequence[AcademyFigure],
    previous: Sequence[AcademyFigure],
    direction: str = HIGHER,
    measure: str = "number",
    *,
    values: tuple[Decimal | None, Decimal | None] | None = None,
) -> tuple[Trend | None, str]:
    """The trust's trend, like for like: (trend, note). ``current`` and ``previous`` are the
    same academies' figures (same order) in this period and the one before.

    When the same academies reported both times, the two trust figures compare directly and
    the note is empty. When the sets differ, both periods are worked out again over the
    academies that reported in both and compared ("like for like: 4 academies (without
    Moreton School)"): an academy missing from one period can never make a sum, a mean or a
    share look better or worse. With no academy in both, there is no trend ("not comparable:
    no academy reported in both periods"). A share of academies meeting target counts the
    academies judged (green, amber, red) in both.

    Recomputing rather than withholding: an academy or two is often late, and the board
    would lose every trust trend for a term; the note says what was compared.

    ``values``: the two trust figures when the caller has them already (the matrix), so the
    common case of the same academies needs no aggregating again.
    """
    if aggregation in SHARES:
        # A share meeting the target is better the higher it is, whichever way the KPI's
        # own values go (a grade: lower is better; the share of good schools: higher).
        direction = HIGHER
    now, before = counted(aggregation, current), counted(aggregation, previous)
    if not any(now) or not any(before):
        return None, ""  # nothing to compare with: no note needed
    if now == before:
        if values is None:
            values = (
                aggregate(aggregation, current, measure)[0],
                aggregate(aggregation, previous, measure)[0],
            )
        return trend(values[0], values[1], direction), ""
    common = [i for i, (a, b) in enumerate(zip(now, before, strict=True)) if a and b]
    if not common:
        return None, "not comparable: no academy reported in both periods"
    value = aggregate(aggregation, [current[i] for i in common], measure)[0]
    old = aggregate(aggregation, [previous[i] for i in common], measure)[0]
    left_out = [
        (current[i].name or previous[i].name)
        for i, (a, b) in enumerate(zip(now, before, strict=True))
        if a != b
    ]
    academies = "1 academy" if len(common) == 1 else f"{len(common)} academies"
    without = f" (without {names_list(left_out)})" if any(left_out) else ""
    return trend(value, old, direction), f"like for like: {academies}{without}"


# --- Trend ------------------------------------------------------------------------------------


class Trend(enum.StrEnum):
    BETTER = "better"
    WORSE = "worse"
    SAME = "same"

    @property
    def symbol(self) -> str:
        return {"better": "↑", "worse": "↓", "same": "→"}[self.value]

    @property
    def label(self) -> str:
        return {
            "better": "better than last period",
            "worse": "worse than last period",
            "same": "same as last period",
        }[self.value]


def is_board_exception(outcome: Outcome, trend: Trend | None) -> bool:
    """Red, missing, or amber and getting worse (DESIGN.md, board exceptions): what the
    overview lists and "exceptions only" keeps."""
    return outcome.is_exception or (outcome == Outcome.AMBER and trend == Trend.WORSE)


def trend(
    current: Decimal | None,
    previous: Decimal | None,
    direction: str = HIGHER,
    measure: str = "number",
) -> Trend | None:
    """Against the previous period: ↑ means better whichever way the number moved. Inspection
    readings of different frameworks have no trend (Ofsted: not comparable)."""
    if current is None or previous is None:
        return None
    if measure == "inspection" and not ofsted.comparable(current, previous):
        return None
    current, previous = Decimal(current), Decimal(previous)
    if current == previous:
        return Trend.SAME
    improved = current < previous if direction == LOWER else current > previous
    return Trend.BETTER if improved else Trend.WORSE
