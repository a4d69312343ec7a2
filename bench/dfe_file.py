"""A generated school-level suspensions file in Explore Education Statistics' layout, for the
bench's `manage.py import_dfe` (bench/run.py, run_dfe).

The published "Suspensions and permanent exclusions in England" school-level file has about
500,000 rows: every state-funded school in England (~22,000) for each term of several years,
with England, its nine regions and its 153 local authorities before the schools of each term.
This file has that shape (seeded, so every run reads the same figures): SCHOOLS schools with
URNs 100001… for each term of YEARS, about one row in 40 suppressed ("c", or "x" for a school
that sent nothing), names with commas quoted as EES quotes them.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

HEADER = [
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "new_la_code",
    "old_la_code",
    "la_name",
    "school_urn",
    "school_laestab",
    "school_name",
    "school_type",
    "headcount",
    "perm_excl",
    "perm_excl_rate",
    "suspension",
    "susp_rate",
    "one_plus_susp",
    "one_plus_susp_rate",
]
SCHOOLS = 21_000
YEARS = range(2011, 2019)  # 2011/12 … 2018/19: 8 years × 3 terms
TERMS = ("Autumn term", "Spring term", "Summer term")
REGIONS = 9
AUTHORITIES = 153
TYPES = ("State-funded primary", "State-funded secondary", "Special")
SCHOOL_TYPES = ("Academy converter", "Academy sponsor led", "Community school", "Free schools")


def urn_of(school: int) -> str:
    """The URN of the file's school number `school` (1 … SCHOOLS)."""
    return str(100_000 + school)


def _figures(rng: random.Random, headcount: int) -> list[str]:
    perm = rng.randint(0, 3) if rng.random() < 0.3 else 0
    suspensions = rng.randint(0, headcount // 8)
    pupils = min(suspensions, rng.randint(0, max(suspensions, 1)))
    return [
        str(headcount),
        str(perm),
        f"{100 * perm / headcount:.2f}",
        str(suspensions),
        f"{100 * suspensions / headcount:.2f}",
        str(pupils),
        f"{100 * pupils / headcount:.2f}",
    ]


def write(path: Path, *, seed: int = 17, rows: int | None = None, years=YEARS) -> int:
    """Write the file (or its first `rows` data rows) of `years`; how many data rows it has."""
    rng = random.Random(seed)
    schools = [
        (
            urn_of(n),
            f"{300 + n % AUTHORITIES}{n % 10_000:04d}",
            f"Bench School {n}, Town {n % 400}" if n % 3 == 0 else f"Bench School {n}",
            SCHOOL_TYPES[n % len(SCHOOL_TYPES)],
            150 + (n * 37) % 1500,
            n % AUTHORITIES,
        )
        for n in range(1, SCHOOLS + 1)
    ]
    written = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(HEADER)
        for year in years:
            period = f"{year}{(year + 1) % 100:02d}"
            for term in TERMS:
                england = [period, term, "National", "E92000001", "England"]
                block = [england + [""] * 8 + [kind] + _figures(rng, 4_000_000) for kind in TYPES]
                block.append(england + [""] * 8 + ["Total"] + _figures(rng, 8_300_000))
                for region in range(REGIONS):
                    code = f"E1200000{region + 1}"
                    block.append(
                        [period, term, "Regional", "E92000001", "England", code, f"Region {region}"]
                        + [""] * 6
                        + ["Total"]
                        + _figures(rng, 900_000)
                    )
                for la in range(AUTHORITIES):
                    block.append(
                        [period, term, "Local authority", "E92000001", "England"]
                        + [f"E1200000{la % REGIONS + 1}", f"Region {la % REGIONS}"]
                        + [f"E0800{la:04d}", str(300 + la), f"Authority {la}", "", "", ""]
                        + ["Total"]
                        + _figures(rng, 50_000)
                    )
                for urn, laestab, name, kind, headcount, la in schools:
                    figures = _figures(rng, headcount)
                    draw = rng.random()
                    if draw < 0.02:
                        figures[1:] = ["c"] * 6
                    elif draw < 0.025:
                        figures = ["x"] * 7
                    block.append(
                        [period, term, "School", "E92000001", "England"]
                        + [f"E1200000{la % REGIONS + 1}", f"Region {la % REGIONS}"]
                        + [f"E0800{la:04d}", str(300 + la), f"Authority {la}"]
                        + [urn, laestab, name, kind]
                        + figures
                    )
                if rows is not None and written + len(block) >= rows:
                    out.writerows(block[: rows - written])
                    return rows
                out.writerows(block)
                written += len(block)
    return written
