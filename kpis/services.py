"""Writes to the KPI framework (areas, KPIs, academy targets).

Every write of values and of a return's status is in kpis.returns, the one return lifecycle.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from academies.models import Academy
from kpis.models import KPI, AcademyTarget, Area


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@transaction.atomic
def load_framework(*, data: dict[str, Any]) -> list[KPI]:
    """Create or update the fixture's areas and KPIs (by code) and academy targets. Idempotent."""
    kpis = []
    for area_row in data["areas"]:
        area, _ = Area.objects.update_or_create(
            number=area_row["number"], defaults={"name": area_row["name"]}
        )
        for kpi_row in area_row["kpis"]:
            rule = kpi_row.get("rule", {})
            code = str(kpi_row["code"])
            kpi, _ = KPI.objects.update_or_create(
                code=code,
                defaults={
                    "area": area,
                    "position": int(code.split(".")[1]),
                    # Pages show the display name where the fixture gives one; the seed's
                    # wording is kept beside it.
                    "name": kpi_row.get("display_name") or kpi_row["name"],
                    "seed_name": kpi_row["name"] if kpi_row.get("display_name") else "",
                    "description": kpi_row.get("description", ""),
                    "measure": rule.get("measure", "number"),
                    "direction": rule.get("direction", "higher"),
                    "unit": rule.get("unit", ""),
                    "target_kind": rule.get("target", "none"),
                    "target_value": _decimal(rule.get("value")),
                    "amber_margin": _decimal(rule.get("amber", 0)),
                    "baseline_year": rule.get("baseline_year"),
                    "trust_target_value": _decimal(rule.get("trust_target")),
                    "aggregation": rule.get("aggregation", "mean"),
                    "phases": rule.get("phases", []),
                    "frequency": rule.get("frequency", "termly"),
                    "inspection_rule": rule.get("inspection", ""),
                    "inspection_area": rule.get("area", ""),
                    # The DfE column its values come from (spreadsheets.dfe, import_dfe).
                    "dfe_source": kpi_row.get("dfe", ""),
                    "dfe_transform": kpi_row.get("dfe_transform", ""),
                },
            )
            kpi.full_clean()
            kpis.append(kpi)
    academies = {academy.slug: academy for academy in Academy.objects.all()}
    by_code = {kpi.code: kpi for kpi in kpis}
    for row in data.get("academy_targets", []):
        AcademyTarget.objects.update_or_create(
            kpi=by_code[str(row["kpi"])],
            academy=academies[row["academy"]],
            defaults={
                "target_value": _decimal(row["value"]),
                "amber_margin": _decimal(row.get("amber")),
            },
        )
    return kpis
