"""Server-side SVG charts: identical in the HTML view and the PDF, no JavaScript.

Every function returns safe markup; every text that reaches the SVG is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BRAND = "#1f6f8b"
BRAND_DARK = "#0b3d5c"
PEER = "#e07a1f"
GRID = "#d5dde2"
TEXT = "#1d2a33"
MUTED = "#6b7a85"
DEPTH_FILL = {
    "unknown": "#f1f3f5",
    "none": "#ffffff",
    "pilot": "#d6eaf2",
    "production": "#7fb8cf",
    "redesigned": BRAND,
}
# The report font (fonts.py) with the full font behind it for any glyph the subset lacks.
FONT = "Report Sans TC, Noto Sans CJK TC"


def _svg(width: float, height: float, body: str, label: str) -> SafeString:
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="{escape(label)}" '
        f'font-family="{FONT}" font-size="11" fill="{TEXT}">{body}</svg>'
    )


def _is_cjk(text: str) -> bool:
    return any("\u3000" <= ch <= "\u9fff" or "\uf900" <= ch <= "\uffef" for ch in text)


def _wrap(text: str, limit: int | None = None, max_lines: int = 4) -> list[str]:
    """Break a label into short lines: CJK text (no spaces) by characters, Latin by words."""
    if limit is None:
        limit = 8 if _is_cjk(text) else 16
    if len(text) <= limit:
        return [text]
    if _is_cjk(text) or " " not in text:
        return [text[i : i + limit] for i in range(0, len(text), limit)][:max_lines]
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > limit:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return lines[:max_lines]


def radar(
    axes: Sequence[tuple[str, float | None, float | None]],
    *,
    label: str,
    mine_label: str,
    peer_label: str,
    size: int = 340,
) -> SafeString:
    """Scores 0–100 per axis; `None` is drawn at the centre."""
    width = size + 120  # room for the side labels
    cx, cy, r = width / 2, size / 2 - 4, size / 2 - 70
    n = len(axes)
    parts: list[str] = []

    def point(i: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        return cx + r * value / 100 * math.cos(angle), cy + r * value / 100 * math.sin(angle)

    for ring in (20, 40, 60, 80, 100):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, ring) for i in range(n)))
        parts.append(f'<polygon points="{pts}" fill="none" stroke="{GRID}" stroke-width="1"/>')
    for i, (name, _mine, _peer) in enumerate(axes):
        x, y = point(i, 100)
        parts.append(
            f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        lx, ly = point(i, 112)
        lines = _wrap(name)
        side = abs(lx - cx) >= 10
        anchor = "middle" if not side else ("start" if lx > cx else "end")
        if not side:
            top = ly - 4 - (len(lines) - 1) * 13 if ly < cy else ly + 8
        else:
            top = ly + 4 - (len(lines) - 1) * 6.5
        for j, line in enumerate(lines):
            parts.append(
                f'<text x="{lx:.1f}" y="{top + j * 13:.1f}" text-anchor="{anchor}" '
                f'font-size="11">{escape(line)}</text>'
            )
    peers = [p for _, _, p in axes]
    if all(p is not None for p in peers):
        pts = " ".join(
            f"{x:.1f},{y:.1f}" for x, y in (point(i, p or 0) for i, p in enumerate(peers))
        )
        parts.append(
            f'<polygon points="{pts}" fill="none" stroke="{PEER}" stroke-width="2" '
            f'stroke-dasharray="5 3"/>'
        )
    mine = [m or 0 for _, m, _ in axes]
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, m) for i, m in enumerate(mine)))
    parts.append(
        f'<polygon points="{pts}" fill="{BRAND}" fill-opacity="0.25" '
        f'stroke="{BRAND}" stroke-width="2"/>'
    )
    for i, m in enumerate(mine):
        x, y = point(i, m)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{BRAND}"/>')
    ly = size - 10
    lx = cx - 130
    parts.append(
        f'<rect x="{lx:.0f}" y="{ly - 9}" width="14" height="10" '
        f'fill="{BRAND}" fill-opacity="0.5"/>'
    )
    parts.append(f'<text x="{lx + 18:.0f}" y="{ly}">{escape(mine_label)}</text>')
    if all(p is not None for p in peers):
        parts.append(
            f'<line x1="{cx + 20:.0f}" y1="{ly - 4}" x2="{cx + 36:.0f}" y2="{ly - 4}" '
            f'stroke="{PEER}" stroke-width="2" stroke-dasharray="5 3"/>'
        )
        parts.append(f'<text x="{cx + 40:.0f}" y="{ly}">{escape(peer_label)}</text>')
    return _svg(width, size, "".join(parts), label)


def heatmap(cells: Sequence[tuple[str, str, str]], *, label: str, width: int = 520) -> SafeString:
    """Value-chain stages as a 4-column grid coloured by depth of AI use."""
    cols = 4
    gap = 6
    cell_w = (width - gap * (cols - 1)) / cols
    cell_h = 52
    rows = math.ceil(len(cells) / cols)
    parts: list[str] = []
    for i, (stage, depth_label, depth_code) in enumerate(cells):
        x = (i % cols) * (cell_w + gap)
        y = (i // cols) * (cell_h + gap)
        fill = DEPTH_FILL.get(depth_code, DEPTH_FILL["unknown"])
        ink = "#ffffff" if depth_code == "redesigned" else TEXT
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{cell_w:.1f}" height="{cell_h}" rx="5" '
            f'fill="{fill}" stroke="{GRID}"/>'
        )
        parts.append(
            f'<text x="{x + 8:.1f}" y="{y + 20}" font-weight="bold" fill="{ink}">'
            f"{escape(stage)}</text>"
        )
        parts.append(
            f'<text x="{x + 8:.1f}" y="{y + 38}" font-size="10" fill="{ink}">'
            f"{escape(depth_label)}</text>"
        )
    return _svg(width, rows * (cell_h + gap), "".join(parts), label)


def histogram(bins: Sequence[tuple[str, int]], *, label: str) -> SafeString:
    """Counts per score band, bars with the count above and the band below."""
    width, height, base = 360, 150, 120
    top = max((n for _, n in bins), default=0) or 1
    bar_w = width / max(1, len(bins))
    parts: list[str] = []
    for i, (name, n) in enumerate(bins):
        h = (base - 14) * n / top
        x = i * bar_w + 6
        mid = x + (bar_w - 12) / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w - 12:.1f}" height="{h:.1f}" '
            f'fill="{BRAND}"/>'
        )
        parts.append(f'<text x="{mid:.1f}" y="{base - h - 3:.1f}" text-anchor="middle">{n}</text>')
        parts.append(
            f'<text x="{mid:.1f}" y="{base + 14}" text-anchor="middle" fill="{MUTED}">'
            f"{escape(name)}</text>"
        )
    return _svg(width, height, "".join(parts), label)


def strip(
    *,
    mine: float | None,
    median: float | None,
    q1: float | None,
    q3: float | None,
    label: str,
    coarse: bool = False,
    width: int = 360,
) -> SafeString:
    """One score among peers on a 0–100 line: the middle half as a band (only when the
    disclosure rules give quartiles), the median as a line (dashed when only a rounded
    median may be shown) and the company's own score as a dot with its value."""
    left, right, axis_y = 12, width - 12, 30

    def x(value: float) -> float:
        return left + (right - left) * max(0.0, min(100.0, value)) / 100

    parts = [
        f'<line x1="{left}" y1="{axis_y}" x2="{right}" y2="{axis_y}" stroke="{GRID}" '
        f'stroke-width="2"/>'
    ]
    for tick in (0, 25, 50, 75, 100):
        parts.append(
            f'<line x1="{x(tick):.1f}" y1="{axis_y - 4}" x2="{x(tick):.1f}" y2="{axis_y + 4}" '
            f'stroke="{GRID}"/>'
            f'<text x="{x(tick):.1f}" y="{axis_y + 20}" text-anchor="middle" font-size="10" '
            f'fill="{MUTED}">{tick}</text>'
        )
    if q1 is not None and q3 is not None:
        parts.append(
            f'<rect x="{x(q1):.1f}" y="{axis_y - 9}" width="{max(2.0, x(q3) - x(q1)):.1f}" '
            f'height="18" rx="3" fill="{PEER}" fill-opacity="0.25" stroke="{PEER}"/>'
        )
    if median is not None:
        dash = ' stroke-dasharray="3 2"' if coarse else ""
        parts.append(
            f'<line x1="{x(median):.1f}" y1="{axis_y - 13}" x2="{x(median):.1f}" '
            f'y2="{axis_y + 13}" stroke="{PEER}" stroke-width="3"{dash}/>'
        )
    if mine is not None:
        parts.append(
            f'<circle cx="{x(mine):.1f}" cy="{axis_y}" r="6.5" fill="{BRAND_DARK}" '
            f'stroke="#ffffff" stroke-width="2"/>'
            f'<text x="{x(mine):.1f}" y="{axis_y - 13}" text-anchor="middle" font-size="11" '
            f'font-weight="bold" fill="{BRAND_DARK}">{mine:.0f}</text>'
        )
    return _svg(width, 56, "".join(parts), label)
