"""Parsing of the references a plan's cells hold: KPI lists and owner lists.

Pure functions (no ORM) shared by the seed loader, the plan edit forms and the workbook import.
Real plans write "1.1-1.9", "1.1 -1.9", "4.9–4.11", "4.13  4.1", "4.12 4.13", "4.5, 4.6";
and owners "TBR and NLI", "NLI and JIN", "Trust Board and LGB", "LGB  Trust sub-committees",
where an owner's own name may contain "and" or a comma ("Behaviour, attendance and
safeguarding sub committee"). So owner lists are matched against the known owners, longest
name first, and only what is left over is split on separators.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping

_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "−": "-"})
_CODE = r"(\d{1,2})\.(\d{1,3})"
_KPI_TOKEN = re.compile(rf"{_CODE}(?:\s*(?:-|\bto\b)\s*{_CODE})?", re.IGNORECASE)
_KPI_SEPARATORS = re.compile(r"(?:[\s,;/&+]|\band\b)+", re.IGNORECASE)
_OWNER_SEPARATORS = re.compile(r"(?:[\s,;/&+]|\band\b)+", re.IGNORECASE)


class ReferenceError(ValueError):
    """A reference cell that cannot be read; the message says which part and why."""


def parse_kpi_codes(text: str | None) -> list[str]:
    """Read a KPI reference cell into KPI codes, in order, without duplicates.

    >>> parse_kpi_codes("1.1 -1.9")[-1], len(parse_kpi_codes("1.1 -1.9"))
    ('1.9', 9)
    >>> parse_kpi_codes("4.13  4.1")
    ['4.13', '4.1']
    """
    text = (text or "").translate(_DASHES).strip()
    codes: list[str] = []
    position = 0
    while position < len(text):
        separator = _KPI_SEPARATORS.match(text, position)
        if separator:
            position = separator.end()
            continue
        token = _KPI_TOKEN.match(text, position)
        if not token:
            rest = text[position:].split()[0]
            raise ReferenceError(f"“{rest}” is not a KPI code (expected codes like 1.1 or 1.1-1.9)")
        area, first, end_area, last = token.group(1, 2, 3, 4)
        if end_area is None:
            found = [f"{int(area)}.{int(first)}"]
        else:
            if end_area != area:
                raise ReferenceError(
                    f"“{token.group(0)}” spans two areas; write each area's KPIs separately"
                )
            if int(last) < int(first):
                raise ReferenceError(f"“{token.group(0)}” runs backwards")
            found = [f"{int(area)}.{minor}" for minor in range(int(first), int(last) + 1)]
        for code in found:
            if code not in codes:
                codes.append(code)
        position = token.end()
    return codes


def format_kpi_codes(codes: Iterable[str]) -> str:
    """The inverse of parse_kpi_codes: consecutive codes of an area become a range.

    >>> format_kpi_codes(["1.1", "1.2", "1.3", "4.13", "4.1"])
    '1.1-1.3 4.1 4.13'
    """
    keyed = sorted({_code_key(code) for code in codes})
    parts: list[str] = []
    index = 0
    while index < len(keyed):
        area, start = keyed[index]
        end = start
        while index + 1 < len(keyed) and keyed[index + 1] == (area, end + 1):
            index += 1
            end += 1
        if end - start >= 2:
            parts.append(f"{area}.{start}-{area}.{end}")
        else:
            parts.extend(f"{area}.{minor}" for minor in range(start, end + 1))
        index += 1
    return " ".join(parts)


def _code_key(code: str) -> tuple[int, int]:
    area, minor = code.split(".")
    return int(area), int(minor)


def parse_owner_codes(text: str | None, known: Mapping[str, str]) -> list[str]:
    """Read an owner cell ("TBR and NLI") into owner codes.

    ``known`` maps every spelling that names an owner — its code and its name — to its code.
    Matching ignores case and runs of spaces. Raises ReferenceError naming each unknown part,
    with the closest known owner when there is one.
    """
    text = " ".join((text or "").split())
    lookup = {" ".join(key.split()).casefold(): code for key, code in known.items() if key.strip()}
    # Longest first, so "Trust Board" wins over "Trust" and a name containing "and" stays whole.
    spellings = sorted(lookup, key=len, reverse=True)
    folded = text.casefold()
    codes: list[str] = []
    unknown: list[str] = []
    position = 0
    while position < len(text):
        separator = _OWNER_SEPARATORS.match(text, position)
        if separator:
            position = separator.end()
            continue
        for spelling in spellings:
            end = position + len(spelling)
            if folded.startswith(spelling, position) and (
                end == len(text) or not text[end].isalnum()
            ):
                if lookup[spelling] not in codes:
                    codes.append(lookup[spelling])
                position = end
                break
        else:
            next_separator = _OWNER_SEPARATORS.search(text, position)
            end = next_separator.start() if next_separator else len(text)
            unknown.append(text[position:end])
            position = end
    if unknown:
        raise ReferenceError("; ".join(_unknown_owner_message(part, known) for part in unknown))
    return codes


def _unknown_owner_message(part: str, known: Mapping[str, str]) -> str:
    message = f"“{part}” is not a known owner"
    close = difflib.get_close_matches(part.casefold(), [k.casefold() for k in known], n=1)
    if close:
        original = next(k for k in known if k.casefold() == close[0])
        message += f" (did you mean “{original}”?)"
    return message


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to ``word``, ignoring case, or None."""
    choices = list(choices)
    folded = {choice.casefold(): choice for choice in choices}
    close = difflib.get_close_matches(word.casefold().strip(), list(folded), n=1, cutoff=0.6)
    return folded[close[0]] if close else None


