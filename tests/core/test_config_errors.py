"""Config errors are never silent: a connection's options against its tap's settings, secrets kept out of the file,
currency and timezone required unless the source states them, and the CLI's help, version and did-you-mean."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from orderlayer.cli.main import app
from orderlayer.core.config import ConfigError, Connection, closest, load_settings
from orderlayer.core.registry import DeclarationError, read_declaration, source


def load(tmp_path: Path, connections: str) -> str:
    """The error `load_settings` gives for a file with these connections (the test fails if there is none)."""
    path = tmp_path / "orderlayer.yml"
    path.write_text(f"connections:\n{connections}", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    return str(caught.value)


def test_an_unknown_option_names_the_key_the_allowed_keys_and_the_closest(tmp_path: Path) -> None:
    message = load(tmp_path, '  d: {source: douyin, shop_id: "1", options: {window_secnds: 600}}\n')
    assert (
        "connections.d: options.window_secnds: not a setting of the douyin tap (did you mean window_seconds?); "
        "its options are: end_date, max_requests_per_second, max_tries, page_size, push, request_timeout, retry_base_seconds, "
        "retry_max_wait_seconds, safety_lag_seconds, sign_method, token_store_path, window_seconds"
    ) in message


def test_options_cannot_set_what_orderlayer_sets_from_the_connection(tmp_path: Path) -> None:
    # the shop, the gateway, the first sync's start and the salt come from the connection's own keys
    assert {"shop_id", "base_url", "start_date", "pii_salt"}.isdisjoint(source("douyin").option_keys)
    assert "end_date" in source("douyin").option_keys  # a fixed window end is the tap's own setting
    assert source("files").option_keys == ("end_date", "mapping")
    message = load(tmp_path, '  d: {source: douyin, shop_id: "1", options: {base_url: "https://x.example.com"}}\n')
    assert "connections.d: options.base_url: orderlayer sets it from the connection's own `base_url` key; move it there" in message
    message = load(tmp_path, '  d: {source: douyin, shop_id: "1", options: {pii_salt: x}}\n')
    assert "options.pii_salt: orderlayer sets it from the top-level `pii_salt_env`; move it there" in message


def test_a_secret_in_options_is_refused_with_the_variable_to_use(tmp_path: Path) -> None:
    message = load(tmp_path, '  d: {source: douyin, shop_id: "1", options: {app_secret: s3cr3t}}\n')
    assert (
        "connections.d: options.app_secret: a secret never goes in the file; export it in an environment variable "
        "and name that variable under credentials instead, e.g. `credentials: {app_secret: DOUYIN_APP_SECRET}` "
        "with DOUYIN_APP_SECRET exported"
    ) in message
    assert "s3cr3t" not in message


def test_timezone_is_required_where_the_source_does_not_state_it(tmp_path: Path) -> None:
    message = load(tmp_path, "  s: {source: shopify, shop_id: acme, currency: USD}\n")
    assert "connections.s: timezone: required for a shopify connection (shopify does not state it)" in message


def test_what_a_source_states_is_not_required() -> None:
    # Shopify orders carry their shop currency: the connection may leave it out (None: the payload's applies)
    shopify = Connection(source="shopify", shop_id="acme", timezone="America/New_York")
    assert shopify.currency is None
    # Douyin trades only in yuan, in Beijing time (taps/douyin/source.toml)
    douyin = Connection(source="douyin", shop_id="1")
    assert (douyin.timezone, douyin.currency) == ("Asia/Shanghai", "CNY")
    # what the connection says wins over the platform's declaration
    assert Connection(source="jd", shop_id="1", currency="HKD").currency == "HKD"
    # a file source's mapping states both: the shop's zone is the mapping's
    mapping = Path(__file__).resolve().parents[2] / "docs" / "examples" / "file-source" / "wechat_shop.yml"
    files = Connection(source="files", shop_id="w", options={"mapping": str(mapping)})
    assert (files.timezone, files.currency, files.local_timezone) == (None, None, "Asia/Shanghai")
    assert Connection(source="files", shop_id="w", timezone="UTC", options={"mapping": str(mapping)}).local_timezone == "UTC"
    # an ERP's documents date no shop
    assert Connection(source="sap", shop_id="1710", base_url="https://s4.example.com").local_timezone is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('currency = "yuan"', "currency 'yuan'; use an ISO code such as 'CNY' or 'source'"),
        ('timezone = "CST"', "timezone 'CST'; use an IANA zone such as 'Asia/Shanghai' or 'source'"),
    ],
)
def test_a_malformed_statement_in_source_toml_is_refused(tmp_path: Path, line: str, expected: str) -> None:
    path = tmp_path / "source.toml"
    path.write_text(f'kind = "channel"\nexecutable = "tap-x"\ntap = "tap:TapX"\n{line}\n', encoding="utf-8")
    with pytest.raises(DeclarationError, match=expected):
        read_declaration(path)


def test_closest() -> None:
    assert closest("gvm", ["gmv", "valid_orders"]) == " (did you mean gmv?)"
    assert closest("xyz", ["gmv", "valid_orders"]) == ""


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_a_config_error_exits_2_through_the_cli(tmp_path: Path) -> None:
    config = tmp_path / "orderlayer.yml"
    config.write_text('connections:\n  d: {source: douyin, shop_id: "1", options: {pagesize: 5}}\n', encoding="utf-8")
    code, output = invoke("check", "--config", str(config), "--db", str(tmp_path / "x.duckdb"))
    assert code == 2
    assert "options.pagesize: not a setting of the douyin tap (did you mean page_size?)" in output


def test_version_and_short_help_everywhere() -> None:
    from importlib.metadata import version

    code, output = invoke("--version")
    assert (code, output.strip()) == (0, f"orderlayer {version('orderlayer')}")
    for command in (["run"], ["check"], ["metrics"], ["files", "check"], ["files"], []):
        code, output = invoke(*command, "-h")
        assert code == 0, (command, output)
        assert f"Usage: orderlayer {' '.join(command)}".rstrip() in output


def test_metrics_help_lists_every_metric() -> None:
    code, output = invoke("metrics", "--help")
    assert code == 0
    for name in ("gmv", "valid_orders", "orders_placed", "erp_consistency_rate", "on_time_ship_rate"):
        assert f"{name}:" in output


def test_an_unknown_key_anywhere_gets_the_closest_and_the_keys_there(tmp_path: Path) -> None:
    path = tmp_path / "orderlayer.yml"
    path.write_text(
        'reporting_timezon: UTC\ngates: {night_min_order: 3}\nconnections:\n  d: {source: douyin, shop_id: "1", shopid: 2}\n'
        "erp_matching:\n  sap: {strip_prefix: [DY]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    lines = str(caught.value).splitlines()
    assert "  reporting_timezon: unknown key (did you mean reporting_timezone?); the keys here are: database, engine, spark, " \
           "reporting_timezone, reporting_currency, pii_salt_env, connections, gates, erp_matching, reconciliation, publish, warehouse, serve, alerts, amount_ceilings" in lines
    assert "  connections.d.shopid: unknown key (did you mean shop_id?); the keys here are: source, shop_id, timezone, " \
           "currency, base_url, start_date, credentials, options" in lines
    assert "  erp_matching.sap.strip_prefix: unknown key (did you mean strip_prefixes?); the keys here are: " \
           "reference_field, strip_prefixes, strip_suffixes, customers" in lines
    assert any(line.startswith("  gates.night_min_order: unknown key (did you mean night_min_orders?)") for line in lines)
