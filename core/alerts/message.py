"""One alert: the lights that changed in a run (turned yellow/red, changed colour, recovered), grouped by channel
and gate, with counts, example platform order ids, the figures behind each light and where the report is.

It carries only what the gate report shows (ids, counts, figures): no buyer data, no secrets. Each destination
kind renders it in its own markup (`render`), cut to the kind's size limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Literal

Style = Literal["markdown", "slack", "text"]

_MARK = {"red": "🔴", "yellow": "🟡", "green": "✅"}
#: What a light's examples are, by the gate result's example_key (order ids are resolved to the platform's own).
_EXAMPLES = {"channel_order_id": "orders", "business_date": "days", "source": "sources"}
#: Lights shown in full; the rest are counted (a message must stay readable on a phone).
MAX_LIGHTS = 20


@dataclass(frozen=True)
class Light:
    gate_id: str
    channel: str | None
    colour: str
    #: the colour last notified to this destination ("green" when never)
    previous: str
    description: str = ""
    failing_count: int = 0
    #: platform order ids (or days, sources: see example_key), never internal keys
    examples: tuple[str, ...] = ()
    example_key: str = "channel_order_id"
    note: str = ""

    @property
    def change(self) -> str:
        if self.colour == "green":
            return f"recovered (was {self.previous})"
        return f"{self.colour}" + ("" if self.previous == "green" else f" (was {self.previous})")


@dataclass(frozen=True)
class Alert:
    run_id: str
    checked_at: datetime
    verdict: str
    changed: list[Light]
    #: failing lights whose colour did not change since the last alert (named, not repeated in full)
    unchanged: list[Light] = field(default_factory=list)
    #: the HTML report's path or URL
    report: str = ""
    test: bool = False

    @property
    def title(self) -> str:
        worst = next((c for c in ("red", "yellow") if any(x.colour == c for x in self.changed)), None)
        what = f"{len(self.changed)} gate light(s) changed"
        if worst:
            what += f", worst {worst}"
        elif self.changed:
            what = "gates recovered"
        return ("[test] " if self.test else "") + f"orderlayer: {what} (verdict {self.verdict})"


def render(alert: Alert, style: Style, limit: int | None = None) -> str:
    """The alert as DingTalk/WeCom markdown, Slack mrkdwn or plain text; at most `limit` UTF-8 bytes."""
    bold = {"markdown": "**{}**", "slack": "*{}*", "text": "{}"}[style]
    lines = [bold.format(alert.title), f"run {alert.run_id} · checked {alert.checked_at:%Y-%m-%d %H:%M} UTC", ""]
    shown = sorted(alert.changed, key=lambda x: (x.channel or "", x.gate_id))[:MAX_LIGHTS]
    for channel, lights in groupby(shown, key=lambda x: x.channel):
        lines.append(bold.format(channel or "(no channel)"))
        for x in lights:
            head = f"- {_MARK[x.colour]} {x.gate_id} {x.change}"
            if x.colour != "green" and x.failing_count:
                head += f": {x.failing_count} failing"
            lines.append(head + (f" — {x.description}" if x.description else ""))
            if x.colour != "green" and x.examples:
                lines.append(f"  {_EXAMPLES.get(x.example_key, 'examples')}: {', '.join(x.examples)}")
            if x.note:
                lines.append(f"  {x.note}")
        lines.append("")
    if len(alert.changed) > MAX_LIGHTS:
        lines += [f"… and {len(alert.changed) - MAX_LIGHTS} more changed lights (see the report)", ""]
    if alert.unchanged:
        still = ", ".join(f"{x.gate_id} {x.channel or '-'} ({x.colour})" for x in alert.unchanged)
        lines += [f"Still failing, unchanged: {still}", ""]
    if alert.report:
        lines.append(f"Report: {alert.report}")
    # markdown renderers join single newlines into one paragraph: there every line is its own paragraph
    text = "\n\n".join(x for x in lines if x) if style == "markdown" else "\n".join(lines).strip()
    text += "\n"
    return _cut(text, limit) if limit else text


def _cut(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    tail = "\n… (cut; see the report)\n".encode("utf-8")
    return data[: limit - len(tail)].decode("utf-8", errors="ignore") + tail.decode("utf-8")


def sample(report: str = "") -> Alert:
    """What `orderlayer alert test` sends: a made-up run showing every part of a real alert."""
    from datetime import UTC

    return Alert(
        run_id="test",
        checked_at=datetime.now(UTC),
        verdict="red",
        test=True,
        report=report,
        changed=[
            Light("R6", "sample_channel_a", "red", "green", "quarantine share above 0.50% of a channel's orders", 2,
                  ("4921873460012", "4921873460013"), note="2 of 212 orders have a quarantined version (0.94%)"),
            Light("Y8", "sample_channel_b", "yellow", "green", "a status's required time is present on most orders", 40,
                  ("301245566001",), note="paid_at missing on 40 of 40 paid orders (100.0%)"),
            Light("Y2", "sample_channel_c", "green", "yellow", "native status codes without a mapping"),
        ],
    )
