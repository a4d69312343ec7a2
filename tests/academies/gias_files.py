"""GIAS files in the layouts the DfE publishes, for tests (and the bench): the establishment
fields CSV (edubasealldataYYYYMMDD.csv: Windows-1252, every field quoted, dates dd-mm-yyyy,
CRLF line ends) and the academies and trusts links file.

The establishment header is a subset of the published one (which has some 140 columns), with
the real names in the real order: the columns trustplan reads and their neighbours.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

HEADER = [
    "URN",
    "LA (code)",
    "LA (name)",
    "EstablishmentNumber",
    "EstablishmentName",
    "TypeOfEstablishment (code)",
    "TypeOfEstablishment (name)",
    "EstablishmentTypeGroup (code)",
    "EstablishmentTypeGroup (name)",
    "EstablishmentStatus (code)",
    "EstablishmentStatus (name)",
    "ReasonEstablishmentOpened (code)",
    "ReasonEstablishmentOpened (name)",
    "OpenDate",
    "ReasonEstablishmentClosed (code)",
    "ReasonEstablishmentClosed (name)",
    "CloseDate",
    "PhaseOfEducation (code)",
    "PhaseOfEducation (name)",
    "StatutoryLowAge",
    "StatutoryHighAge",
    "Boarders (code)",
    "Boarders (name)",
    "NurseryProvision (name)",
    "OfficialSixthForm (code)",
    "OfficialSixthForm (name)",
    "Gender (code)",
    "Gender (name)",
    "ReligiousCharacter (code)",
    "ReligiousCharacter (name)",
    "SchoolCapacity",
    "CensusDate",
    "NumberOfPupils",
    "NumberOfBoys",
    "NumberOfGirls",
    "PercentageFSM",
    "TrustSchoolFlag (code)",
    "TrustSchoolFlag (name)",
    "Trusts (code)",
    "Trusts (name)",
    "SchoolSponsorFlag (name)",
    "SchoolSponsors (name)",
    "FederationFlag (name)",
    "Federations (code)",
    "Federations (name)",
    "UKPRN",
    "LastChangedDate",
    "Street",
    "Town",
    "Postcode",
]

TYPES = {  # TypeOfEstablishment (name) → (its code, group code, group name)
    "Academy converter": ("34", "10", "Academies"),
    "Academy sponsor led": ("28", "10", "Academies"),
    "Academy special converter": ("44", "10", "Academies"),
    "Academy special sponsor led": ("33", "10", "Academies"),
    "Academy 16-19 converter": ("45", "10", "Academies"),
    "Academy 16 to 19 sponsor led": ("46", "10", "Academies"),
    "Academy alternative provision converter": ("42", "10", "Academies"),
    "Free schools": ("35", "11", "Free Schools"),
    "Free schools special": ("36", "11", "Free Schools"),
    "Community school": ("1", "4", "Local authority maintained schools"),
    "Foundation school": ("5", "4", "Local authority maintained schools"),
}
STATUS_CODES = {"Open": "1", "Closed": "2", "Open, but proposed to close": "3"}
STATUS_CODES["Proposed to open"] = "4"
PHASE_CODES = {"Not applicable": "0", "Nursery": "1", "Primary": "2", "Secondary": "4"}
PHASE_CODES.update({"16 plus": "5", "All-through": "7", "Middle deemed secondary": "3"})


def school(
    urn: str,
    name: str,
    *,
    trust: str = "",
    kind: str = "Academy converter",
    status: str = "Open",
    phase: str = "Secondary",
    pupils: str = "",
    opened: str = "01-09-2013",
    closed: str = "",
    trust_code: str = "",
) -> dict[str, str]:
    """One row, by column name (every other column as GIAS fills it, or blank)."""
    type_code, group_code, group = TYPES.get(kind, ("27", "9", "Other types"))
    in_trust = bool(trust)
    return {
        "URN": urn,
        "LA (code)": "336",
        "LA (name)": "Wolverhampton",
        "EstablishmentNumber": str(4000 + int(urn) % 1000) if urn.isdigit() else "",
        "EstablishmentName": name,
        "TypeOfEstablishment (code)": type_code,
        "TypeOfEstablishment (name)": kind,
        "EstablishmentTypeGroup (code)": group_code,
        "EstablishmentTypeGroup (name)": group,
        "EstablishmentStatus (code)": STATUS_CODES.get(status, ""),
        "EstablishmentStatus (name)": status,
        "ReasonEstablishmentOpened (code)": "10" if "converter" in kind else "00",
        "ReasonEstablishmentOpened (name)": "Academy Converter" if "converter" in kind else "",
        "OpenDate": opened,
        "ReasonEstablishmentClosed (code)": "10" if closed else "00",
        "ReasonEstablishmentClosed (name)": "Academy Converter" if closed else "Not applicable",
        "CloseDate": closed,
        "PhaseOfEducation (code)": PHASE_CODES.get(phase, "9"),
        "PhaseOfEducation (name)": phase,
        "StatutoryLowAge": "11",
        "StatutoryHighAge": "18",
        "Boarders (code)": "1",
        "Boarders (name)": "No boarders",
        "NurseryProvision (name)": "No Nursery Classes",
        "OfficialSixthForm (code)": "1",
        "OfficialSixthForm (name)": "Has a sixth form",
        "Gender (code)": "3",
        "Gender (name)": "Mixed",
        "ReligiousCharacter (code)": "00",
        "ReligiousCharacter (name)": "Does not apply",
        "SchoolCapacity": "1200",
        "CensusDate": "16-01-2025" if pupils else "",
        "NumberOfPupils": pupils,
        "NumberOfBoys": "",
        "NumberOfGirls": "",
        "PercentageFSM": "23.4",
        "TrustSchoolFlag (code)": "5" if in_trust else "0",
        "TrustSchoolFlag (name)": "Supported by a multi-academy trust"
        if in_trust
        else "Not applicable",
        "Trusts (code)": trust_code or ("16429" if in_trust else ""),
        "Trusts (name)": trust,
        "SchoolSponsorFlag (name)": "Not applicable",
        "SchoolSponsors (name)": "",
        "FederationFlag (name)": "Not under a federation",
        "Federations (code)": "",
        "Federations (name)": "",
        "UKPRN": "10012345",
        "LastChangedDate": "05-01-2026",
        "Street": "School Road",
        "Town": "Wolverhampton",
        "Postcode": "WV6 8XX",
    }


def gias_bytes(
    rows: list[dict[str, str]],
    *,
    header: list[str] = HEADER,
    encoding: str = "cp1252",
) -> bytes:
    """The file as GIAS writes it: every field quoted, CRLF, Windows-1252 by default."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return out.getvalue().encode(encoding)


def write_gias(path: Path, rows: list[dict[str, str]], **kwargs) -> Path:
    path.write_bytes(gias_bytes(rows, **kwargs))
    return path


LINKS_HEADER = [
    "URN",
    "EstablishmentName",
    "Group UID",
    "Group ID",
    "Group Name",
    "Group Type",
    "Joined date",
]


def link(urn: str, name: str, group: str, joined: str, kind: str = "Multi-academy trust"):
    return {
        "URN": urn,
        "EstablishmentName": name,
        "Group UID": "16429",
        "Group ID": "TR03456",
        "Group Name": group,
        "Group Type": kind,
        "Joined date": joined,
    }
