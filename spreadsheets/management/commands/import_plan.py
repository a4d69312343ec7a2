"""Import a development plan from a Word document (.docx) or a plan sheet workbook (.xlsx), into
a new draft plan or an existing one, with the same checks as the plan import page."""

from django.core.management.base import CommandError
from django.db import IntegrityError

from core.management.importing import ImportCommand
from plans.models import Plan
from plans.references import ReferenceError
from plans.services import PlanArchived
from spreadsheets.plan_document import (
    apply_plan_import,
    parse_years,
    plan_tree,
    prepare_plan_import,
)
from spreadsheets.views import counts_in_words


class Command(ImportCommand):
    help = (
        "Import a development plan from Word (.docx) or a plan sheet (.xlsx) into a new draft plan "
        "(--new TITLE --years 2023-2024) or an existing plan (--plan ID): every change is checked "
        "first, then all of it is written or nothing; nothing in a plan is deleted."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--new", metavar="TITLE", help="Create a new draft plan so titled.")
        target.add_argument("--plan", metavar="ID", type=int, help="Add to and update plan ID.")
        parser.add_argument("--years", help="The new plan's years: 2023-2024 (or 2023/24).")
        parser.add_argument(
            "--create-owners",
            action="store_true",
            help="Create the owners the file names that trustplan does not have.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Report changes; write nothing.")
        parser.add_argument("--user", help="Username recorded in the history (default: none).")

    def handle(self, *args, **options) -> None:
        path = self.existing_file(options)
        plan, years = None, None
        if options["plan"] is not None:
            plan = Plan.objects.filter(pk=options["plan"]).first()
            if plan is None:
                ids = ", ".join(f"{p.pk} {p}" for p in Plan.objects.all()) or "none"
                raise CommandError(f"No plan {options['plan']} (plans: {ids})")
            if options["years"]:
                raise CommandError(
                    "--years is for a new plan (--new); an existing plan has its own"
                )
        elif options["years"]:
            years = parse_years(options["years"])
            if years is None:
                raise CommandError(
                    f"--years {options['years']!r}: give the first and last year, such as 2023-2024"
                )
        user = self.history_user(options)
        preview = prepare_plan_import(
            path.read_bytes(),
            path.name,
            title=(options["new"] or "").strip(),
            years=years,
            plan=plan,
            create_owners=options["create_owners"],
        )
        if preview.layout:
            self.stdout.write(f"Read {path.name}: a {preview.kind}, the {preview.layout} layout")
        for note in preview.notes:
            self.stdout.write(f"Note: {note}")
        if preview.result is not None:
            for line in plan_tree(preview.result):
                self.stdout.write(line)
        for owner in preview.unknown_owners:
            closest = f" (closest known: {owner.closest})" if owner.closest else ""
            self.stdout.write(
                f"Unknown owner “{owner.text}”{closest}, in {'; '.join(owner.places)}"
            )
        self.refuse_problems(preview.problems)
        if preview.needs_owner_consent:
            raise CommandError(
                f"{len(preview.unknown_owners)} owner(s) unknown; nothing was imported. Correct "
                "them in the file, add them first, or pass --create-owners to create them."
            )
        for line in counts_in_words(preview.result.counts):
            self.stdout.write(line)
        if self.dry_run(options):
            return
        if not preview.has_changes:
            self.stdout.write("Nothing to import: the plan already holds everything in the file.")
            return
        try:
            counts = apply_plan_import(preview, user=user)
        except (PlanArchived, ReferenceError, IntegrityError) as error:
            raise CommandError(f"Nothing was imported: {error}") from error
        plan = preview.result.plan
        words = "; ".join(counts_in_words(counts))
        self.stdout.write(self.style.SUCCESS(f"Imported into plan {plan.pk} “{plan}”: {words}"))
