"""manage.py send_reminders: run daily (cron or a systemd timer; README, "People and sign-in")."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from people import reminders


class Command(BaseCommand):
    help = (
        "Record and send today's reminders (returns due, overdue, waiting for approval; action "
        "updates due and overdue; weekly digests), and send again any a failing mail server "
        "left unsent. Running it twice a day sends nothing new."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--date", help="Run as if today were this day (YYYY-MM-DD), e.g. to catch up."
        )

    def handle(self, *args, **options) -> None:
        today = None
        if options["date"]:
            try:
                today = datetime.date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(
                    f"--date {options['date']!r} is not a date like 2026-12-03."
                ) from error
        counts = reminders.run(today)
        self.stdout.write(
            f"{counts.recorded} new reminder(s) recorded; {counts.sent} sent in "
            f"{counts.messages} message(s); {counts.failed} not sent (tried again next run)."
        )
        if counts.failed:
            raise CommandError(
                f"{counts.failed} reminder(s) could not be sent; they are kept and sent at the "
                "next run (see the log for the mail server's answer)."
            )
