"""The source registry: each tap folder declares its source once, and the rest derives from it.

The claim under test: adding a channel is its tap folder, its sandbox folder, its staging (and macro) folder, its
seed rows, its docs page and its tests; no other Python file is edited. So the registry is exactly the tap folders,
packaging installs each declared executable, secrets and required settings are the tap schema's, and no shared
module names a source.
"""

from __future__ import annotations

import ast
import importlib.metadata
import sys
from pathlib import Path

import pytest

import orderlayer.taps
from orderlayer.core.config import Connection
from orderlayer.core.registry import CHANNELS, ERPS, SOURCES, DeclarationError, discover, read_declaration, source

ROOT = Path(__file__).resolve().parents[2]
TAPS = Path(next(iter(orderlayer.taps.__path__)))

#: What the hand-written registry said before the sources were declared in their tap folders (kept as literals:
#: the schema-derived values must not drift from them).
BEFORE = {
    "douyin": ({"app_key", "app_secret", "access_token", "refresh_token"}, {"app_key", "app_secret", "access_token"}),
    "jd": ({"app_key", "app_secret", "access_token", "refresh_token"}, {"app_key", "app_secret", "access_token"}),
    "taobao": ({"app_key", "app_secret", "access_token", "refresh_token"}, {"app_key", "app_secret", "access_token"}),
    "youzan": ({"client_id", "client_secret", "access_token"}, {"client_id", "client_secret"}),
    "tiktok_shop": ({"app_key", "app_secret", "access_token", "refresh_token"}, {"app_key", "app_secret", "access_token"}),
    "pinduoduo": ({"client_id", "client_secret", "access_token", "refresh_token"}, {"client_id", "client_secret", "access_token"}),
    "shopify": ({"access_token", "client_id", "client_secret", "webhook_secret"}, set()),  # webhook_secret: issue 15 (push)
    "meituan": ({"app_id", "app_secret"}, {"app_id", "app_secret"}),
    "eleme": ({"source", "secret", "access_token"}, {"source", "secret"}),
    "sap": ({"username", "password", "client_id", "client_secret"}, set()),
    "kingdee": ({"acct_id", "username", "password", "app_id", "app_secret"}, {"acct_id", "username"}),
    "yonyou": ({"app_key", "app_secret"}, {"app_key", "app_secret"}),
    "files": (set(), set()),
    "sf_express": ({"checkword"}, {"checkword"}),
    "kuaidi100": ({"key", "salt"}, {"key"}),
}

#: Python outside the per-source folders that may still spell a source's name, each for a reason that is not a
#: list of sources: (file, name).
ALLOWED_MENTIONS = {
    # `orderlayer files …`: the CLI command group for file-source mappings, not the source
    ("cli/main.py", "files"),
    # gate R4 reads (shop_id, order_id) from raw order records; Meituan keys them differently (entry documented
    # there); the Douyin entry is the documented default shape
    ("expectations/inputs.py", "douyin"),
    ("expectations/inputs.py", "meituan"),
    # stand-in channel orders for an ERP sandbox run on its own: sample shops and each sample channel's id style
    ("sandboxes/kit/erp_derive.py", "douyin"),
    ("sandboxes/kit/erp_derive.py", "jd"),
    ("sandboxes/kit/erp_derive.py", "taobao"),
    ("sandboxes/kit/erp_derive.py", "meituan"),
}
SHARED = ("core", "cli", "loader", "expectations", "taps/common", "sandboxes/kit")


def test_the_registry_is_the_tap_folders() -> None:
    folders = {p.name for p in TAPS.iterdir() if (p / "__init__.py").exists()}
    # taps/common holds the building blocks every tap shares; every other tap folder is a source
    assert set(SOURCES) == folders - {"common"}
    assert set(CHANNELS) == {"douyin", "jd", "taobao", "pinduoduo", "youzan", "meituan", "eleme", "tiktok_shop", "shopify"}
    assert set(ERPS) == {"sap", "kingdee", "yonyou"}
    assert source("files").kind == "file"
    with pytest.raises(KeyError, match="unknown source 'nope'; known: douyin"):
        source("nope")


def test_every_tap_executable_is_an_installed_console_script_of_its_tap() -> None:
    # the taps are the orderlayer-taps distribution (packaging/taps/), the rest orderlayer
    def scripts_of(distribution: str) -> dict:
        entry_points = importlib.metadata.distribution(distribution).entry_points
        return {ep.name: ep for ep in entry_points if ep.group == "console_scripts"}

    assert set(scripts_of("orderlayer")) == {"orderlayer", "target-orderlayer"}
    scripts = scripts_of("orderlayer-taps")
    assert set(scripts) == {s.executable for s in SOURCES.values()}
    for spec in SOURCES.values():
        tap = spec.tap_class()
        assert tap.name == spec.executable
        assert scripts[spec.executable].value == f"orderlayer.taps.{spec.name}.{tap.__module__.rsplit('.', 1)[1]}:{tap.__name__}.cli"
        assert scripts[spec.executable].load().name == spec.executable  # a click command of the tap
        assert Path(sys.executable).with_name(spec.executable).exists(), f"{spec.executable} is not installed"


