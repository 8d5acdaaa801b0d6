"""`orderlayer alert test` and the `alerts:` block of orderlayer.yml."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from orderlayer.cli.main import app
from orderlayer.core.config import ConfigError, load_settings

from .receiver import webhook


def _config(tmp_path: Path, alerts: str) -> Path:
    path = tmp_path / "orderlayer.yml"
    path.write_text(f"database: {tmp_path / 'w.duckdb'}\nalerts:\n{alerts}", encoding="utf-8")
    return path


def _invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})
    return result.exit_code, result.output


def test_alert_test_sends_a_sample_to_each_destination_or_one(tmp_path: Path) -> None:
    with webhook() as robot, webhook(answer="ok") as slack:
        config = _config(
            tmp_path,
            "  destinations:\n"
            "    robot: {kind: dingtalk, webhook_env: T_ROBOT, secret_env: T_SECRET}\n"
            "    chat: {kind: slack, webhook_env: T_SLACK}\n",
        )
        env = {"T_ROBOT": robot.url, "T_SECRET": "SECabc", "T_SLACK": slack.url}
        code, out = _invoke("alert", "test", "--config", str(config), env=env)
        assert code == 0, out
        assert "robot" in out and "chat" in out and out.count("sent") == 2
        assert (len(robot.received), len(slack.received)) == (1, 1)
        sample = robot.received[0].body["markdown"]
        assert sample["title"].startswith("[test] orderlayer:") and "R6" in sample["text"]
        assert {"timestamp", "sign"} <= set(robot.received[0].query)

        code, out = _invoke("alert", "test", "--to", "chat", "--config", str(config), env=env)
        assert code == 0 and (len(robot.received), len(slack.received)) == (1, 2)

        code, out = _invoke("alert", "test", "--to", "nope", "--config", str(config), env=env)
        assert code == 2 and "--to nope: no such destination; configured: robot, chat" in out


def test_alert_test_exits_1_when_a_destination_fails_and_2_without_destinations(tmp_path: Path) -> None:
    with webhook(status=500) as broken:
        config = _config(tmp_path, "  destinations:\n    dq: {kind: wecom, webhook_env: T_WECOM}\n")
        code, out = _invoke("alert", "test", "--config", str(config), env={"T_WECOM": broken.url})
    assert code == 1 and "failed" in out and "HTTP 500" in out and "127.0.0.1" not in out
    code, out = _invoke("alert", "test", "--config", str(_config(tmp_path, "  destinations: {}\n")))
    assert code == 2 and "no alerts.destinations" in out


def test_a_secret_pasted_into_the_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    url = "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef"
    config = _config(tmp_path, f"  destinations:\n    team: {{kind: dingtalk, webhook_env: '{url}'}}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    message = str(caught.value)
    assert "alerts.destinations.team.dingtalk.webhook_env" in message and "name of an environment variable" in message
    assert "0123456789abcdef" not in message


@pytest.mark.parametrize(
    ("alerts", "key", "fix"),
    [
        ("  destinations:\n    x: {kind: teams, webhook_env: X}\n", "alerts.destinations.x", "'dingtalk', 'wecom', 'slack', 'email'"),
        ("  destinations:\n    x: {kind: wecom, webhook_env: X, gates: [R99x]}\n", "alerts.destinations.x.wecom.gates.0", "gate id"),
        ("  destinations:\n    x: {kind: slack, webhook_env: X, channels: [JD]}\n", "alerts.destinations.x.slack.channels.0", "channel name"),
        ("  destinations:\n    x: {kind: email, host: h, sender: a@b.c, to: []}\n", "alerts.destinations.x.email.to", "at least 1 item"),
        ("  destinations:\n    x: {kind: email, host: h, sender: a@b.c, to: [a@b.c], security: tls}\n", "alerts.destinations.x.email.security", "'starttls', 'ssl' or 'none'"),
        ("  destinations:\n    x: {kind: slack, webhook_env: X, url: y}\n", "alerts.destinations.x.slack.url", "unknown key"),
        ("  timeout_seconds: 0\n", "alerts.timeout_seconds", "greater than 0"),
    ],
)
def test_every_alerts_key_is_validated(tmp_path: Path, alerts: str, key: str, fix: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_config(tmp_path, alerts))
    line = next(x for x in str(caught.value).splitlines() if x.strip().startswith(key + ":"))
    assert fix in line


def test_routing_by_channel_and_gate(tmp_path: Path) -> None:
    settings = load_settings(
        _config(tmp_path, "  destinations:\n    jd_dq: {kind: wecom, webhook_env: X, channels: [jd], gates: [R6, Y6]}\n")
    )
    dest = settings.alerts.destinations["jd_dq"]
    assert [dest.routes(g, c) for g, c in [("R6", "jd"), ("Y6", "jd"), ("R6", "douyin"), ("R2", "jd"), ("R6", None)]] == [
        True, True, False, False, False,
    ]
