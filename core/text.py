"""Text written into spreadsheets (exports, the admin's exports): never run as a formula."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\x00")


def safe_text(value: object) -> object:
    """Text that a spreadsheet program would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
