"""The tap and the sandbox sign independently: a tap whose pre-hash string is wrong is refused.

Each sandbox checks signatures with its own code written from the fact sheet (``sandboxes/<source>/protocol.py``),
so breaking the tap's signing — a wrong field order, a missing secret wrap, a part of the request left out —
must stop the tap's sync with the platform's signature error. When the sandboxes borrowed the tap's ``sign``,
the same breakage went unnoticed (both sides computed the same wrong string).

Every case first syncs with the tap's signing intact (the sandbox accepts it), then with the broken one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import typing as t
from dataclasses import dataclass

import pytest
from tests.support.erp_tapkit import FAST, PII_SALT, kingdee_sandbox, yonyou_sandbox  # noqa: F401 - fixtures
from tests.support.erp_tapkit import run_tap as run_erp_tap
from tests.support.singer_run import TapFailed
from tests.taps.douyin import kit as douyin_kit
from tests.taps.eleme.kit import make_eleme  # noqa: F401 - fixture
from tests.taps.eleme.kit import sync as eleme_sync
from tests.taps.jd import kit as jd_kit
from tests.taps.jd.kit import jd_sandbox  # noqa: F401 - fixture
from tests.taps.meituan.kit import make_meituan  # noqa: F401 - fixture
from tests.taps.meituan.kit import sync as meituan_sync
from tests.taps.pinduoduo import kit as pdd_kit
from tests.taps.pinduoduo.kit import pdd_sandbox  # noqa: F401 - fixture
from tests.taps.taobao import kit as taobao_kit
from tests.taps.taobao.kit import taobao_sandbox  # noqa: F401 - fixture
from tests.taps.tiktok_shop import kit as tts_kit
from tests.taps.tiktok_shop.kit import tts_sandbox  # noqa: F401 - fixture

from orderlayer.taps.douyin import protocol as douyin_protocol
from orderlayer.taps.eleme import protocol as eleme_protocol
from orderlayer.taps.jd import protocol as jd_protocol
from orderlayer.taps.kingdee import protocol as kingdee_protocol
from orderlayer.taps.kingdee.tap import TapKingdee
from orderlayer.taps.meituan import protocol as meituan_protocol
from orderlayer.taps.pinduoduo import protocol as pdd_protocol
from orderlayer.taps.taobao import protocol as taobao_protocol
from orderlayer.taps.tiktok_shop import protocol as tts_protocol
from orderlayer.taps.yonyou import protocol as yonyou_protocol
from orderlayer.taps.yonyou.tap import TapYonyou


# --- broken signing, one per platform: each differs from its fact sheet in one place -------------------------
def douyin_without_secret_wrap(*, app_key: str, app_secret: str, method: str, param_json: str, timestamp: str, **_: t.Any) -> str:  # noqa: ANN401
    """HMAC over the bare pattern: the ``app_secret + … + app_secret`` wrap is missing."""
    pattern = f"app_key{app_key}method{method}param_json{param_json}timestamp{timestamp}v2"
    return hmac.new(app_secret.encode(), pattern.encode(), hashlib.sha256).hexdigest()


def jd_descending_keys(params: t.Mapping[str, str]) -> str:
    """Keys in descending instead of ASCII order."""
    return "".join(f"{key}{params[key]}" for key in sorted(params, reverse=True) if key != "sign")


def taobao_with_separators(params: t.Mapping[str, t.Any]) -> str:
    """``k=v&…`` pairs instead of bare ``kv`` concatenation."""
    return "&".join(f"{key}={params[key]}" for key in sorted(params) if key != "sign" and params[key] not in (None, ""))


def pdd_without_secret_wrap(params: t.Mapping[str, t.Any], client_secret: str) -> str:  # noqa: ARG001 - the wrap is what is missing
    return "".join(f"{key}{params[key]}" for key in sorted(params) if key != "sign" and params[key] is not None)


def eleme_without_secret(params: t.Mapping[str, t.Any], secret: str, *, encode_values: bool = False) -> str:  # noqa: ARG001
    """The ``secret=…`` pair left out of the alphabetical ``k=v`` list."""
    return "&".join(f"{key}={params[key]}" for key in sorted(params) if key != "sign")


def meituan_without_url(url: str, params: t.Mapping[str, t.Any], secret: str, *, encode_values: bool = False) -> str:  # noqa: ARG001
    """The request URL left out in front of ``?k=v&…``."""
    return "?" + "&".join(f"{key}={params[key]}" for key in sorted(params) if key != "sig") + secret


def tiktok_without_body(path: str, query: t.Mapping[str, str], body: bytes | str = b"") -> str:  # noqa: ARG001
    """The JSON body left out (as if it were multipart)."""
    return path + "".join(f"{key}{query[key]}" for key in sorted(query) if key not in ("sign", "access_token"))


def kingdee_without_query_line(path: str, timestamp: str, nonce: str) -> str:
    """One newline after the encoded path: the empty query line is missing."""
    return f"POST\n{kingdee_protocol.encode_path(path)}\nx-api-nonce:{nonce}\nx-api-timestamp:{timestamp}\n"


def yonyou_timestamp_first(app_key: str, app_secret: str, timestamp: int | str) -> str:
    """``timestamp`` before ``appKey``: the parameters not sorted by name."""
    digest = hmac.new(app_secret.encode(), f"timestamp{timestamp}appKey{app_key}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class Case:
    """A signed platform: its sandbox factory fixture, one tap sync, what to break, the error it must cause."""

    fixture: str
    sync: t.Callable[[t.Any], t.Any]
    module: t.Any
    attribute: str
    broken: t.Callable[..., str]
    signature_error: str


CASES = {
    "douyin": Case("make_sandbox", lambda s: douyin_kit.run_tap(douyin_kit.tap_config(s)), douyin_protocol, "sign", douyin_without_secret_wrap, "isv.signature-invalid"),
    "jd": Case("jd_sandbox", lambda s: jd_kit.run_tap(jd_kit.tap_config(s)), jd_protocol, "signing_string", jd_descending_keys, "code 12"),
    "taobao": Case("taobao_sandbox", lambda s: taobao_kit.run_tap(taobao_kit.tap_config(s)), taobao_protocol, "signing_string", taobao_with_separators, "25"),
    "pinduoduo": Case("pdd_sandbox", lambda s: pdd_kit.run_tap(pdd_kit.tap_config(s)), pdd_protocol, "signing_string", pdd_without_secret_wrap, "20004"),
    "eleme": Case("make_eleme", eleme_sync, eleme_protocol, "sign_string", eleme_without_secret, "errno 10001"),
    "meituan": Case("make_meituan", meituan_sync, meituan_protocol, "sign_string", meituan_without_url, "703"),
    "tiktok_shop": Case("tts_sandbox", lambda s: tts_kit.run_tap(tts_kit.tap_config(s)), tts_protocol, "string_to_sign", tiktok_without_body, "106001"),
    "kingdee": Case(
        "kingdee_sandbox",
        lambda s: run_erp_tap(TapKingdee, s.tap_config(pii_salt=PII_SALT, **FAST)),
        kingdee_protocol,
        "api_sign_string",
        kingdee_without_query_line,
        "X-Api-Signature",
    ),
    "yonyou": Case(
        "yonyou_sandbox",
        lambda s: run_erp_tap(TapYonyou, s.tap_config(pii_salt=PII_SALT, **FAST)),
        yonyou_protocol,
        "sign",
        yonyou_timestamp_first,
        "签名验证失败",
    ),
}


@pytest.mark.parametrize("source", sorted(CASES))
def test_sandbox_refuses_a_tap_with_a_wrong_pre_hash_string(source: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES[source]
    sandbox = request.getfixturevalue(case.fixture)(20)
    assert case.sync(sandbox).records  # the tap's own signing passes the sandbox's independent check

    monkeypatch.setattr(case.module, case.attribute, case.broken)
    with pytest.raises(TapFailed) as failure:
        case.sync(sandbox)
    assert case.signature_error in str(failure.value.cause)