def test_secrets_and_required_secrets_are_the_tap_schemas() -> None:
    for spec in SOURCES.values():
        schema = spec.tap_class().config_jsonschema
        secrets = {key for key, prop in schema["properties"].items() if prop.get("secret")} - {"pii_salt"}
        # an identity key is a setting of the tap that its schema does not already call secret
        assert all(key in schema["properties"] and key not in secrets for key in spec.identity_keys), spec.name
        assert set(spec.secret_keys) == secrets | set(spec.identity_keys)
        assert set(spec.required_secrets) == set(spec.secret_keys) & set(schema.get("required", ()))
        assert (set(spec.secret_keys), set(spec.required_secrets)) == BEFORE[spec.name], spec.name


def test_default_base_url_is_the_tap_schemas_default() -> None:
    assert source("douyin").default_base_url == "https://openapi-fxg.jinritemai.com"
    assert source("jd").default_base_url == "https://api.jd.com/routerjson"
    # Shopify's URL follows the shop; an ERP runs at each company's own host
    assert source("shopify").default_base_url is None and not source("shopify").needs_base_url
    for erp in ERPS:
        assert source(erp).default_base_url is None and source(erp).needs_base_url


def test_a_connection_validates_against_its_sources_schema() -> None:
    ok = Connection(source="douyin", shop_id="1", credentials={"app_key": "K", "app_secret": "S", "access_token": "T"})
    assert ok.gateway == "https://openapi-fxg.jinritemai.com"
    with pytest.raises(ValueError, match="credentials: shop_id is not a secret of douyin; its secrets are: app_key, app_secret"):
        Connection(source="douyin", shop_id="1", credentials={"shop_id": "X"})
    with pytest.raises(ValueError, match="base_url: sap has no shared gateway"):
        Connection(source="sap", shop_id="1710")
    assert Connection(source="shopify", shop_id="acme", timezone="America/New_York").gateway is None
    with pytest.raises(ValueError, match="unknown source 'acme'; use one of: douyin"):
        Connection(source="acme", shop_id="1")


def test_a_new_tap_folder_is_a_new_source(tmp_path: Path) -> None:
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "source.toml").write_text(
        'kind = "channel"\nexecutable = "tap-acme"\ntap = "tap:TapAcme"\nshop_key = "store_id"\n', encoding="utf-8"
    )
    (tmp_path / "acme_erp").mkdir()
    (tmp_path / "acme_erp" / "source.toml").write_text(
        'kind = "erp"\nexecutable = "tap-acme-erp"\ntap = "tap:TapAcmeErp"\nshop_key = ""\n', encoding="utf-8"
    )
    (tmp_path / "common").mkdir()  # a folder without a declaration is no source
    found = discover(tmp_path)
    assert list(found) == ["acme", "acme_erp"]
    assert found["acme"].shop_key == "store_id" and found["acme"].stream_tables("acme") == ("acme__orders",)
    assert found["acme"].env_prefix == "TAP_ACME_" and found["acme"].entry_point == "orderlayer.taps.acme.tap:TapAcme.cli"
    assert found["acme_erp"].shop_key is None and found["acme_erp"].stream_tables("x") == ("x__sales_orders",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('kind = "channel"\nexecutable = "tap-x"\n', "tap missing"),
        ('kind = "shop"\nexecutable = "tap-x"\ntap = "tap:TapX"\n', "kind 'shop'; use one of channel, erp, file"),
        ('kind = "erp"\nexecutable = "tap-x"\ntap = "TapX"\n', "tap 'TapX'; use 'module:Class'"),
        ('kind = "erp"\nexecutable = "tap-x"\ntap = "tap:TapX"\nsecret_keys = ["a"]\n', "unknown key secret_keys; use account_label"),
        ('kind = "erp"\nexecutable = ', "Invalid value"),
    ],
)
def test_a_malformed_declaration_names_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "source.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DeclarationError) as caught:
        read_declaration(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)


def test_each_channel_has_the_order_shape_macro_a_bare_dbt_build_stages_it_by() -> None:
    # macros/channels.sql: a bare `dbt build` stages every `<channel>_order_shape()`; ERPs have `_sales_order_shape`
    for name, spec in SOURCES.items():
        shape = ROOT / "macros" / name / "order_shape.sql"
        if spec.kind == "channel":
            assert f"macro {name}_order_shape()" in shape.read_text(encoding="utf-8")
        else:
            assert not shape.exists()
    for path in (ROOT / "macros").glob("*/*.sql"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "_order_shape()" in line and line.lstrip().startswith("{% macro"):
                owner = line.split("macro ", 1)[1].split("_order_shape", 1)[0]
                assert owner in CHANNELS or owner.removesuffix("_sales") in ERPS, line


def _named_sources(path: Path, names: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and node.value in names}


def test_no_shared_module_names_a_source() -> None:
    names = set(SOURCES)
    found = {
        (path.relative_to(ROOT).as_posix(), name)
        for folder in SHARED
        for path in sorted((ROOT / folder).rglob("*.py"))
        for name in _named_sources(path, names)
    }
    assert found - ALLOWED_MENTIONS == set(), "a shared module names a source: declare it in the source's folder"
    assert ALLOWED_MENTIONS - found == set(), "an allowed mention is gone: drop it from ALLOWED_MENTIONS"


def test_the_scan_catches_a_source_named_in_shared_code(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('ERPS = ("sap", "kingdee")\nDOC = "sap and kingdee"\n', encoding="utf-8")
    assert _named_sources(module, set(SOURCES)) == {"sap", "kingdee"}
