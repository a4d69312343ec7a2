"""A plan as read from a workbook's plan sheet or a Word document: the rows
spreadsheets.plan_sheet and spreadsheets.plan_document read and plans.services.apply_plan_sheet
writes (here, below both, so the plan never imports the spreadsheets app)."""

from __future__ import annotations

from dataclasses import dataclass, field

from plans.models import Action, Plan


def norm(text: str) -> str:
    """Text as a sheet's rows are matched with the plan: case and spacing ignored."""
    return " ".join((text or "").split()).casefold()


# Latin letters' look-alikes (Cyrillic and Greek) that a header typed on another keyboard
# layout carries: the 2019–2022 seed's "КРІ" is Cyrillic К, Р and І.
_LOOKALIKES = str.maketrans(
    "АВСЕНІЈКМОРЅТХУаеіјорсѕухΑΒΕΗΙΚΜΝΟΡΤΥΧΖοι",
    "ABCEHIJKMOPSTXYaeijopcsyxABEHIKMNOPTYXZoi",
)


def header_norm(text: str) -> str:
    """A header cell as headers are recognised: norm(), Latin look-alikes read as Latin, and
    trailing punctuation and a plural's (s) dropped ("Action(s):" is "action")."""
    text = norm((text or "").translate(_LOOKALIKES))
    text = text.replace("(s)", "s").rstrip(" :.*")
    return text


Links = tuple[set[str], set[str], set[str]]


@dataclass
class ActionRow:
    row: int
    description: str
    responsibility: list[str] = field(default_factory=list)
    kpis: list[str] = field(default_factory=list)
    monitors: list[str] = field(default_factory=list)

    def links(self) -> Links:
        """The owner, monitor and KPI codes the sheet gives the action."""
        return set(self.responsibility), set(self.monitors), set(self.kpis)


@dataclass
class AimRow:
    row: int
    title: str
    actions: list[ActionRow] = field(default_factory=list)
    number: str = ""  # as the document states it ("1.2"); "" where it states none


@dataclass
class GroupRow:
    """Actions and success criteria stated once for several aims (the 2019–2022 layout)."""

    row: int
    aims: list[AimRow]
    actions: list[ActionRow] = field(default_factory=list)
    criteria: list[str] = field(default_factory=list)


@dataclass
class ObjectiveRow:
    row: int
    number: int
    title: str
    aims: list[AimRow] = field(default_factory=list)
    groups: list[GroupRow] = field(default_factory=list)


@dataclass
class UnknownOwner:
    """An owner a file names that trustplan does not have, and what creating it would make."""

    text: str  # as the file writes it
    code: str  # the code it would be created with
    name: str
    kind: str
    closest: str | None  # the known owner it looks most like
    places: list[str] = field(default_factory=list)  # where the file names it


@dataclass
class PlanImport:
    sheet: str
    title: str
    objectives: list[ObjectiveRow] = field(default_factory=list)
    plan: Plan | None = None
    years: tuple[int, int] | None = None
    counts: dict[str, int] = field(default_factory=dict)
    # A Word document or import_plan: a new draft plan (title, years, introduction, labels)
    # instead of the active plan, or the `plan` named; the reason history records.
    new_plan: bool = False
    introduction: str = ""
    objective_label: str = ""
    aim_label: str = ""
    reason: str = ""
    notes: list = field(default_factory=list)  # what was ambiguous, and what was assumed
    unknown_owners: dict[str, UnknownOwner] = field(default_factory=dict)  # by code
    create_owners: bool = False  # the administrator lets the import create them

    @property
    def has_changes(self) -> bool:
        return any(v for k, v in self.counts.items() if not k.endswith("unchanged"))


def action_links(action: Action) -> Links:
    """An action's owner, monitor and KPI codes, from its prefetched relations (no query)."""
    return (
        {o.code for o in action.responsible.all()},
        {o.code for o in action.monitors.all()},
        {k.code for k in action.kpis.all()},
    )
