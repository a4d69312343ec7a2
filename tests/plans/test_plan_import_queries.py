"""Applying a plan sheet writes in bulk: its query count does not grow with the actions."""

import io

import openpyxl
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpis.models import KPI
from spreadsheets.importer import apply_import, prepare_import


def _plan_sheet(trust, actions: int) -> bytes:
    """The first `actions` actions of the 2023/24 plan's objective 1 as a plan sheet; the first
    one's KPI 4.13 toggled, so exactly one action changes."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Plan"
    sheet.append(["Trust Development Plan 2023/2024"])
    sheet.append(["Aim", "Action", "Responsibility", "KPI", "Monitored by"])
    objective = trust.objectives.get(number=1)
    sheet.append([f"Strategic objective 1: {objective.title}"])
    count = 0
    for aim in objective.aims.order_by("position"):
        for index, action in enumerate(aim.actions.order_by("position")):
            if count == actions:
                break
            codes = " ".join(k.code for k in action.kpis.all())
            if count == 0:
                codes = codes.replace("4.13", "") if "4.13" in codes else f"{codes} 4.13"
            count += 1
            sheet.append(
                [
                    aim.title if index == 0 else None,
                    action.description,
                    " and ".join(o.code for o in action.responsible.all()),
                    codes,
                    " and ".join(o.code for o in action.monitors.all()),
                ]
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _apply_queries(trust, cast, actions: int) -> int:
    preview = prepare_import(_plan_sheet(trust, actions), "plan.xlsx")
    assert preview.ok, [str(p) for p in preview.problems]
    assert preview.plan.counts["actions_updated"] == 1
    assert preview.plan.counts["actions_unchanged"] == actions - 1
    with CaptureQueriesContext(connection) as context:
        apply_import(preview, user=cast["admin"])
    return len(context.captured_queries)


def test_a_sheet_of_25_actions_takes_no_more_queries_than_one_of_3(trust, cast):
    first = (
        trust.objectives.get(number=1).aims.order_by("position")[0].actions.order_by("position")[0]
    )
    assert not first.kpis.filter(code="4.13").exists()
    small = _apply_queries(trust, cast, 3)  # adds 4.13 to the first action
    first.kpis.remove(KPI.objects.get(code="4.13"))  # so the next sheet makes the same change
    large = _apply_queries(trust, cast, 25)
    assert large == small
