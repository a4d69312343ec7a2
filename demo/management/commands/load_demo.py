"""Load the Amethyst demo: trust, KPI framework, both seed plans, demo users and demo values."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from academies import permissions
from academies.models import Academy, Owner, RoleAssignment
from academies.services import load_organisation, read_fixture
from demo.accounts import DEMO_NAMES, DEMO_PASSWORD, DEMO_USERS
from demo.progress import generate_demo_progress
from demo.values import generate_demo_values
from kpis.services import load_framework
from plans.services import load_plan


class Command(BaseCommand):
    help = (
        "Load the Amethyst Academies Trust demo (idempotent): academies, owners, KPI framework, "
        "the 2023/24 plan (active) and the 2019–2022 plan (archived), demo users for every role "
        "and seeded demo values and progress for 2022/23–2023/24, dated as in the seed."
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
        updates = generate_demo_progress(plan=plan, author=User.objects.get(username="central"))
        self.stdout.write(f"Demo progress updates created: {updates}")
        self.stdout.write(self.style.SUCCESS("Demo loaded. Sign in with any of these accounts:"))
        for username, (*_ignored, label) in DEMO_USERS.items():
            self.stdout.write(f"  {username:<9} / {DEMO_PASSWORD}   {label}")
