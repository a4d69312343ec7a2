"""A synthetic large trust for benchmarks: deterministic, written in bulk.

Defaults are the largest trust DESIGN.md plans for: 150 academies × 60 KPIs × 6 years of
three terms = 162,000 values, a 500-action plan and 400 users. Run it on an empty (migrated)
database; it refuses one that already holds academies.
"""

from __future__ import annotations

import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from academies import permissions
from academies.models import (
    Academy,
    AcademyGroup,
    AcademyRole,
    Owner,
    OwnerKind,
    Phase,
    RoleAssignment,
)
from kpis.cache import bump_board_version
from kpis.models import (
    KPI,
    Aggregation,
    Area,
    Direction,
    KPIValue,
    Measure,
    Period,
    Return,
    ReturnStatus,
    TargetKind,
    Term,
)
from plans.cache import bump_plan_version
from plans.models import Action, Aim, Plan, PlanStatus, ProgressUpdate, StrategicObjective

PHASES = [Phase.PRIMARY, Phase.PRIMARY, Phase.SECONDARY, Phase.SPECIAL, Phase.ALL_THROUGH]
# (measure, direction, target kind, target, amber, aggregation) cycled over the KPIs.
RULES = [
    (
        Measure.PERCENTAGE,
        Direction.HIGHER_BETTER,
        TargetKind.ABSOLUTE,
        95,
        1,
        Aggregation.WEIGHTED_MEAN,
    ),
    (Measure.PERCENTAGE, Direction.LOWER_BETTER, TargetKind.ABSOLUTE, 10, 2, Aggregation.MEAN),
    (Measure.COUNT, Direction.LOWER_BETTER, TargetKind.CHANGE, 25, 10, Aggregation.SUM),
    (Measure.GRADE, Direction.LOWER_BETTER, TargetKind.ABSOLUTE, 2, 1, Aggregation.SHARE_MEETING),
    (Measure.YES_NO, Direction.HIGHER_BETTER, TargetKind.ABSOLUTE, 1, 0, Aggregation.SHARE_MEETING),
    (Measure.MONEY, Direction.HIGHER_BETTER, TargetKind.ABSOLUTE, 0, 50000, Aggregation.SUM),
    (Measure.NUMBER, Direction.HIGHER_BETTER, TargetKind.NONE, None, 0, Aggregation.MEAN),
]


class Command(BaseCommand):
    help = "Create a large synthetic trust (bulk writes, seeded) for benchmarks."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--academies", type=int, default=150)
        parser.add_argument("--kpis", type=int, default=60)
        parser.add_argument("--years", type=int, default=6)
        parser.add_argument("--actions", type=int, default=500)
        parser.add_argument("--users", type=int, default=400)
        parser.add_argument("--seed", type=int, default=2024)
        parser.add_argument(
            "--group-size",
            type=int,
            default=15,
            help="Academies per group (region): 150 academies make 10 groups of 15; 0: none.",
        )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        if Academy.objects.exists():
            raise CommandError("The database already has academies: use an empty database.")
        # One generator, drawn from in this order (academies, values, action KPIs), so a seed
        # always gives the same trust.
        rng = random.Random(options["seed"])
        groups = permissions.ensure_role_groups()
        academies = _academies(options["academies"], rng, options["group_size"])
        kpis = _kpis(options["kpis"])
        periods = _periods_and_returns(options["years"], academies)
        created = _values(periods, kpis, academies, rng)
        users = _users(options["users"], groups, academies)
        actions = _plan(options["actions"], users, kpis, rng)
        bump_board_version()
        bump_plan_version()
        self.stdout.write(
            f"Created {len(academies)} academies, {len(kpis)} KPIs, {len(periods)} periods, "
            f"{created} values, {len(actions)} actions, {len(users)} users."
        )


