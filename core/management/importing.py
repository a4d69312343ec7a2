"""What the import commands (import_workbook, import_dfe, import_plan, import_gias) share: the
file and user they are given, their problems (all or nothing: any problem and nothing is
imported), the dry run and the counts of what they wrote."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class ImportCommand(BaseCommand):
    def existing_file(self, options: dict) -> Path:
        """The file the command was given (options["file"]); CommandError if there is none."""
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}")
        return path

    def history_user(self, options: dict):
        """The user named by --user, recorded in the history; None without --user."""
        if not options["user"]:
            return None
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}")
        return user

    def refuse_problems(self, problems: Iterable, count: int | None = None) -> None:
        """With any `problems`: each to stderr, then CommandError saying nothing was imported
        (`count` of them when more were found than are listed)."""
        problems = list(problems)
        if not problems:
            return
        for problem in problems:
            self.stderr.write(str(problem))
        raise CommandError(
            f"{len(problems) if count is None else count} problem(s); nothing was imported."
        )

    def dry_run(self, options: dict) -> bool:
        """Whether this is a --dry-run, saying so: the command stops before writing."""
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
        return options["dry_run"]

    def imported(self, counts: dict[str, int]) -> None:
        """The counts of what the import wrote ("Imported: values_created 3, …")."""
        self.stdout.write(self.style.SUCCESS(f"Imported: {in_counts(counts)}"))


def in_counts(counts: dict[str, int]) -> str:
    """{"values_created": 3, "values_updated": 0} as "values_created 3, values_updated 0"."""
    return ", ".join(f"{name} {n}" for name, n in counts.items())
