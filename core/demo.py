"""`orderlayer demo`: every bundled sandbox at once — the sales channels, a file source and the ERPs — a fresh
DuckDB file, and settings that point at them.

Each channel sandbox speaks its platform's protocol on a local port; the file source's exports are written
into the demo's folder; the ERP sandboxes hold the channel orders the way a company's ERP would (most present
under the channel order id, some missing, late or disagreeing, some ERP-only). The sandboxes' demo keys and
tokens are not secrets, but they still travel the production way: through environment variables named by
each connection's `credentials`.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import re
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from orderlayer.core.config import Connection, Credentials, ErpMatching, Settings
from orderlayer.core.dbt import project_dir
from orderlayer.core.registry import URL_KEY, source
from orderlayer.core.sync import token_store_path
from orderlayer.sandboxes.kit.parcels import shipped_parcels
from orderlayer.sandboxes.kit.demo_spec import DemoCarrier, DemoChannel, DemoErp, DemoFileSource

DEMO_SALT = "orderlayer-demo-salt"
#: Tap config keys that are not connection options (they have their own fields or come from the run).
_RESERVED = {"base_url", "start_date", "end_date", "pii_salt"}
#: The module in a sandbox folder that declares its part of the demo as `DEMO`.
DECLARATION = "demo"


def declarations() -> list[DemoChannel | DemoFileSource | DemoErp | DemoCarrier]:
    """Every sandbox folder's `DEMO`, in position order within channels, file sources, ERPs, carriers."""
    import orderlayer.sandboxes as sandboxes

    found = []
    for folder in pkgutil.iter_modules(sandboxes.__path__):
        module = f"{sandboxes.__name__}.{folder.name}.{DECLARATION}"
        if folder.ispkg and importlib.util.find_spec(module) is not None:
            found.append(importlib.import_module(module).DEMO)
    check_bookings(found)
    kinds = (DemoChannel, DemoFileSource, DemoErp, DemoCarrier)
    return sorted(found, key=lambda spec: (kinds.index(type(spec)), spec.position))


def check_bookings(specs: list[DemoChannel | DemoFileSource | DemoErp | DemoCarrier]) -> None:
    """A channel's `erp` must name a declared ERP sandbox (else its orders would silently be in no ERP)."""
    erps = sorted(s.source for s in specs if isinstance(s, DemoErp))
    for spec in specs:
        if isinstance(spec, (DemoChannel, DemoFileSource)) and spec.erp is not None and spec.erp not in erps:
            raise ValueError(f"sandboxes/{spec.source}/demo.py: erp {spec.erp!r}; use one of {', '.join(erps)} or None")


@dataclass
class DemoWorld:
    """The started sandboxes of one demo run."""

    as_of: datetime
    channels: list[tuple[DemoChannel, Any]]
    orders: dict[str, int] = field(default_factory=dict)
    #: (spec, its mapping in the demo's folder, the order facts of its exports)
    files: list[tuple[DemoFileSource, Path, list]] = field(default_factory=list)
    #: (spec, started sandbox, matching rules for orderlayer.yml `erp_matching`)
    erps: list[tuple[DemoErp, Any, dict]] = field(default_factory=list)
    #: (spec, started sandbox) of the carriers tracking the channels' parcels
    carriers: list[tuple[DemoCarrier, Any]] = field(default_factory=list)

    def booked_by(self, erp: str) -> tuple[str, ...]:
        """The channels (file sources by their mapping's name) whose orders the company on ``erp`` books."""
        channels = [spec.source for spec, _ in self.channels if spec.erp == erp]
        return (*channels, *(spec.name for spec, _, _ in self.files if spec.erp == erp))

    def order_facts(self) -> list:
        facts = [f for _, sandbox in self.channels for f in sandbox.order_facts()]
        return facts + [f for _, _, file_facts in self.files for f in file_facts]

    def summary(self) -> list[tuple[str, str, int]]:
        """(source, shops, orders) per started sandbox, for the demo's banner."""
        rows = [(spec.source, ", ".join(sandbox.shop_ids), self.orders[spec.source]) for spec, sandbox in self.channels]
        rows += [(f"{spec.source} ({spec.name})", spec.shop, len(facts)) for spec, _, facts in self.files]
        for spec, _, _ in self.erps:
            rows.append((f"{spec.source} (ERP)", spec.company, self.orders[spec.source]))
        for spec, sandbox in self.carriers:
            rows.append((f"{spec.source} (carrier: parcels)", sandbox.connection()[source(spec.source).shop_key], len(sandbox.journeys)))
        return rows


