"""Load the Amethyst demo: trust, KPI framework, both seed plans, demo users and demo values."""

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from academies import permissions
from academies.models import Academy, Owner, RoleAssignment
from academies.services import load_organisation, read_fixture
from demo.accounts import DEMO_NAMES, DEMO_PASSWORD, DEMO_USERS, demo_email
from demo.progress import generate_demo_progress
from demo.values import generate_demo_values
from kpis.models import Period, Term
from kpis.services import load_framework
from papers.models import PublishedPack
from papers.publishing import publish_pack
from plans.services import load_plan

# The packs the demo publishes, each a week before its meeting: the Trust Board's July meeting
# and Moreton School's LGB in June, both on the spring term's figures — the last collection
# complete by then (summer returns are due on 17 July; the demo's summer term is still open).
# Trustees read both; Moreton's governor reads the LGB's.
DEMO_PACKS = [
    ("Trust Board, 9 July 2024", datetime.date(2024, 7, 9), []),
    ("Moreton School LGB, 25 June 2024", datetime.date(2024, 6, 25), ["moreton-school"]),
]


class Command(BaseCommand):
    help = (
        "Load the Amethyst Academies Trust demo (idempotent): academies, owners, KPI framework, "
        "the 2023/24 plan (active) and the 2019–2022 plan (archived), demo users for every role "
        "and seeded demo values and progress for 2022/23–2023/24, dated as in the seed, and the "
        "published packs of the Trust Board and Moreton School's LGB (spring 2023/24 figures)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--without-pack",
            action="store_true",
            help="Do not publish the demo's board packs (making their PDFs takes a few seconds).",
        )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        groups = permissions.ensure_role_groups()
        load_organisation(data=read_fixture("amethyst_trust.yaml"))
        load_framework(data=read_fixture("amethyst_kpis.yaml"))
        plan, created = load_plan(data=read_fixture("plan_amethyst_2023_24.yaml"))
        self.stdout.write(f"Plan: {plan} ({'loaded' if created else 'already there'})")
        # The other seed's plan, archived: readable from the plan page, not editable.
        earlier, created = load_plan(data=read_fixture("plan_2019_2022.yaml"))
        self.stdout.write(f"Plan: {earlier} ({'loaded' if created else 'already there'})")

        User = get_user_model()
        academies = {academy.slug: academy for academy in Academy.objects.all()}
        for username, (group, assignments, owner_code, _label) in DEMO_USERS.items():
            user, _ = User.objects.get_or_create(username=username)
            user.first_name, user.last_name = DEMO_NAMES[username]
            user.email = demo_email(username)
            user.is_staff = group in (permissions.CENTRAL_TEAM, permissions.ADMINISTRATOR)
            user.is_superuser = group == permissions.ADMINISTRATOR
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.set([groups[group]])
            for slug, role in assignments:
                RoleAssignment.objects.get_or_create(user=user, academy=academies[slug], role=role)
            if owner_code:
                Owner.objects.filter(code=owner_code).update(user=user)

        created_values = generate_demo_values()
        self.stdout.write(f"Demo values created: {created_values}")
        central = User.objects.get(username="central")
        updates = generate_demo_progress(plan=plan, author=central)
        self.stdout.write(f"Demo progress updates created: {updates}")
        if not options["without_pack"]:
            for meeting, meeting_date, slugs in DEMO_PACKS:
                published = self._publish_pack(central, meeting, meeting_date, slugs)
                self.stdout.write(f"Published pack: {published}")
        self.stdout.write(self.style.SUCCESS("Demo loaded. Sign in with any of these accounts:"))
        for username, (*_ignored, label) in DEMO_USERS.items():
            self.stdout.write(f"  {username:<9} / {DEMO_PASSWORD}   {label}")

    def _publish_pack(self, central, meeting, meeting_date, slugs) -> str:
        """A spring 2023/24 pack for the meeting, published by central team a week before it
        as papers are circulated (once: a second load keeps it)."""
        if PublishedPack.objects.filter(meeting=meeting).exists():
            return f"{meeting} (already there)"
        published_at = datetime.datetime.combine(
            meeting_date - datetime.timedelta(days=7),
            datetime.time(17),
            tzinfo=timezone.get_current_timezone(),
        )
        publish_pack(
            meeting=meeting,
            meeting_date=meeting_date,
            period=Period.objects.get(year_start=2023, term=Term.SPRING),
            academy_ids=set(Academy.objects.filter(slug__in=slugs).values_list("pk", flat=True))
            or None,
            user=central,
            published_at=published_at,
        )
        return f"{meeting} (published)"
