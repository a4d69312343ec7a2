"""HTML and print CSS to a tagged PDF, with WeasyPrint.

Every paper is a Django template extending ``papers/base.html`` (the document's language, title,
running header and footer) styled by ``static/trustplan/print.css``; charts are the web pages'
own inline SVG (board.charts). WeasyPrint fetches nothing: the stylesheet is read here and
passed in, and its URL fetcher allows only ``data:`` URLs, so a paper can never make the server
request another address (nor read a local file) whatever text it holds.

``pdf/ua-1`` makes the PDF tagged (a structure tree, /MarkInfo, the document's /Lang and a
/Title shown in the window's title bar), so a screen reader can read it.
"""

from __future__ import annotations

import gc
import threading
import types
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import pydyf
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

PRINT_CSS = "trustplan/print.css"
PDF_VARIANT = "pdf/ua-1"

# pydyf (WeasyPrint's PDF writer) deflates every page's content stream at zlib's level 9, its
# slowest. Level 6, zlib's own default, makes the demo's board pack 3% larger (340 → 352 KB of
# streams) and deflates it in a third of the time (0.18 → 0.05 s of its ~3 s). pydyf has no
# setting for it, so its module-level ``zlib`` is replaced by one whose compressobj uses level 6
# whatever level is asked for; ``zlib.compress`` (used for fonts and images) is zlib's own.
FLATE_LEVEL = 6


def _compressobj(level: int = FLATE_LEVEL, *args, **kwargs):
    return zlib.compressobj(FLATE_LEVEL, *args, **kwargs)


pydyf.zlib = types.SimpleNamespace(
    **{
        **{name: getattr(zlib, name) for name in dir(zlib) if not name.startswith("_")},
        "compressobj": _compressobj,
    }
)


@cache
def _stylesheet() -> CSS:
    path = finders.find(PRINT_CSS)
    if path is None:  # a deployment without the app's static files: fail loudly
        raise FileNotFoundError(f"static file {PRINT_CSS} not found")
    with open(path, encoding="utf-8") as handle:
        return CSS(string=handle.read(), url_fetcher=_fetcher())


_fonts = threading.local()


def _font_config() -> FontConfiguration:
    """This thread's font configuration, kept from paper to paper.

    Left to itself, WeasyPrint makes a new one (a new Pango font map) for every document, so each
    paper starts with cold font caches: fonts found again, glyphs measured again. Keeping one per
    thread (a Pango font map is not thread-safe) makes every paper after a process's first about
    7% faster and byte-identical (the demo's board pack, same process, alternately). The print
    stylesheet has no @font-face rule, so nothing a paper loads is kept in it."""
    config = getattr(_fonts, "config", None)
    if config is None:
        config = _fonts.config = FontConfiguration()
    return config


def _fetcher() -> URLFetcher:
    """A fetcher for data: URLs only (no http, https, ftp or file)."""
    return URLFetcher(allowed_protocols={"data"})


@contextmanager
def _no_cyclic_collection() -> Iterator[None]:
    """Python's cyclic garbage collector paused while WeasyPrint lays out and draws.

    A paper makes hundreds of thousands of boxes that all live until the PDF is written, and
    the collector walked them again and again: a third of the time of every paper (the demo's
    board pack 3.3 → 2.2 s, 40 academies' 47 → 30 s, for 3% more peak memory). Reference
    counting still frees everything as usual; the collector resumes afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def html_to_pdf(html: str) -> bytes:
    """A tagged PDF of ``html`` (a whole document) with the print stylesheet."""
    with _no_cyclic_collection():
        document = HTML(string=html, url_fetcher=_fetcher())
        return document.write_pdf(
            stylesheets=[_stylesheet()], pdf_variant=PDF_VARIANT, font_config=_font_config()
        )


def html_to_pdf_and_pages(html: str) -> tuple[bytes, int]:
    """html_to_pdf, and how many pages it has (the board pack command reports them)."""
    options = {
        "stylesheets": [_stylesheet()],
        "pdf_variant": PDF_VARIANT,
        "font_config": _font_config(),
    }
    with _no_cyclic_collection():
        document = HTML(string=html, url_fetcher=_fetcher()).render(**options)
        return document.write_pdf(pdf_variant=PDF_VARIANT), len(document.pages)


def render_pdf(template_name: str, context: dict) -> bytes:
    """The template rendered with ``context`` (no request: a paper is the same for anyone whose
    scope it was made for), as a tagged PDF."""
    return html_to_pdf(render_to_string(template_name, context))
