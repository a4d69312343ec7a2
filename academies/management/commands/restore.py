"""Restore a backup made by `manage.py backup` into an empty, migrated database."""

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from academies.models import Academy
from plans.models import Plan


class Command(BaseCommand):
    help = "Restore FILE (from `manage.py backup`) into an empty database, all or nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")

    def handle(self, *args, **options) -> None:
        if get_user_model().objects.exists() or Academy.objects.exists() or Plan.objects.exists():
            raise CommandError(
                "The database is not empty. Restore into a new database: create it, run "
                "`manage.py migrate`, then `manage.py restore FILE`."
            )
        # The backup holds the history itself: loading must not write more of it (loaddata
        # sets many-to-many fields after saving, which would otherwise record a change).
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            try:
                with transaction.atomic():
                    call_command("loaddata", options["file"], verbosity=0)
            except Exception as error:  # loaddata raises many kinds; nothing was written
                raise CommandError(f"Nothing was restored: {error}") from error
        self.stdout.write(self.style.SUCCESS(f"Restored {options['file']}"))
