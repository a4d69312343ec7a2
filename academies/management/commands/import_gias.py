"""Set up and update the trust's academies from the DfE's GIAS file (the web import's checks)."""

from django.core.management.base import CommandError

from academies.gias import GiasConflict, GiasPreview, apply_gias, prepare_gias
from core.management.importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Import the trust's academies from GIAS's establishment fields CSV "
        "(edubasealldataYYYYMMDD.csv), or their join dates from its academies and trusts links "
        "file: every change is checked and listed first; all or nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--trust",
            help="The trust's name as GIAS spells it, in any case (default TRUSTPLAN_TRUST_NAME).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Report changes; write nothing.")

    def handle(self, *args, **options) -> None:
        path = self.existing_file(options)
        with path.open("rb") as handle:
            preview = prepare_gias(handle, path.name, trust_name=options["trust"])
        self._report(preview)
        self.refuse_problems(
            preview.all_problems(), len(preview.problems) + preview.problems_not_shown
        )
        if self.dry_run(options):
            return
        if not preview.has_changes:
            self.stdout.write("Nothing to import: trustplan already matches the file.")
            return
        try:
            counts = apply_gias(preview)
        except GiasConflict as conflict:
            raise CommandError(str(conflict)) from conflict
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported: {counts['academies_created']} academies created, "
                f"{counts['academies_updated']} updated."
            )
        )

    def _report(self, preview: GiasPreview) -> None:
        out = self.stdout.write
        out(
            f"{preview.filename} ({preview.file_label} file): {preview.rows_read:,} rows, "
            f"{preview.trust_rows:,} of “{preview.trust_name}”, {preview.other_rows:,} of other "
            "trusts or none ignored."
        )
        for new in preview.creates:
            academy = new.academy
            out(
                f"Create: {academy.name} (URN {academy.urn}, {academy.get_phase_display()}, "
                f"{academy.pupils_on_roll} pupils, short name {academy.short_name}; row "
                f"{new.school.row})"
            )
        for update in preview.updates:
            changes = "; ".join(f"{c.label} {c.old_shown} → {c.new_shown}" for c in update.changes)
            out(f"Update: {update.academy.name} (by {update.matched_by}): {changes}")
        if preview.unchanged:
            out(f"Unchanged: {', '.join(a.name for a in preview.unchanged)}")
        for closed in preview.closed:
            school = closed.school
            when = f" on {school.close_date:%d-%m-%Y}" if school.close_date else ""
            match = f" — trustplan's {closed.academy.name}, kept" if closed.academy else ""
            out(f"Closed in GIAS{when}: {school.name} (URN {school.urn}, row {school.row}){match}")
        for school in preview.proposed:
            out(f"Proposed to open, not created yet: {school.name} (URN {school.urn})")
        for school in preview.not_in_trustplan:
            out(f"Not in trustplan (import the establishment file first): URN {school.urn}")
        for missing in preview.not_listed:
            why = f" ({missing.elsewhere})" if missing.elsewhere else ""
            out(f"Not listed under the trust in this file: {missing.academy.name}{why}")
