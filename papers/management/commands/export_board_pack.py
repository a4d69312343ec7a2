"""Write the board pack of a period: the XLSX workbook, or the PDF paper (issue 16)."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kpis.models import Period
from kpis.selectors import PeriodIndex, default_period
from papers.pack import board_pack_pdf_and_pages
from spreadsheets.export import board_pack

FORMATS = ("xlsx", "pdf")


class Command(BaseCommand):
    help = (
        "Export the board pack of a period: as XLSX (KPI matrix with RAG, legend, exceptions, "
        "plan actions) or as the PDF board paper (cover, contents, summary, exceptions, matrix, "
        "a page per academy, plan progress)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--period", help="Period slug, e.g. 2023-24-autumn (default: latest).")
        parser.add_argument(
            "-o", "--output", required=True, help="The .xlsx or .pdf file to write."
        )
        parser.add_argument(
            "--format",
            choices=FORMATS,
            help="xlsx or pdf (default: from the output's suffix, else xlsx).",
        )
        parser.add_argument(
            "--produced-by",
            default="trustplan",
            help="Who the PDF's cover says produced it (default: trustplan).",
        )

    def handle(self, *args, **options) -> None:
        if options["period"]:
            period = Period.objects.filter(slug=options["period"]).first()
            if period is None:
                raise CommandError(f"No period {options['period']!r}")
        else:
            period = default_period(PeriodIndex())
            if period is None:
                raise CommandError("There are no periods yet.")
        output = Path(options["output"])
        kind = options["format"] or (output.suffix[1:].lower() if output.suffix else "")
        kind = kind if kind in FORMATS else "xlsx"
        if kind == "xlsx":
            output.write_bytes(board_pack(period))
            self.stdout.write(f"Wrote the board pack for {period} to {output}")
            return
        started = time.perf_counter()
        pdf, pages = board_pack_pdf_and_pages(period, produced_by=options["produced_by"])
        seconds = time.perf_counter() - started
        output.write_bytes(pdf)
        self.stdout.write(
            f"Wrote the PDF board pack for {period} to {output}: {pages} pages in {seconds:.1f} s"
        )
