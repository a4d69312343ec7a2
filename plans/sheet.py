"""A plan sheet as read from a workbook: the rows spreadsheets.plan_sheet reads and
plans.services.apply_plan_sheet writes (here, below both, so the plan never imports the
spreadsheets app)."""

from __future__ import annotations

from dataclasses import dataclass, field

from plans.models import Action, Plan


def norm(text: str) -> str:
    """Text as a sheet's rows are matched with the plan: case and spacing ignored."""
    return " ".join((text or "").split()).casefold()


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


@dataclass
class ObjectiveRow:
    row: int
    number: int
    title: str
    aims: list[AimRow] = field(default_factory=list)


@dataclass
class PlanImport:
    sheet: str
    title: str
    objectives: list[ObjectiveRow] = field(default_factory=list)
    plan: Plan | None = None
    years: tuple[int, int] | None = None
    counts: dict[str, int] = field(default_factory=dict)

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
