"""Imports run one way: core ← academies ← kpis | signin ← plans ← board | spreadsheets | people
← papers ← demo ← trustplan.

`make test` runs import-linter on the source (every `import`, at the top of a module or inside a
function). These tests check what happens at run time too: importing every module of an app, in
a fresh interpreter with Django set up, loads no module of a higher layer nor of its sibling.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = [
    ["core"],
    ["academies"],
    ["kpis", "signin"],
    ["plans"],
    ["board", "spreadsheets", "people"],
    ["papers"],
    ["demo"],
]
APPS = [package for layer in LAYERS for package in layer]

PROBE = """
import importlib, json, pkgutil, sys
import django
django.setup()
before = set(sys.modules)
root = importlib.import_module({package!r})
for info in pkgutil.walk_packages(root.__path__, root.__name__ + "."):
    if ".migrations" not in info.name:
        importlib.import_module(info.name)
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def forbidden_for(package: str) -> set[str]:
    """The apps above the package's layer, and its sibling in the same layer."""
    index = next(i for i, layer in enumerate(LAYERS) if package in layer)
    above = {name for layer in LAYERS[index + 1 :] for name in layer}
    return above | (set(LAYERS[index]) - {package}) | {"trustplan"}


def test_the_layers_contract_is_the_documented_order():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = config["contracts"]
    assert contract["type"] == "layers"
    assert contract["layers"] == [
        "trustplan",
        "demo",
        "papers",
        "board | spreadsheets | people",
        "plans",
        "kpis | signin",
        "academies",
        "core",
    ]
    assert set(config["root_packages"]) == {*APPS, "trustplan"}


@pytest.mark.parametrize("package", APPS)
def test_importing_an_app_loads_nothing_above_it(package):
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(package=package)],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "trustplan.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    # Settings are read by django.setup() before the probe starts; anything else of trustplan
    # (the root URLconf) or of a higher app would be an upward import.
    upward = [name for name in loaded if name.split(".")[0] in forbidden_for(package)]
    assert not upward, f"importing {package} loaded {upward}"
