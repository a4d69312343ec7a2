"""Reading board.charts' inline SVG in tests (shared by the chart tests)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from board import charts

SVG = "{http://www.w3.org/2000/svg}"

_DOT = re.compile(r"M(-?[\d.]+),(-?[\d.]+)a")


def parse(svg: str) -> ET.Element:
    """The chart is well-formed XML on its own (WeasyPrint and the browser both parse it)."""
    return ET.fromstring(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def circles(root: ET.Element) -> list[tuple[float, float]]:
    """The centre of each point's dot, left to right (the dots of one rating are one path of
    circles: M at the left edge, two arcs)."""
    return sorted(
        (float(x) + charts.DOT_R, float(y))
        for path in root.iter(f"{SVG}path")
        if "chart-point" in (path.get("class") or "")
        for x, y in _DOT.findall(path.get("d"))
    )
