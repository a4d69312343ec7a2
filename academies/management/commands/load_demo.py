"""Load the Amethyst demo: trust, KPI framework, 2023/24 plan, demo users and demo values."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from academies import roles
from academies.models import Academy, AcademyRole, Owner, RoleAssignment
from academies.services import load_organisation, read_fixture
from kpis.demo import generate_demo_values
from kpis.services import load_framework
from plans.demo import generate_demo_progress
from plans.services import load_plan

DEMO_PASSWORD = "trustplan"

# username: (role group, [(academy slug, academy role)], owner code linked to the account, label)
DEMO_USERS = {
    "trustee": (roles.TRUSTEE, [], None, "Trustee – browses the board's dashboards and plan"),
    "governor": (
        roles.GOVERNOR,
        [("moreton-school", AcademyRole.GOVERNOR)],
        None,
        "Local governor of Moreton School",
    ),
    "head": (
        roles.HEADTEACHER,
        [("aldersley-high-school", AcademyRole.HEADTEACHER)],
        None,
        "Headteacher of Aldersley High School",
    ),
    "exechead": (
        roles.HEADTEACHER,
        [
            ("penn-hall-school", AcademyRole.HEADTEACHER),
            ("tettenhall-wood-school", AcademyRole.HEADTEACHER),
        ],
        None,
        "Executive head of Penn Hall School and Tettenhall Wood School",
    ),
    "central": (roles.CENTRAL_TEAM, [], "NLI", "Central team (linked to owner NLI)"),
    "admin": (roles.ADMINISTRATOR, [], None, "Administrator (also Django admin superuser)"),
}


class Command(BaseCommand):
    help = (
        "Load the Amethyst Academies Trust demo (idempotent): academies, owners, KPI framework, "
        "the 2023/24 plan, demo users for every role and seeded demo values for 2022/23–2023/24."
    )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        groups = roles.ensure_role_groups()
        load_organisation(data=read_fixture("amethyst_trust.yaml"))
        load_framework(data=read_fixture("amethyst_kpis.yaml"))
        plan, created = load_plan(data=read_fixture("plan_amethyst_2023_24.yaml"))
        self.stdout.write(f"Plan: {plan} ({'loaded' if created else 'already there'})")

        User = get_user_model()
        academies = {academy.slug: academy for academy in Academy.objects.all()}
        for username, (group, assignments, owner_code, _label) in DEMO_USERS.items():
            user, _ = User.objects.get_or_create(username=username)
            user.first_name = username.capitalize()
            user.is_staff = group in (roles.CENTRAL_TEAM, roles.ADMINISTRATOR)
            user.is_superuser = group == roles.ADMINISTRATOR
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.set([groups[group]])
            for slug, role in assignments:
                RoleAssignment.objects.get_or_create(user=user, academy=academies[slug], role=role)
            if owner_code:
                Owner.objects.filter(code=owner_code).update(user=user)

        created_values = generate_demo_values()
        self.stdout.write(f"Demo values created: {created_values}")
        updates = generate_demo_progress(plan=plan, author=User.objects.get(username="central"))
        self.stdout.write(f"Demo progress updates created: {updates}")
        self.stdout.write(self.style.SUCCESS("Demo loaded. Sign in with any of these accounts:"))
        for username, (*_ignored, label) in DEMO_USERS.items():
            self.stdout.write(f"  {username:<9} / {DEMO_PASSWORD}   {label}")
