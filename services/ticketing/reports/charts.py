"""The report page's charts as SVG text, drawn on the server: pure functions, no I/O.

MPP networks are often offline and the pages allow only 'self' (no inline style), so the
charts use no script, no CSS and no web font: presentation attributes only (fill, stroke,
font-size), and a viewBox so they scale to the page's width.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from xml.sax.saxutils import escape, quoteattr

from services.ticketing.reports.numbers import count, percent

FONT = "Noto Sans, Segoe UI, Roboto, Helvetica, Arial, sans-serif"
INK = "#14212b"
MUTED = "#52606d"
GRID = "#d5dee5"
BRAND = "#0b5d7a"
ACCENT = "#f2a900"
OK = "#1e7d32"
WARN = "#b45309"
BAD = "#b91c1c"

WEEKDAYS_ID = ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min")  # ISO 1..7
MONTHS_ID = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def _text(x: float, y: float, content: str, **attrs: object) -> str:
    base: dict[str, object] = {"font-size": 12, "fill": INK}
    base.update({k.replace("_", "-"): v for k, v in attrs.items()})
    extra = " ".join(f"{k}={quoteattr(str(v))}" for k, v in base.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" {extra}>{escape(content)}</text>'


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label={quoteattr(title)} '
        f"font-family={quoteattr(FONT)}>"
        f"<title>{escape(title)}</title>"
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>'
        + "".join(body)
        + "</svg>"
    )


def _empty(width: int, height: int, title: str, message: str) -> str:
    return _svg(
        width,
        height,
        title,
        [
            _text(16, 24, title, font_size=15, font_weight="bold"),
            _text(width / 2, height / 2, message, text_anchor="middle", fill=MUTED, font_size=14),
        ],
    )


def _mix(share: float) -> str:
    """A colour from very light (0) to the brand's dark blue (1)."""
    share = min(1.0, max(0.0, share))
    light, dark = (0xE6, 0xF1, 0xF5), (0x07, 0x44, 0x5A)
    rgb = (round(a + (b - a) * share) for a, b in zip(light, dark, strict=True))
    return "#" + "".join(f"{c:02x}" for c in rgb)


def heatmap(cells: Mapping[tuple[int, int], int], title: str = "Kedatangan per jam × hari") -> str:
    """Arrivals by (ISO weekday 1–7, local hour 0–23): a grid of shaded cells with counts.

    Only the hours with arrivals are drawn (at least 07–16), so a day's opening hours
    fill the width."""
    width = 960
    hours_seen = [h for (_, h), n in cells.items() if n > 0]
    if not hours_seen:
        return _empty(width, 200, title, "Belum ada data pada periode ini")
    first, last = min([*hours_seen, 7]), max([*hours_seen, 16])
    hours = list(range(first, last + 1))
    left, top, cell_h = 56, 44, 34
    cell_w = (width - left - 16) / len(hours)
    height = top + cell_h * 7 + 48
    peak = max(cells.values())
    body = [_text(16, 24, title, font_size=15, font_weight="bold")]
    for row, name in enumerate(WEEKDAYS_ID):
        y = top + row * cell_h
        body.append(_text(left - 10, y + cell_h / 2 + 4, name, text_anchor="end", fill=MUTED))
        for col, hour in enumerate(hours):
            n = cells.get((row + 1, hour), 0)
            x = left + col * cell_w
            share = n / peak if peak else 0.0
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell_w - 2:.1f}" height="{cell_h - 2}" '
                f'rx="3" fill="{_mix(share) if n else "#f4f7f9"}">'
                f"<title>{escape(f'{name} {hour:02d}.00: {n}')}</title></rect>"
            )
            if n and cell_w >= 30:
                body.append(
                    _text(
                        x + (cell_w - 2) / 2,
                        y + cell_h / 2 + 3,
                        str(n),
                        text_anchor="middle",
                        font_size=11,
                        fill="#ffffff" if share > 0.5 else INK,
                    )
                )
    label_y = top + 7 * cell_h + 16
    for col, hour in enumerate(hours):
        x = left + col * cell_w + (cell_w - 2) / 2
        body.append(_text(x, label_y, f"{hour:02d}", text_anchor="middle", fill=MUTED))
    body.append(
        _text(width / 2, label_y + 22, "jam (waktu setempat)", text_anchor="middle", fill=MUTED)
    )
    return _svg(width, height, title, body)


def _nice_step(top: float, ticks: int = 5) -> float:
    raw = top / ticks
    for step in (1, 2, 5, 10, 15, 20, 30, 60, 120, 240):
        if step >= raw:
            return float(step)
    return float(round(raw))


