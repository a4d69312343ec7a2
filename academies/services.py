"""Writes that set up the organisation: academies and owners from a fixture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction

from academies.models import Academy, Owner

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"


def read_fixture(name: str | Path) -> dict[str, Any]:
    """Read a YAML fixture by file name (in fixtures/) or path."""
    path = Path(name)
    if not path.is_absolute() and not path.exists():
        path = FIXTURES_DIR / path
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@transaction.atomic
def load_organisation(*, data: dict[str, Any]) -> tuple[list[Academy], list[Owner]]:
    """Create or update the fixture's academies (by slug) and owners (by code). Idempotent."""
    academies = []
    for position, row in enumerate(data.get("academies", []), start=1):
        fields = {key: value for key, value in row.items() if key != "slug"}
        fields.setdefault("position", position)
        academy, _ = Academy.objects.update_or_create(slug=row["slug"], defaults=fields)
        academies.append(academy)
    owners = []
    for row in data.get("owners", []):
        owner, _ = Owner.objects.update_or_create(
            code=row["code"],
            defaults={"name": row.get("name", ""), "kind": row.get("kind", "person")},
        )
        owners.append(owner)
    return academies, owners


def owner_lookup() -> dict[str, str]:
    """Every spelling that names an owner (its code and its name) → its code."""
    lookup: dict[str, str] = {}
    for code, name in Owner.objects.values_list("code", "name"):
        lookup[code] = code
        if name:
            lookup[name] = code
    return lookup
