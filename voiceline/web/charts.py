"""Charts drawn on the server as SVG: no script, no CDN, nothing for the browser to fetch.

Each chart is an image with a title and a description (``role="img"``), and the page puts
the same figures in a table beside it, which is the text alternative. Colours keep 3:1
contrast against white (WCAG 2.1 non-text contrast), and the two series differ in shape
too (a solid and a hatched bar), not only in colour.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup
from markupsafe import escape as _escape

WIDTH, HEIGHT = 720, 240
LEFT, BOTTOM, TOP = 44, 28, 12
COLOURS = ("#1f5fa8", "#a34700")  # 6.3:1 and 5.9:1 against white


def escape(text: str) -> str:
    """Escaped, as a plain string: a Markup would escape the tags it is added to."""
    return str(_escape(text))


def daily_bars(daily: Sequence[dict[str, object]], *series: tuple[str, str]) -> Markup:
    """Bars per day for each (column, name) of ``series``."""
    days = len(daily)
    values = [[int(str(row[column])) for row in daily] for column, _ in series]
    top = max([1, *(v for column in values for v in column)])
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(days, 1)
    bar = max(slot * 0.8 / max(len(series), 1), 0.5)
    parts: list[str] = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        'aria-labelledby="chart-title" aria-describedby="chart-desc" xmlns="http://www.w3.org/2000/svg">',
        '<title id="chart-title">' + escape(" and ".join(n for _, n in series)) + " per day"
        "</title>",
        '<desc id="chart-desc">' + escape(_describe(daily, values, series)) + "</desc>",
        '<defs><pattern id="hatch" width="4" height="4" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="4" height="4" fill="{COLOURS[1]}"/>'
        '<line x1="0" y1="0" x2="0" y2="4" stroke="#fff" stroke-width="1.2"/></pattern></defs>',
    ]
    for tick in _ticks(top):
        y = TOP + plot_h - plot_h * tick / top
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#767676" stroke-width="0.5"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
                     f'font-size="12" fill="#222">{tick}</text>')
    for index, column in enumerate(values):
        fill = COLOURS[0] if index == 0 else "url(#hatch)"
        for day, value in enumerate(column):
            if not value:
                continue
            h = plot_h * value / top
            x = LEFT + day * slot + slot * 0.1 + index * bar
            parts.append(f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" '
                         f'height="{h:.1f}" fill="{fill}"/>')
    for day in _label_days(days):
        x = LEFT + day * slot + slot / 2
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="12" '
                     f'fill="#222">{escape(str(daily[day]["day"])[5:])}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - 8}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" '
                 'stroke="#222"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _describe(daily: Sequence[dict[str, object]], values: list[list[int]],
              series: Sequence[tuple[str, str]]) -> str:
    if not daily:
        return "No days."
    totals = ", ".join(f"{sum(v)} {name.lower()}" for v, (_, name) in zip(values, series,
                                                                           strict=True))
    return (f"From {daily[0]['day']} to {daily[-1]['day']}: {totals}. "
            "The table below gives each day's figures.")


def _ticks(top: int) -> list[int]:
    step = max(1, _nice(top / 4))
    return list(range(0, top + 1, step))


def _nice(value: float) -> int:
    for size in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000,
                 20000, 50000, 100000):
        if size >= value:
            return size
    return int(value)


def _label_days(days: int) -> list[int]:
    """At most about eight date labels, evenly spread."""
    if days <= 0:
        return []
    every = max(1, -(-days // 8))
    return list(range(0, days, every))