@contextmanager
def start_sandboxes(seed: int, as_of: datetime, orders: int, shops: int, work: Path) -> Iterator[DemoWorld]:
    """Start every channel sandbox (those that scale with shops with `shops` shops), write the file sources'
    exports under `work`, start the ERP sandboxes on the channels' orders, and yield the world; everything
    stops on exit."""
    specs = declarations()
    with ExitStack() as stack:
        world = DemoWorld(as_of=as_of, channels=[])
        for spec in (s for s in specs if isinstance(s, DemoChannel)):
            n_shops = shops if spec.scales_with_shops else len(spec.shops)
            n_orders = max(spec.minimum, int(orders * spec.share))
            sandbox = spec.sandbox(*spec.leading, seed, as_of, n_orders, list(spec.shops[:n_shops]), **spec.kwargs)
            sandbox.start()
            stack.callback(sandbox.stop)
            world.channels.append((spec, sandbox))
            world.orders[spec.source] = n_orders
        folder = work / "file_sources"
        if folder.exists():
            shutil.rmtree(folder)
        for spec in (s for s in specs if isinstance(s, DemoFileSource)):
            mapping, facts = _write_file_source(spec, seed, as_of, max(spec.minimum, int(orders * spec.share)), folder)
            world.files.append((spec, mapping, facts))
        facts = world.order_facts()
        for spec in (s for s in specs if isinstance(s, DemoErp)):
            channels = world.booked_by(spec.source)
            sandbox = spec.sandbox(seed, as_of, [f for f in facts if f.channel in channels])
            sandbox.start()
            stack.callback(sandbox.stop)
            world.erps.append((spec, sandbox, _matching(channels, sandbox)))
            world.orders[spec.source] = sum(1 for d in sandbox.derivation() if d.erp_order_id)
        parcels = shipped_parcels(facts)
        for spec in (s for s in specs if isinstance(s, DemoCarrier)):
            sandbox = spec.sandbox(seed, as_of, parcels)
            sandbox.start()
            stack.callback(sandbox.stop)
            world.carriers.append((spec, sandbox))
        yield world


def _matching(channels: tuple[str, ...], sandbox: Any) -> dict:  # noqa: ANN401
    """The matching rules a company would configure for an ERP booking `channels`: the prefixes and suffix its
    integrations write around channel order ids, and which ERP customer stands for which shop."""
    from orderlayer.sandboxes.kit.erp_derive import reference_prefix

    return {
        # the same spelling rule the derivation uses
        "strip_prefixes": sorted({reference_prefix(c) for c in channels}),
        "strip_suffixes": ["-01"],
        "customers": {code: f"{channel}:{shop}" for (channel, shop), code in sorted(sandbox.customer_codes.items())},
    }


def _write_file_source(spec: DemoFileSource, seed: int, as_of: datetime, orders: int, folder: Path) -> tuple[Path, list]:
    """A file source's mapping and exports in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    mapping = folder / Path(spec.mapping).name
    shutil.copyfile(project_dir() / spec.mapping, mapping)
    export = spec.write(folder / "exports", seed, as_of, orders)
    return mapping, export.facts


def _env_name(*parts: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", "_".join(("ORDERLAYER_DEMO", *parts)).upper()).strip("_")


def _connection(spec_source: str, shop: str, config: dict, zone: str, currency: str, options: dict) -> Connection:
    """A connection for one sandbox shop: secrets into environment variables, the rest into options."""
    src = source(spec_source)
    credentials = {}
    for key in src.secret_keys:
        if config.get(key) is not None:
            env = _env_name(spec_source, shop, key)
            os.environ[env] = str(config[key])
            credentials[key] = env
    reserved = _RESERVED | set(src.secret_keys) | {src.shop_key, URL_KEY}
    rest = {k: v for k, v in config.items() if k not in reserved}
    return Connection(
        source=spec_source,
        shop_id=str(shop),
        timezone=zone,
        currency=currency,
        base_url=config[URL_KEY],
        start_date=datetime.fromisoformat(str(config["start_date"]).replace("Z", "+00:00")),
        options={**rest, **options},
        credentials=Credentials(credentials),
    )


def _carrier_connection(spec: DemoCarrier, config: dict) -> Connection:
    """A carrier connection (no shop, no sync range): its secret into an environment variable, the sync fills the
    waybills."""
    src = source(spec.source)
    credentials = {}
    for key in src.secret_keys:
        if config.get(key) is not None:
            env = _env_name(spec.source, key)
            os.environ[env] = str(config[key])
            credentials[key] = env
    return Connection(source=spec.source, shop_id=str(config[src.shop_key]), base_url=config[URL_KEY],
                      options=dict(spec.options), credentials=Credentials(credentials))


def demo_settings(world: DemoWorld, db: Path, base: Settings | None = None) -> Settings:
    """Settings for every sandbox shop, the file source and the ERPs, on a fresh `db` (a demo starts from nothing)."""
    for path in (db, db.with_name(db.name + ".wal")):
        if path.exists():
            path.unlink()
    os.environ.setdefault("ORDERLAYER_PII_SALT", DEMO_SALT)
    connections: dict[str, Connection] = {}
    for spec, sandbox in world.channels:
        for shop in sandbox.shop_ids:
            zone, currency = spec.shop_settings(shop)
            connections[f"{spec.source}_{shop}"] = _connection(
                spec.source, shop, sandbox.tap_config(shop), zone, currency, spec.options
            )
    for spec, mapping, _ in world.files:
        connections[spec.name] = Connection(source=spec.source, shop_id=spec.shop, options={"mapping": str(mapping)})
    erp_matching: dict[str, ErpMatching] = {}
    for spec, sandbox, matching in world.erps:
        connections[f"{spec.source}_{spec.company}"] = _connection(
            spec.source, spec.company, sandbox.tap_config(), "Asia/Shanghai", "CNY", spec.options
        )
        erp_matching[spec.source] = ErpMatching(**matching)
    for spec, sandbox in world.carriers:
        connections[spec.source] = _carrier_connection(spec, sandbox.connection())
    # Tokens a previous demo refreshed belong to sandboxes that are gone: this run's sandboxes issue their own.
    for name in connections:
        token_store_path(db, name).unlink(missing_ok=True)
    return (base or Settings()).model_copy(
        update={"database": db, "connections": connections, "erp_matching": {**(base.erp_matching if base else {}), **erp_matching}}
    )


