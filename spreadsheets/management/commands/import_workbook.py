"""Import a trust workbook from the command line, with the same checks as the web import."""

from django.core.management.base import CommandError

from core.management.importing import ImportCommand, in_counts
from kpis.models import Period
from spreadsheets.importer import IMPORT_STATES, ImportConflict, apply_import, prepare_import


class Command(ImportCommand):
    help = "Import an .xlsx or .csv trust workbook: every change is checked first; all or nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Report changes; write nothing.")
        parser.add_argument("--period", help="Period slug for matrix sheets whose name has none.")
        parser.add_argument("--state", default="submitted", choices=list(IMPORT_STATES))
        parser.add_argument("--user", help="Username recorded in the history (default: none).")

    def handle(self, *args, **options) -> None:
        path = self.existing_file(options)
        period = None
        if options["period"]:
            period = Period.objects.filter(slug=options["period"]).first()
            if period is None:
                raise CommandError(f"No period {options['period']!r}")
        user = self.history_user(options)
        preview = prepare_import(
            path.read_bytes(), path.name, period=period, state=options["state"]
        )
        for name, kind in preview.read_sheets:
            self.stdout.write(f"Read sheet “{name}” ({kind})")
        for name in preview.ignored_sheets:
            self.stdout.write(f"Ignored sheet “{name}”")
        self.stdout.write(
            f"Values: {len(preview.creates)} to create, {len(preview.updates)} to update, "
            f"{preview.unchanged} unchanged"
        )
        if preview.plan is not None:
            self.stdout.write(f"Plan: {in_counts(preview.plan.counts)}")
        self.refuse_problems(preview.problems)
        if self.dry_run(options):
            return
        try:
            counts = apply_import(preview, user=user)
        except ImportConflict as conflict:
            raise CommandError(" ".join(conflict.messages)) from conflict
        self.imported(counts)
