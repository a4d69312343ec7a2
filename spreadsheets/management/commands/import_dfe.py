"""Import KPI values and national figures from a DfE Explore Education Statistics CSV."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from kpis.models import ReturnStatus
from spreadsheets.dfe import IMPORT_STATES, ImportConflict, apply_dfe_import, prepare_dfe_import

LISTED = 50  # changes listed one by one (a national file's first import makes thousands)


class Command(BaseCommand):
    help = (
        "Import an Explore Education Statistics CSV (suspensions, absence, KS4…): the columns "
        "KPIs name as their DfE source, for the trust's academies (by URN) and England. "
        "Every change is checked first; all or nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="List changes; write nothing.")
        parser.add_argument(
            "--state",
            default=ReturnStatus.DRAFT,
            choices=list(IMPORT_STATES),
            help="The state the returns the values go into are left in (default draft).",
        )
        parser.add_argument("--user", help="Username recorded in the history (default: none).")

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}")
        with path.open("rb") as stream:
            preview = prepare_dfe_import(stream, path.name, state=options["state"])
        self.stdout.write(
            f"Read {preview.rows_read} rows ({preview.rows_kept} of the trust's academies or "
            "England)"
        )
        for code, column in preview.columns.items():
            self.stdout.write(f"KPI {code} from column {column}")
        for note in preview.notes:
            self.stdout.write(f"Note: {note}")
        if preview.problems:
            for line in preview.all_problems():
                self.stderr.write(line)
            count = len(preview.problems) + preview.more_problems
            raise CommandError(f"{count} problem(s); nothing was imported.")
        listed = preview.changes if options["verbosity"] > 1 else preview.changes[:LISTED]
        for change in listed:
            self.stdout.write(f"  {change}")
        if len(listed) < len(preview.changes):
            self.stdout.write(
                f"  … and {len(preview.changes) - len(listed)} more (--verbosity 2 lists them all)"
            )
        self.stdout.write(
            f"Changes: {len(preview.values)} value(s), {len(preview.national)} national "
            f"figure(s); {preview.unchanged} unchanged"
        )
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
            return
        try:
            counts = apply_dfe_import(preview, user=user)
        except ImportConflict as conflict:
            raise CommandError(" ".join(conflict.messages)) from conflict
        self.stdout.write(
            self.style.SUCCESS("Imported: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        )