def _academies(count: int, rng: random.Random, group_size: int = 0) -> list[Academy]:
    """The academies, in consecutive groups of ``group_size`` ("Region 01" …; none for 0)."""
    groups = []
    if group_size > 0:
        groups = AcademyGroup.objects.bulk_create(
            [
                AcademyGroup(name=f"Region {n:02d}", slug=f"region-{n:02d}", position=n)
                for n in range(1, -(-count // group_size) + 1)
            ]
        )
    return Academy.objects.bulk_create(
        [
            Academy(
                group=groups[(i - 1) // group_size] if groups else None,
                name=f"Scale Academy {i:03d}",
                short_name=f"SA{i:03d}",
                slug=f"scale-academy-{i:03d}",
                phase=PHASES[i % len(PHASES)],
                pupils_on_roll=rng.randint(150, 1600),
                position=i,
            )
            for i in range(1, count + 1)
        ]
    )


def _kpis(count: int) -> list[KPI]:
    """Four areas of KPIs, cycling through RULES."""
    areas = Area.objects.bulk_create([Area(number=n, name=f"Area {n}") for n in range(1, 5)])
    per_area = -(-count // len(areas))
    kpis = []
    for index in range(count):
        area = areas[index // per_area]
        measure, direction, kind, target, amber, aggregation = RULES[index % len(RULES)]
        minor = index % per_area + 1
        kpis.append(
            KPI(
                area=area,
                code=f"{area.number}.{minor}",
                position=minor,
                name=f"Scale KPI {area.number}.{minor}",
                measure=measure,
                direction=direction,
                target_kind=kind,
                target_value=None if target is None else Decimal(target),
                amber_margin=Decimal(amber),
                baseline_year=2019 if kind == TargetKind.CHANGE else None,
                aggregation=aggregation,
                unit="%" if measure == Measure.PERCENTAGE else "",
            )
        )
    return KPI.objects.bulk_create(kpis)


def _periods_and_returns(years: int, academies: list[Academy]) -> list[Period]:
    """Three terms a year from 2019, the last one open; every earlier return approved."""
    periods = [
        Period(year_start=year, term=term, slug=Period.make_slug(year, term))
        for year in range(2019, 2019 + years)
        for term in Term
    ]
    periods[-1].is_open = True
    periods = Period.objects.bulk_create(periods)
    Return.objects.bulk_create(
        [
            Return(academy=academy, period=period, status=ReturnStatus.APPROVED)
            for period in periods[:-1]
            for academy in academies
        ]
        + [
            # In the open term two thirds have submitted; the first third (whose heads the
            # load test uses) have not started.
            Return(academy=academy, period=periods[-1], status=ReturnStatus.SUBMITTED)
            for academy in academies[len(academies) // 3 :]
        ]
    )
    return periods


def _values(
    periods: list[Period], kpis: list[KPI], academies: list[Academy], rng: random.Random
) -> int:
    """A value for every KPI × academy × period, written in batches; returns how many."""
    batch = []
    created = 0
    bases: dict = {}
    for period in periods:
        for kpi in kpis:
            for academy in academies:
                batch.append(
                    KPIValue(
                        kpi=kpi,
                        academy=academy,
                        period=period,
                        value=_value(kpi, academy, rng, bases),
                        is_demo=True,
                    )
                )
            if len(batch) >= 20_000:
                KPIValue.objects.bulk_create(batch, batch_size=5000)
                created += len(batch)
                batch = []
    KPIValue.objects.bulk_create(batch, batch_size=5000)
    return created + len(batch)


def _users(count: int, groups: dict, academies: list[Academy]) -> list:
    """Users in turn trustee, governor, headteacher (each heading an academy), central team."""
    User = get_user_model()
    password = make_password("trustplan")
    users = User.objects.bulk_create(
        [User(username=f"scale-user-{i:03d}", password=password) for i in range(count)]
    )
    role_cycle = [
        permissions.TRUSTEE,
        permissions.GOVERNOR,
        permissions.HEADTEACHER,
        permissions.CENTRAL_TEAM,
    ]
    Through = User.groups.through
    Through.objects.bulk_create(
        [
            Through(user_id=user.pk, group_id=groups[role_cycle[i % 4]].pk)
            for i, user in enumerate(users)
        ]
    )
    heads = [u for i, u in enumerate(users) if role_cycle[i % 4] == permissions.HEADTEACHER]
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(
                user=head, academy=academies[i % len(academies)], role=AcademyRole.HEADTEACHER
            )
            for i, head in enumerate(heads)
        ]
    )
    return users


def _plan(count: int, users: list, kpis: list[KPI], rng: random.Random) -> list[Action]:
    """An active plan of five objectives × ten aims and `count` actions, each with an aim, an
    owner, a monitoring body and three KPIs; half of them have a progress update."""
    owners = Owner.objects.bulk_create(
        [Owner(code=f"P{i:02d}", kind=OwnerKind.PERSON, user=users[i]) for i in range(30)]
        + [Owner(code=f"B{i}", name=f"Board {i}", kind=OwnerKind.BODY) for i in range(5)]
    )
    plan = Plan.objects.create(
        title="Scale plan", start_year=2024, end_year=2027, status=PlanStatus.ACTIVE
    )
    objectives = StrategicObjective.objects.bulk_create(
        [StrategicObjective(plan=plan, number=n, title=f"Objective {n}") for n in range(1, 6)]
    )
    aims = Aim.objects.bulk_create(
        [
            Aim(objective=objective, position=p, title=f"Aim {objective.number}.{p}")
            for objective in objectives
            for p in range(1, 11)
        ]
    )
    actions = Action.objects.bulk_create(
        [
            Action(
                objective=aims[i % len(aims)].objective,
                position=i,
                description=f"Scale action {i}",
            )
            for i in range(count)
        ]
    )
    links = {"aims": [], "responsible": [], "monitors": [], "kpis": []}
    for i, action in enumerate(actions):
        links["aims"].append(
            Action.aims.through(action_id=action.pk, aim_id=aims[i % len(aims)].pk)
        )
        links["responsible"].append(
            Action.responsible.through(action_id=action.pk, owner_id=owners[i % 30].pk)
        )
        links["monitors"].append(
            Action.monitors.through(action_id=action.pk, owner_id=owners[30 + i % 5].pk)
        )
        for kpi in rng.sample(kpis, 3):
            links["kpis"].append(Action.kpis.through(action_id=action.pk, kpi_id=kpi.pk))
    for name, rows in links.items():
        getattr(Action, name).through.objects.bulk_create(rows)
    statuses = ["on_track", "at_risk", "off_track", "complete"]
    ProgressUpdate.objects.bulk_create(
        [
            ProgressUpdate(action=action, status=statuses[i % 4], commentary="Scale data.")
            for i, action in enumerate(actions[: len(actions) // 2])
        ]
    )
    return actions


def _value(kpi: KPI, academy: Academy, rng: random.Random, bases: dict) -> Decimal:
    """A value near this academy's own level for the KPI: trends, not jumps (a real trust's
    data would not trip the entry form's far-from-last-term check on every line)."""
    key = (kpi.code, academy.slug)
    if key not in bases:
        bases[key] = rng.random()
    base = bases[key]
    if kpi.measure == Measure.PERCENTAGE:
        level = 90 + 8 * base if kpi.direction == Direction.HIGHER_BETTER else 4 + 8 * base
        return (
            Decimal(str(round(level + rng.uniform(-1.5, 1.5), 1))).max(Decimal(0)).min(Decimal(100))
        )
    if kpi.measure == Measure.COUNT:
        return Decimal(max(0, round(10 + 20 * base + rng.uniform(-2, 2))))
    if kpi.measure == Measure.GRADE:
        return Decimal(1 if base > 0.85 else 3 if base < 0.1 else 2)
    if kpi.measure == Measure.YES_NO:
        return Decimal(1 if base > 0.08 else 0)
    if kpi.measure == Measure.MONEY:
        return Decimal(round(20_000 + 100_000 * base + rng.uniform(-3000, 3000), -2))
    return Decimal(str(round(20 + 40 * base + rng.uniform(-1, 1), 2)))
