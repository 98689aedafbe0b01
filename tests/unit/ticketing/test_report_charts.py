"""The report's SVG charts are well-formed XML, scale by viewBox, escape their labels and
use no script or style (the page's CSP allows neither inline)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

from services.ticketing.reports import charts

NS = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    assert root.get("viewBox", "").startswith("0 0 ")
    assert root.find(f"{NS}title") is not None
    for node in root.iter():
        assert node.tag not in (f"{NS}script", f"{NS}style", f"{NS}foreignObject")
        assert "style" not in node.attrib
        assert not any(k.startswith("on") for k in node.attrib)
    return root


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{NS}text")]


def test_heatmap_draws_seven_days_by_the_opening_hours() -> None:
    cells = {(1, 8): 10, (1, 9): 40, (5, 14): 25, (6, 10): 3}
    root = _parse(charts.heatmap(cells))
    rects = [r for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]
    assert len(rects) == 7 * len(range(7, 17))  # hours 07–16 at least
    texts = _texts(root)
    assert {"Sen", "Min", "07", "16", "40"} <= set(texts)
    peak = next(r for r in rects if (r.findtext(f"{NS}title") or "").startswith("Sen 09.00"))
    assert peak.get("fill") == "#07445a"  # the busiest cell is the darkest


def test_heatmap_without_data_says_so() -> None:
    assert "Belum ada data" in "".join(_texts(_parse(charts.heatmap({}))))


def test_wait_trend_has_two_lines_over_a_year() -> None:
    first = date(2025, 1, 1)
    points = [(first + timedelta(days=i), 300.0 + i, 900.0 + 2 * i) for i in range(365)]
    root = _parse(charts.wait_trend(points))
    lines = list(root.iter(f"{NS}polyline"))
    assert len(lines) == 2
    assert all(len((p.get("points") or "").split()) == 365 for p in lines)
    assert "Jan 25" in _texts(root)


def test_wait_trend_of_a_single_day_and_of_nothing() -> None:
    root = _parse(charts.wait_trend([(date(2025, 3, 3), 120.0, None)]))
    assert list(root.iter(f"{NS}circle"))
    assert "Belum ada data" in "".join(_texts(_parse(charts.wait_trend([]))))


def test_sla_bars_escape_names_and_show_percentages() -> None:
    rows = [("Disdukcapil <Uji> & Co", 0.925, 40), ("Samsat", 0.5, 10), ("BPN", None, 0)]
    svg = charts.sla_bars(rows)
    root = _parse(svg)
    texts = _texts(root)
    assert "Disdukcapil <Uji> & Co" in texts
    assert "92,5% dari 40" in texts
    assert "belum ada layanan" in texts
    bars = [r for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]
    assert [b.get("fill") for b in bars] == [charts.OK, charts.BAD]
