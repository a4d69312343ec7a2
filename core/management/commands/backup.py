"""Back up every row the app holds (with its change history) to one JSON file (.json or .json.gz).

Content types and permissions are left out: migrate recreates them, and the dump refers to
them by natural key. For PostgreSQL, pg_dump is the faster whole-database alternative (README).
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

# Rebuilt by migrate or worthless after a restore.
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "axes"]


class Command(BaseCommand):
    help = "Write a backup of the database to FILE (gzip-compressed when FILE ends in .gz)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="e.g. trustplan-2024-07-31.json.gz")

    def handle(self, *args, **options) -> None:
        path = options["file"]
        if not path.endswith((".json", ".json.gz")):
            raise CommandError("Name the backup file …json or …json.gz.")
        call_command(
            "dumpdata",
            exclude=EXCLUDED,
            natural_foreign=True,
            output=path,
            verbosity=0,
        )
        self.stdout.write(self.style.SUCCESS(f"Backed up to {path}"))
