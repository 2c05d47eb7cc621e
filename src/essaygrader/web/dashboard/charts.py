"""Charts for the quality page, as inline SVG: no script, no build step, no network.

A confusion matrix becomes a heat map (rows: the points a person gave; columns: the
points predicted; each cell shaded by its share of the row, so a good classifier shows a
dark diagonal), and a score distribution becomes a bar chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from essaygrader.domain.wording import counted

LIGHT = (244, 246, 251)
DARK = (31, 78, 156)


def shade(share: float) -> str:
    """A colour from light (0) to dark blue (1)."""
    share = min(1.0, max(0.0, share))
    r, g, b = (round(lo + (hi - lo) * share) for lo, hi in zip(LIGHT, DARK, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def heat_map(confusion: Mapping[str, Any], *, caption: str) -> Markup:
    """An SVG heat map of ``{"labels": [points...], "matrix": [[count...]]}``.

    Rows are the points people gave, columns the points predicted. Anything malformed
    yields a short note instead of a chart.
    """
    labels = list(confusion.get("labels") or [])
    n = len(labels)
    try:
        matrix = [[int(count) for count in row] for row in confusion.get("matrix") or []]
    except (TypeError, ValueError):
        matrix = []
    if not n or len(matrix) != n or any(len(row) != n for row in matrix):
        return Markup('<p class="muted">confusion matrix not recorded</p>')
    cell = max(20, min(44, 360 // n))
    left, top = 70, 46
    width, height = left + n * cell + 10, top + n * cell + 10
    parts = [
        f'<svg class="chart heat-map" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(caption)}</title>",
        f'<text x="{left + n * cell / 2}" y="12" text-anchor="middle" class="axis">'
        "predicted points</text>",
        f'<text x="12" y="{top + n * cell / 2}" text-anchor="middle" class="axis" '
        f'transform="rotate(-90 12 {top + n * cell / 2})">human points</text>',
    ]
    for j, label in enumerate(labels):
        parts.append(
            f'<text x="{left + j * cell + cell / 2}" y="{top - 8}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    for i, (label, row) in enumerate(zip(labels, matrix, strict=True)):
        y = top + i * cell
        parts.append(
            f'<text x="{left - 8}" y="{y + cell / 2 + 4}" text-anchor="end">{escape(label)}</text>'
        )
        total = sum(row) or 1
        for j, count in enumerate(row):
            share = count / total
            x = left + j * cell
            ink = "#ffffff" if share > 0.5 else "#1b1f24"
            parts.append(
                f'<g class="cell"><rect x="{x}" y="{y}" width="{cell}" height="{cell}" '
                f'fill="{shade(share)}" stroke="#ffffff"><title>human {escape(label)}, '
                f"predicted {escape(labels[j])}: {int(count)} of {int(sum(row))}</title></rect>"
                f'<text x="{x + cell / 2}" y="{y + cell / 2 + 4}" text-anchor="middle" '
                f'fill="{ink}">{int(count)}</text></g>'
            )
    parts.append("</svg>")
    # Every text above went through escape(); the rest are numbers we computed.
    return Markup("".join(parts))  # noqa: S704


def bar_chart(distribution: Mapping[str, Any], *, caption: str) -> Markup:
    """An SVG bar chart of ``{points: count}``, in order of points."""
    try:
        bars: Sequence[tuple[str, int]] = sorted(
            ((str(k), int(v)) for k, v in distribution.items()), key=lambda kv: float(kv[0])
        )
    except (TypeError, ValueError):
        bars = []
    if not bars:
        return Markup('<p class="muted">score distribution not recorded</p>')
    bar, gap, plot = 36, 12, 120
    left, top = 10, 20
    width = left + len(bars) * (bar + gap) + gap
    height = top + plot + 36
    highest = max(count for _, count in bars) or 1
    parts = [
        f'<svg class="chart bar-chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(caption)}</title>",
    ]
    for i, (points, count) in enumerate(bars):
        x = left + gap + i * (bar + gap)
        h = round(plot * count / highest)
        y = top + plot - h
        parts.append(
            f'<g class="bar"><rect x="{x}" y="{y}" width="{bar}" height="{h}" fill="#2f6fd0">'
            f"<title>{counted(count, 'example')} scored {escape(points)} by people"
            "</title></rect>"
            f'<text x="{x + bar / 2}" y="{y - 4}" text-anchor="middle">{count}</text>'
            f'<text x="{x + bar / 2}" y="{top + plot + 16}" text-anchor="middle">'
            f"{escape(points)}</text></g>"
        )
    parts.append(
        f'<text x="{width / 2}" y="{height - 4}" text-anchor="middle" class="axis">'
        "human points</text>"
    )
    parts.append("</svg>")
    # Every text above went through escape(); the rest are numbers we computed.
    return Markup("".join(parts))  # noqa: S704
