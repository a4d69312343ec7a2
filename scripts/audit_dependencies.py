#!/usr/bin/env python3
"""Run pip-audit over the project's environment and fail on any known vulnerability.

pip-audit needs vulnerability data from PyPI's per-release JSON or from OSV. Where neither can
be reached (as on the project's build machines, whose network allows only the package
registries' downloads), pip-audit skips every package: this script then says so plainly rather
than passing in silence, and does not fail the build.
"""

import json
import subprocess
import sys
from pathlib import Path

PIP_AUDIT = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "pip-audit"


def main() -> int:
    result = subprocess.run(
        [str(PIP_AUDIT), "--format", "json", "--progress-spinner", "off"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit did not run: {result.stderr.strip()[-500:]}")
        return 1
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    audited = [d for d in dependencies if "skip_reason" not in d]
    for dependency in vulnerable:
        ids = ", ".join(v["id"] for v in dependency["vulns"])
        print(f"VULNERABLE: {dependency['name']} {dependency['version']}: {ids}")
    print(
        f"pip-audit: {len(dependencies)} packages, {len(audited)} audited, "
        f"{len(vulnerable)} with known vulnerabilities"
    )
    if not audited:
        print(
            "pip-audit: WARNING — no package could be audited: vulnerability data (PyPI JSON "
            "per release, OSV) is out of reach from this machine. Run it where it can reach "
            "them."
        )
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
