"""`GET /metrics` of `orderlayer serve`, in Prometheus' text format (prometheus_client; docs/continuous.md).

The values are read from what serve already keeps (its push counts, the writer's status, the spool) when Prometheus
scrapes, through a collector of its own registry: nothing is counted twice and no module-global registry exists.
Labels are connection names and outcomes only, never anything a push carried.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from prometheus_client.metrics_core import Metric

    from orderlayer.core.continuous import WriterStatus

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _epoch(iso: str | None) -> float | None:
    return None if iso is None else datetime.fromisoformat(iso).timestamp()


class ServeCollector(Collector):
    def __init__(self, pushes: Callable[[], dict], writer: Callable[[], WriterStatus], spooled: Callable[[], dict[str, int]]) -> None:
        self._pushes = pushes
        self._writer = writer
        self._spooled = spooled

    def collect(self) -> Iterator[Metric]:
        pushes = self._pushes()
        received = CounterMetricFamily("orderlayer_pushes", "Pushes received, by connection and outcome (accepted, duplicate, rejected, failed)", labels=["connection", "outcome"])
        last = GaugeMetricFamily("orderlayer_last_push_timestamp_seconds", "When the connection's last push arrived (Unix time)", labels=["connection"])
        for connection, counts in sorted(pushes.items()):
            for outcome in ("accepted", "duplicate", "rejected", "failed"):
                received.add_metric([connection, outcome], counts.get(outcome, 0))
            if (at := _epoch(counts.get("last_push"))) is not None:
                last.add_metric([connection], at)
        yield received
        yield last
        backlog = GaugeMetricFamily("orderlayer_spooled_items", "Pushed items stored and not yet landed in raw", labels=["connection"])
        for connection, n in sorted(self._spooled().items()):
            backlog.add_metric([connection], n)
        yield backlog
        status = self._writer().as_dict()
        yield CounterMetricFamily("orderlayer_landings", "Landings of the spool in raw", value=status["landings"])
        yield CounterMetricFamily("orderlayer_micro_batches", "Micro-batches run (build, check, publish)", value=status["batches"])
        yield CounterMetricFamily("orderlayer_reconcile_polls", "Reconcile polls run", value=status["polls"])
        yield CounterMetricFamily("orderlayer_writer_failures", "Landings, micro-batches and polls that failed", value=status["failures"])
        yield GaugeMetricFamily("orderlayer_unbuilt_rows", "Raw rows landed from pushes and not yet built", value=status["unbuilt_rows"])
        for name, key, text in (
            ("orderlayer_last_micro_batch", "last_batch", "the last micro-batch"),
            ("orderlayer_last_reconcile_poll", "last_poll", "the last reconcile poll"),
        ):
            done = status[key]
            if done is not None:
                yield GaugeMetricFamily(f"{name}_timestamp_seconds", f"When {text} finished (Unix time)", value=_epoch(done["at"]))
                yield GaugeMetricFamily(f"{name}_duration_seconds", f"How long {text} took", value=done["seconds"])
        published = [d for d in (status["last_batch"], status["last_poll"]) if d is not None and d["published_version"] is not None]
        if published:
            newest = max(published, key=lambda d: d["at"])
            yield GaugeMetricFamily("orderlayer_published_version", "The published version serve last published", value=newest["published_version"])


def metrics_text(collector: ServeCollector) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return generate_latest(registry)
