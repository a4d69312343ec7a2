"""Load a transcribed plan fixture (YAML) such as fixtures/plan_2019_2022.yaml."""

from django.core.management.base import BaseCommand, CommandError

from academies.services import read_fixture
from plans.services import PlanFixtureError, load_plan


class Command(BaseCommand):
    help = "Load a plan from a YAML transcription (see fixtures/); does nothing if already loaded."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="Path to the YAML file, or its name in fixtures/.")

    def handle(self, *args, **options) -> None:
        try:
            data = read_fixture(options["file"])
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read {options['file']}: {error}") from error
        try:
            plan, created = load_plan(data=data)
        except (PlanFixtureError, KeyError) as error:
            raise CommandError(f"{options['file']}: {error}") from error
        self.stdout.write(f"{plan}: {'loaded' if created else 'already loaded, unchanged'}")
