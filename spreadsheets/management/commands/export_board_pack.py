"""Write the board pack workbook of a period."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kpis.models import Period
from kpis.selectors import PeriodIndex, default_period
from spreadsheets.export import board_pack


class Command(BaseCommand):
    help = "Export the board pack (KPI matrix with RAG, legend, exceptions, plan actions) as XLSX."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--period", help="Period slug, e.g. 2023-24-autumn (default: latest).")
        parser.add_argument("-o", "--output", required=True, help="The .xlsx file to write.")

    def handle(self, *args, **options) -> None:
        if options["period"]:
            period = Period.objects.filter(slug=options["period"]).first()
            if period is None:
                raise CommandError(f"No period {options['period']!r}")
        else:
            period = default_period(PeriodIndex())
            if period is None:
                raise CommandError("There are no periods yet.")
        Path(options["output"]).write_bytes(board_pack(period))
        self.stdout.write(f"Wrote the board pack for {period} to {options['output']}")