_STRONG_OWNER_SEPARATORS = re.compile(r"\s*(?:[,;/&+]|\band\b|\s{2,})\s*", re.IGNORECASE)
_OWNER_CODE = re.compile(r"[A-Z][A-Z0-9]{1,5}")
_BODY_WORDS = re.compile(
    r"\b(boards?|(?:sub[- ]?)?committees?|governors?|governing|lgbs?|trustees?|members)\b",
    re.IGNORECASE,
)


def split_owner_text(text: str | None, known: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """An owner cell read as parse_owner_codes reads it, but keeping what it does not know:
    (known owners' codes, unknown parts). An unknown part runs to the next comma, semicolon,
    slash, "and", run of spaces or known owner, so a new body's name ("Head of School") stays
    whole; a part made only of initials ("ABC DEF") is one owner per word."""
    text = (text or "").strip()
    lookup = {" ".join(key.split()).casefold(): code for key, code in known.items() if key.strip()}
    spellings = sorted(lookup, key=len, reverse=True)
    folded = text.casefold()
    codes: list[str] = []
    unknown: list[str] = []
    pending = ""

    def flush() -> None:
        nonlocal pending
        part = pending.strip(" ,;/&+")
        pending = ""
        if not part:
            return
        words = part.split()
        found = words if all(_OWNER_CODE.fullmatch(w) for w in words) else [part]
        unknown.extend(word for word in found if word not in unknown)

    position = 0
    while position < len(text):
        separator = _STRONG_OWNER_SEPARATORS.match(text, position)
        if separator and separator.end() > position:
            flush()
            position = separator.end()
            continue
        at_word = position == 0 or not text[position - 1].isalnum()
        for spelling in spellings if at_word else ():
            end = position + len(spelling)
            if folded.startswith(spelling, position) and (
                end == len(text) or not text[end].isalnum()
            ):
                flush()
                if lookup[spelling] not in codes:
                    codes.append(lookup[spelling])
                position = end
                break
        else:
            pending += text[position]
            position += 1
    flush()
    return codes, unknown


def new_owner_for(part: str, taken: Iterable[str]) -> tuple[str, str, str]:
    """(code, name, kind) of the owner an unknown part would be created as: initials such as
    "ABC" are a person's code; a longer name is kept as the name, its code the name itself
    when it fits (20 characters) or else its initials, made unique against ``taken``."""
    taken_folded = {code.casefold() for code in taken}
    kind = "body" if _BODY_WORDS.search(part) else "person"
    if _OWNER_CODE.fullmatch(part):
        return part, "", kind
    name = part
    if len(part) <= 20:
        code = part
    else:
        code = "".join(word[0] for word in re.findall(r"[A-Za-z0-9]+", part)).upper()[:16] or "OWN"
        if kind == "person":
            kind = "team"
    base, suffix = code, 2
    while code.casefold() in taken_folded:
        code = f"{base[:17]}{suffix}"
        suffix += 1
    return code, name, kind