def _day_label(day: date, span_days: int) -> str:
    if span_days > 62:
        return f"{MONTHS_ID[day.month - 1]} {day.year % 100:02d}"
    return f"{day.day} {MONTHS_ID[day.month - 1]}"


def wait_trend(
    points: Sequence[tuple[date, float | None, float | None]],
    title: str = "Rata-rata dan P90 waktu tunggu per hari (menit)",
) -> str:
    """(day, mean wait s, p90 wait s) per day → two lines, in minutes."""
    width, height = 960, 320
    values = [(d, m, p) for d, m, p in points if m is not None]
    if not values:
        return _empty(width, height, title, "Belum ada data pada periode ini")
    left, right, top, bottom = 56, 16, 44, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = max(max(m or 0, p or 0) for _, m, p in values) / 60
    step = _nice_step(max(top_value, 1.0))
    y_max = step * max(1, -(-top_value // step))
    first, last = values[0][0], values[-1][0]
    span = max(1, (last - first).days)

    def x_of(day: date) -> float:
        return left + plot_w * ((day - first).days / span if span else 0.5)

    def y_of(seconds: float) -> float:
        return top + plot_h * (1 - (seconds / 60) / y_max)

    body = [_text(16, 24, title, font_size=15, font_weight="bold")]
    tick = 0.0
    while tick <= y_max + 1e-9:
        y = top + plot_h * (1 - tick / y_max)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(_text(left - 8, y + 4, f"{tick:g}", text_anchor="end", fill=MUTED))
        tick += step
    labels = min(len(values), 10)
    for i in range(labels):
        day = values[round(i * (len(values) - 1) / max(1, labels - 1))][0]
        body.append(
            _text(
                x_of(day),
                height - bottom + 18,
                _day_label(day, span),
                text_anchor="middle",
                fill=MUTED,
            )
        )
    for index, colour in ((2, ACCENT), (1, BRAND)):
        pts = [(x_of(v[0]), y_of(v[index])) for v in values if v[index] is not None]  # type: ignore[arg-type]
        if len(pts) == 1:
            x, y = pts[0]
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>')
        else:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5" '
                f'stroke-linejoin="round"/>'
            )
        if len(values) <= 62:
            body.extend(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in pts
            )
    legend_y = height - 14
    body.append(f'<rect x="{left}" y="{legend_y - 10}" width="14" height="4" fill="{BRAND}"/>')
    body.append(_text(left + 20, legend_y, "Rata-rata", fill=INK))
    body.append(
        f'<rect x="{left + 110}" y="{legend_y - 10}" width="14" height="4" fill="{ACCENT}"/>'
    )
    body.append(_text(left + 130, legend_y, "P90", fill=INK))
    return _svg(width, height, title, body)


def sla_bars(
    rows: Sequence[tuple[str, float | None, int]],
    title: str = "Dilayani sesuai standar waktu, per instansi",
) -> str:
    """(agency name, share 0–1 or None, tickets served) → horizontal bars with percentages."""
    width = 960
    if not rows:
        return _empty(width, 160, title, "Belum ada data pada periode ini")
    left, right, top, bar_h = 240, 120, 44, 30
    plot_w = width - left - right
    height = top + bar_h * len(rows) + 40
    body = [_text(16, 24, title, font_size=15, font_weight="bold")]
    for pct in (0, 25, 50, 75, 100):
        x = left + plot_w * pct / 100
        body.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{top + bar_h * len(rows)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(
            _text(x, top + bar_h * len(rows) + 18, f"{pct}%", text_anchor="middle", fill=MUTED)
        )
    for i, (name, share, served) in enumerate(rows):
        y = top + i * bar_h
        label = name if len(name) <= 32 else name[:31] + "…"
        body.append(_text(left - 10, y + bar_h / 2 + 4, label, text_anchor="end"))
        if share is None:
            body.append(_text(left + 6, y + bar_h / 2 + 4, "belum ada layanan", fill=MUTED))
            continue
        colour = OK if share >= 0.8 else WARN if share >= 0.6 else BAD
        w = max(1.0, plot_w * share)
        said = f"{percent(share)} dari {count(served)}"
        body.append(
            f'<rect x="{left}" y="{y + 5}" width="{w:.1f}" height="{bar_h - 10}" rx="3" '
            f'fill="{colour}"><title>{escape(f"{name}: {said}")}</title></rect>'
        )
        body.append(
            _text(
                left + w + 8,
                y + bar_h / 2 + 4,
                said,
                fill=INK,
            )
        )
    return _svg(width, height, title, body)
