"""Import KPI values and national figures from a DfE Explore Education Statistics CSV."""

from django.core.management.base import CommandError

from core.management.importing import ImportCommand
from kpis.models import ReturnStatus
from spreadsheets.dfe import IMPORT_STATES, ImportConflict, apply_dfe_import, prepare_dfe_import

LISTED = 50  # changes listed one by one (a national file's first import makes thousands)


class Command(ImportCommand):
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
        path = self.existing_file(options)
        user = self.history_user(options)
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
        self.refuse_problems(preview.all_problems(), len(preview.problems) + preview.more_problems)
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
        if self.dry_run(options):
            return
        try:
            counts = apply_dfe_import(preview, user=user)
        except ImportConflict as conflict:
            raise CommandError(" ".join(conflict.messages)) from conflict
        self.imported(counts)
