"""Publish a board pack for a meeting from the command line: the way for a pack too large to
make while a browser waits (the publish page refuses more than TRUSTPLAN_PACK_WEB_MAX_ACADEMIES
academies), e.g. a 150-academy trust's Trust Board pack."""

import datetime
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from academies import permissions
from academies.models import Academy
from kpis.models import Period
from papers.publishing import PublishError, publish_pack


class Command(BaseCommand):
    help = (
        "Publish the board pack of a period for a named meeting, as /packs/publish/ does: the "
        "PDF and the XLSX are stored exactly as made, with the data's digest."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--meeting", required=True, help='e.g. "Trust Board, 12 March 2024"')
        parser.add_argument("--date", required=True, help="The meeting's date, e.g. 2024-03-12.")
        parser.add_argument("--period", required=True, help="Period slug, e.g. 2023-24-spring.")
        parser.add_argument(
            "--academy",
            action="append",
            default=[],
            metavar="SLUG",
            help="An academy of a local governing body's pack (repeat for several); none: the "
            "whole trust, a Trust Board pack.",
        )
        parser.add_argument(
            "--user", required=True, help="Username of the central team member publishing it."
        )

    def handle(self, *args, **options) -> None:
        meeting = options["meeting"].strip()
        if not meeting:
            raise CommandError('--meeting: name the meeting, e.g. "Trust Board, 12 March 2024".')
        try:
            meeting_date = datetime.date.fromisoformat(options["date"])
        except ValueError as error:
            raise CommandError(f"--date: {options['date']!r} is not a date: 2024-03-12.") from error
        period = Period.objects.filter(slug=options["period"]).first()
        if period is None:
            raise CommandError(f"--period: no period {options['period']!r} (e.g. 2023-24-spring).")
        slugs = set(options["academy"])
        academies = {a.slug: a.pk for a in Academy.objects.active().filter(slug__in=slugs)}
        if unknown := sorted(slugs - academies.keys()):
            raise CommandError(f"--academy: no active academy {', '.join(map(repr, unknown))}.")
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"--user: no user {options['user']!r}.")
        if not permissions.may_publish_packs(user):
            raise CommandError(f"--user: {user.username} may not publish packs (central team).")
        started = time.perf_counter()
        try:
            pack = publish_pack(
                meeting=meeting,
                meeting_date=meeting_date,
                period=period,
                academy_ids=set(academies.values()),
                user=user,
            )
        except PublishError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Published “{pack.meeting}” (pack {pack.pk}, {period}) in "
            f"{time.perf_counter() - started:.1f} s: PDF {pack.pdf_size:,} bytes, "
            f"XLSX {pack.xlsx_size:,} bytes, data digest {pack.data_digest}"
        )
