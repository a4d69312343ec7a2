"""Restore a backup made by `manage.py backup` into an empty, migrated database."""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings


class Command(BaseCommand):
    help = "Restore FILE (from `manage.py backup`) into an empty database, all or nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")

    def handle(self, *args, **options) -> None:
        # Looked up by name: core is below the apps whose tables it checks.
        models = [
            get_user_model(),
            apps.get_model("academies", "Academy"),
            apps.get_model("plans", "Plan"),
        ]
        if any(model.objects.exists() for model in models):
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
