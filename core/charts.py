"""The report's charts as Plotly figures: built and validated here, drawn in the browser by plotly.js.

plotly.js comes from the `plotly` package (its bundled `plotly.min.js`) and is written once beside the
report, so the page opens offline and many reports share one copy. A channel keeps one colour on every
chart of a page; the page's channel filter is the charts' legend (a legend of 30 entries inside each
chart would take more room than the chart).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import plotly
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

#: One colour per channel, 32 of them, none close to the lights' red, yellow and green (a line must never
#: read as a verdict) and none too pale to see on white. Chosen greedily from Plotly's qualitative
#: Dark24, Alphabet and Light24 sets for the largest smallest CIE76 distance (tests check they stay apart);
#: the two greenish ones last, so the first channels never look like a green light.
PALETTE: tuple[str, ...] = (
    "#2e91e5", "#fc0080", "#511cfb", "#6c4516", "#750d86", "#fe00fa", "#f8a19f", "#eea6fb",
    "#0d2a63", "#2ed9ff", "#222a2a", "#6e899c", "#6a76fc", "#620042", "#1616a7", "#fc1cbf",
    "#e15f99", "#da60ca", "#b2828d", "#b00068", "#c075a6", "#7e7dcd", "#aa0dfe", "#85660d",
    "#325a9b", "#00b5f7", "#565656", "#b10da1", "#782ab6", "#a777f1", "#86ce00", "#90ad1c",
)

_FONT = {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12, "color": "#1d232a"}


def colour_for(index: int) -> str:
    """The colour of the index-th channel (sorted by name); past PALETTE, a golden-angle hue wheel."""
    if index < len(PALETTE):
        return PALETTE[index]
    extra = index - len(PALETTE)
    hue = (extra * 137.508) % 360  # golden angle: neighbours in order land far apart on the wheel
    lightness = 38 if extra % 2 else 52
    return _hsl_hex(hue, 0.65, lightness / 100)


def _hsl_hex(hue: float, saturation: float, lightness: float) -> str:
    c = (1 - abs(2 * lightness - 1)) * saturation
    x = c * (1 - abs((hue / 60) % 2 - 1))
    m = lightness - c / 2
    r, g, b = [(c, x, 0), (x, c, 0), (0, c, x), (0, x, c), (x, 0, c), (c, 0, x)][int(hue // 60) % 6]
    return "#" + "".join(f"{round((v + m) * 255):02x}" for v in (r, g, b))


def channel_colours(names: Sequence[str]) -> dict[str, str]:
    return {name: colour_for(i) for i, name in enumerate(sorted(set(names)))}


def _layout(title: str, percent: bool, *, barmode: str | None = None, y_title: str | None = None) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 13}},
        "font": _FONT,
        "height": 260,
        "margin": {"l": 56, "r": 16, "t": 36, "b": 40},
        "showlegend": False,
        "hovermode": "closest",
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "xaxis": {"type": "category", "showgrid": False, "linecolor": "#9aa5b1", "automargin": True},
        "yaxis": {"gridcolor": "#e3e7eb", "rangemode": "tozero", "zeroline": False, "automargin": True},
    }
    if percent:
        layout["yaxis"]["tickformat"] = ".1%"
    if y_title:
        layout["yaxis"]["title"] = {"text": y_title}
    if barmode:
        layout["barmode"] = barmode
    return layout


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    colours: Mapping[str, str],
    *,
    percent: bool = False,
) -> dict[str, Any]:
    """One line per series (a channel) over `labels`; a None breaks the line (a run without the value).
    Each trace's `meta` is its channel: the page's filter shows and hides traces by it."""
    figure = go.Figure(layout=_layout(title, percent))
    hover = "%{meta}<br>%{x}: %{y:.1%}<extra></extra>" if percent else "%{meta}<br>%{x}: %{y:,}<extra></extra>"
    for name, points in series.items():
        figure.add_trace(
            go.Scatter(
                x=list(labels),
                y=[None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in points],
                name=name,
                meta=name,
                mode="lines+markers",
                line={"color": colours.get(name, "#51606f"), "width": 2},
                marker={"size": 5},
                connectgaps=False,
                hovertemplate=hover,
            )
        )
    return figure.to_plotly_json()


def stacked_bars(
    title: str, labels: Sequence[str], stacks: Mapping[str, Sequence[int]], colours: Mapping[str, str]
) -> dict[str, Any]:
    """Stacked bars per label, bottom to top in `stacks` order (not per channel: no `meta`)."""
    figure = go.Figure(layout={**_layout(title, False, barmode="stack"), "showlegend": True,
                               "legend": {"orientation": "h", "y": -0.25, "x": 0}})  # fmt: skip
    for name, values in stacks.items():
        figure.add_trace(
            go.Bar(x=list(labels), y=list(values), name=name, marker={"color": colours[name]},
                   hovertemplate=f"%{{x}}: %{{y}} {name}<extra></extra>")  # fmt: skip
        )
    return figure.to_plotly_json()


def plotly_js_name() -> str:
    """The file name of the plotly.js copy reports load (versioned: reports of two versions can share a folder)."""
    return f"plotly-{plotly.__version__}.min.js"


def write_plotly_js(directory: Path) -> Path:
    """plotly.js beside the report (written once per folder and version)."""
    path = directory / plotly_js_name()
    if not path.is_file():
        directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(get_plotlyjs(), encoding="utf-8")
        tmp.replace(path)  # two reports written at once never leave a half file
    return path
