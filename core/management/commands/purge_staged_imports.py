"""Remove uploaded workbooks that were previewed and never confirmed (core.staging)."""

from django.core.management.base import BaseCommand

from core import staging


class Command(BaseCommand):
    help = (
        "Remove staged import files older than TRUSTPLAN_IMPORT_STAGED_HOURS (default 24) from "
        "TRUSTPLAN_IMPORT_DIR: uploads previewed and never confirmed. Safe to run from cron."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--hours", type=float, help="Remove files older than this instead of the setting."
        )

    def handle(self, *args, **options) -> None:
        hours = staging.expiry_hours() if options["hours"] is None else options["hours"]
        removed = staging.purge_expired(hours)
        files = "file" if removed == 1 else "files"
        self.stdout.write(
            f"Removed {removed} staged import {files} older than {hours:g} hours from "
            f"{staging.folder()}."
        )
