"""Protocol behaviour every tap shares, proven once per source against its sandbox: retries and secrets.

A throttle answer carrying a wait hint is retried after at least that wait (the policy's own backoff would wait
~1 ms at test speed); a hint longer than ``retry_max_wait_seconds`` fails at once with a message naming both, never
sleeping it off. Waits are checked as the waits the tap asked for (``asked_waits``), plus a generous lower bound
between the two arrivals at the sandbox; nothing bounds how long this machine takes. What a source contributes is
its kit's ``PROTOCOL``; per-source behaviour (codes, envelopes, messages, signatures and personal data in logs)
stays in ``tests/taps/<source>/``.
"""

from __future__ import annotations

import logging

import pytest
from tests.support.erp_tapkit import kingdee_sandbox, sap_sandbox, yonyou_sandbox  # noqa: F401 - fixtures
from tests.support.singer_run import SyncResult, TapFailed, run_tap
from tests.taps.eleme.kit import make_eleme  # noqa: F401 - fixture
from tests.taps.jd.kit import jd_sandbox  # noqa: F401 - fixture
from tests.taps.meituan.kit import make_meituan  # noqa: F401 - fixture
from tests.taps.pinduoduo.kit import pdd_sandbox  # noqa: F401 - fixture
from tests.taps.shopify.kit import shopify_sandboxes  # noqa: F401 - fixture
from tests.taps.specs import PROTOCOL_SOURCES, ProtocolSpec, kit_of
from tests.taps.taobao.kit import taobao_sandbox  # noqa: F401 - fixture
from tests.taps.tiktok_shop.kit import tts_sandbox  # noqa: F401 - fixture
from tests.taps.youzan.kit import make_youzan  # noqa: F401 - fixture

from orderlayer.taps.common.errors import SourceAPIError

#: The hint a throttled call carries in the honoured case, and the least gap the sandbox must see (clock granularity).
SHORT_HINT, LEAST_GAP = 0.4, 0.3
LONG_HINT = {"taobao": 22238}  # the ban TOP announced in a captured answer (shared/channels/taobao.md, S16)


def spec_of(source: str) -> ProtocolSpec:
    return kit_of(source).PROTOCOL


def sync(spec: ProtocolSpec, sandbox: object, **overrides: object) -> SyncResult:
    return run_tap(spec.tap_class, spec.config(sandbox, **overrides))


@pytest.mark.parametrize("source", PROTOCOL_SOURCES)
def test_a_retry_hint_is_waited_before_the_retry(source: str, request: pytest.FixtureRequest, asked_waits: list[float]) -> None:
    spec = spec_of(source)
    sandbox = spec.start(request.getfixturevalue(spec.fixture), SHORT_HINT)
    sandbox.set_faults(rate_limit_next=1)
    sync(spec, sandbox)
    first, second = spec.calls(sandbox)[:2]
    assert [call.get(spec.code_key) for call in (first, second)][: len(spec.throttle_codes)] == list(spec.throttle_codes)
    assert any(wait >= SHORT_HINT for wait in asked_waits), asked_waits
    assert second["at"] - first["at"] >= LEAST_GAP


@pytest.mark.parametrize("source", PROTOCOL_SOURCES)
def test_a_retry_hint_above_the_cap_fails_at_once_naming_both(source: str, request: pytest.FixtureRequest, asked_waits: list[float]) -> None:
    spec = spec_of(source)
    hint = LONG_HINT.get(source, 300)
    sandbox = spec.start(request.getfixturevalue(spec.fixture), hint)
    sandbox.set_faults(rate_limit_next=1)
    with pytest.raises(TapFailed) as failed:
        sync(spec, sandbox, retry_max_wait_seconds=5)
    assert isinstance(failed.value.cause, SourceAPIError)
    assert f"retry after {hint} s, more than the 5 s cap" in str(failed.value.cause)
    assert [wait for wait in asked_waits if wait >= 5] == []  # nothing slept off
    assert len(spec.calls(sandbox)) == 1


@pytest.mark.parametrize("source", PROTOCOL_SOURCES)
def test_a_call_still_failing_after_max_tries_ends_the_sync_with_advice(source: str, request: pytest.FixtureRequest) -> None:
    spec = spec_of(source)
    sandbox = spec.start(request.getfixturevalue(spec.fixture), 0)
    sandbox.set_faults(**{spec.give_up_fault: 100})
    with pytest.raises(TapFailed) as failed:
        sync(spec, sandbox, max_tries=3)
    message = str(failed.value.cause)
    assert isinstance(failed.value.cause, SourceAPIError)
    assert "still failing after 3 tries" in message and spec.give_up_names in message
    assert "run the sync again later" in message and "max_requests_per_second" in message
    assert len(spec.calls(sandbox)) == 3


@pytest.mark.parametrize("source", PROTOCOL_SOURCES)
def test_no_setting_the_schema_marks_secret_reaches_the_logs(
    source: str, request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sync with a retry, logged at DEBUG (urllib3's request lines included): no value of a setting the tap's
    schema declares ``secret`` appears in what an operator reads."""
    spec = spec_of(source)
    sandbox = spec.start(request.getfixturevalue(spec.fixture), 0.01)
    sandbox.set_faults(rate_limit_next=1)
    config = spec.config(sandbox)
    properties = spec.tap_class.config_jsonschema["properties"]
    secrets = {key: str(config[key]) for key, prop in properties.items() if prop.get("secret") and config.get(key)}
    assert "pii_salt" in secrets and len(secrets) >= 2  # the salt and at least one credential
    with caplog.at_level(logging.DEBUG):
        result = run_tap(spec.tap_class, config)
    logs = caplog.text + capsys.readouterr().err
    assert result.records and "Retrying" in logs
    assert [key for key, value in secrets.items() if value in logs] == []
