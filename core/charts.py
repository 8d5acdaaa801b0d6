"""Inline SVG charts for the report: no JavaScript, no downloads (the report must open offline)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

#: Series colours: distinct from the red/yellow/green of the lights so a line never reads as a verdict.
PALETTE = ("#2563eb", "#7c3aed", "#0d9488", "#c2410c", "#db2777", "#4b5563", "#0891b2", "#65a30d")

_W, _H = 560, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 58, 34, 30, 44


def _axis(value: float) -> tuple[float, float]:
    """(axis maximum, tick step): a 1/2/2.5/5 x 10^k step giving at most 5 intervals up to value."""
    if value <= 0:
        return 1.0, 0.25
    raw = value / 5
    exponent = math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * 10**exponent
        if step >= raw * (1 - 1e-9):
            break
    return step * math.ceil(value / step - 1e-9), step


def _fmt(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.1f}%" if value * 100 < 10 else f"{value * 100:.0f}%"
    if abs(value) >= 10_000:
        return f"{value / 1000:g}k"
    return f"{value:.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:g}"


def _frame(
    title: str, kind: str, axis: tuple[float, float], percent: bool, labels: Sequence[str], centred: bool = False
) -> list[str]:
    y_max, step = axis
    plot_h = _H - _TOP - _BOTTOM
    parts = [
        f'<svg class="chart" data-chart="{escape(kind)}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {_W} {_H}" width="{_W}" height="{_H}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="{_LEFT}" y="18" font-size="13" font-weight="600" fill="#1d232a">{escape(title)}</text>',
    ]
    for i in range(round(y_max / step) + 1):  # horizontal grid with y tick labels
        value = step * i
        y = _y(value, y_max)
        parts.append(f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e7eb"/>')
        parts.append(
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end" fill="#51606f">{_fmt(value, percent)}</text>'
        )
    parts.append(
        f'<line x1="{_LEFT}" x2="{_LEFT}" y1="{_TOP}" y2="{_TOP + plot_h}" stroke="#9aa5b1"/>'
        f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{_TOP + plot_h}" y2="{_TOP + plot_h}" stroke="#9aa5b1"/>'
    )
    step = max(1, math.ceil(len(labels) / 6))  # at most ~6 x labels
    for i in range(0, len(labels), step):
        x = _x(i, len(labels), centred)
        parts.append(
            f'<text x="{x:.1f}" y="{_H - _BOTTOM + 16}" font-size="10" text-anchor="middle" fill="#51606f">{escape(labels[i])}</text>'
        )
    return parts


def _x(i: int, n: int, centred: bool = False) -> float:
    """x of the i-th of n points: lines span the plot edge to edge, bars sit in the middle of n slots."""
    width = _W - _LEFT - _RIGHT
    if centred or n <= 1:
        return _LEFT + width * (i + 0.5) / max(n, 1)
    return _LEFT + width * i / (n - 1)


def _y(value: float, y_max: float) -> float:
    plot_h = _H - _TOP - _BOTTOM
    return _TOP + plot_h - plot_h * (value / y_max)


def _legend(names: Sequence[str], colours: Sequence[str]) -> list[str]:
    parts, x = [], _LEFT
    for name, colour in zip(names, colours):
        parts.append(f'<rect x="{x}" y="{_H - 16}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{_H - 7}" font-size="11" fill="#1d232a">{escape(name)}</text>')
        x += 22 + 7 * len(name)
    return parts


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    percent: bool = False,
    colours_by_name: Mapping[str, str] | None = None,
) -> str:
    """One line per series over `labels`; a None breaks the line (a run without the value).
    `colours_by_name` keeps a series (a channel) the same colour across charts."""
    values = [v for s in series.values() for v in s if v is not None]
    axis = _axis(max(values, default=0.0))
    y_max = axis[0]
    parts = _frame(title, "line", axis, percent, labels)
    colours = [(colours_by_name or {}).get(name, PALETTE[i % len(PALETTE)]) for i, name in enumerate(series)]
    for index, ((name, points), colour) in enumerate(zip(series.items(), colours)):
        # later series dashed: where two channels have the same values both stay visible
        dash = ' stroke-dasharray="6 4"' if index else ""
        segment: list[str] = []
        for i, value in enumerate(list(points) + [None]):
            if value is not None:
                segment.append(f"{_x(i, len(labels)):.1f},{_y(value, y_max):.1f}")
                continue
            if len(segment) > 1:
                parts.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{" ".join(segment)}"/>'
                )
            segment = []
        for i, value in enumerate(points):
            if value is not None:
                tip = f"{name} · {labels[i]}: {_fmt(value, percent)}"
                parts.append(
                    f'<circle cx="{_x(i, len(labels)):.1f}" cy="{_y(value, y_max):.1f}" r="3" fill="{colour}">'
                    f"<title>{escape(tip)}</title></circle>"
                )
    parts += _legend(list(series), colours)
    parts.append("</svg>")
    return "".join(parts)


def stacked_bars(
    title: str, labels: Sequence[str], stacks: Mapping[str, Sequence[int]], colours: Mapping[str, str]
) -> str:
    """Stacked bars per label, bottom to top in `stacks` order."""
    totals = [sum(s[i] for s in stacks.values()) for i in range(len(labels))]
    axis = _axis(max(totals, default=0))
    y_max = axis[0]
    parts = _frame(title, "bars", axis, False, labels, centred=True)
    width = _W - _LEFT - _RIGHT
    bar = max(2.0, min(28.0, width / max(len(labels), 1) * 0.6))
    for i in range(len(labels)):
        base = 0
        for name, values in stacks.items():
            value = values[i]
            if value:
                top, bottom = _y(base + value, y_max), _y(base, y_max)
                parts.append(
                    f'<rect x="{_x(i, len(labels), True) - bar / 2:.1f}" y="{top:.1f}" width="{bar:.1f}" '
                    f'height="{bottom - top:.1f}" fill="{colours[name]}"><title>{escape(f"{labels[i]}: {value} {name}")}</title></rect>'
                )
            base += value
    parts += _legend(list(stacks), [colours[n] for n in stacks])
    parts.append("</svg>")
    return "".join(parts)
