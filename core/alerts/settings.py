"""The `alerts:` block of orderlayer.yml: where gate results go, and whose they are.

Every destination names the environment variables holding its webhook URL, signing secret or SMTP password;
the values never appear in the file (a webhook URL carries its access token). `channels` and `gates` route: a
destination gets the lights of those channels and gates only (empty: all), so each owner hears about theirs.
"""

from __future__ import annotations

import os
import re
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

def _matching(pattern: str, what: str) -> AfterValidator:
    def check(value: str) -> str:
        # the message never repeats the value: it may be a pasted secret
        if not re.fullmatch(pattern, value):
            raise ValueError(what)
        return value

    return AfterValidator(check)


#: An environment variable's name; a pasted URL or secret fails it, so none is ever kept in the file.
EnvName = Annotated[
    str,
    _matching(
        r"[A-Za-z_][A-Za-z0-9_]*",
        "must be the name of an environment variable (letters, digits, _), e.g. DINGTALK_WEBHOOK; "
        "put the URL or secret itself in that variable, never in this file",
    ),
]
ChannelName = Annotated[str, _matching(r"[a-z][a-z0-9_]{1,40}", "must be a channel name (lower-case letters, digits, _), as the report shows it")]
Address = Annotated[str, _matching(r"[^@\s]+@[^@\s]+", "must be an e-mail address such as dq@example.com")]
GateId = Annotated[str, _matching(r"[RY][0-9]{1,2}", "must be a gate id such as R6 or Y2")]


class SecretMissing(Exception):
    """An environment variable a destination names is not set; the message names the key and the variable."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Destination(_Strict):
    #: Owners: only these channels' lights (empty: every channel).
    channels: list[ChannelName] = Field(default_factory=list)
    #: Only these gates' lights, e.g. [R6, Y6] (empty: every gate).
    gates: list[GateId] = Field(default_factory=list)

    def routes(self, gate_id: str, channel: str | None) -> bool:
        return (not self.gates or gate_id in self.gates) and (not self.channels or channel in self.channels)


class DingTalk(_Destination):
    """DingTalk custom robot (自定义机器人): its webhook URL (with access_token) and, when the robot signs, its secret."""

    kind: Literal["dingtalk"]
    webhook_env: EnvName
    secret_env: EnvName | None = None


class WeCom(_Destination):
    """WeCom group robot (企业微信群机器人): its webhook URL (…/webhook/send?key=…)."""

    kind: Literal["wecom"]
    webhook_env: EnvName


class Slack(_Destination):
    """Slack incoming webhook: its URL (https://hooks.slack.com/services/…)."""

    kind: Literal["slack"]
    webhook_env: EnvName


class Email(_Destination):
    """E-mail through an SMTP server."""

    kind: Literal["email"]
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    #: starttls: plain connect then STARTTLS (port 587); ssl: TLS from the start (port 465); none: local relays only.
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username_env: EnvName | None = None
    password_env: EnvName | None = None
    sender: Address
    to: list[Address] = Field(min_length=1)


Destination = Annotated[Union[DingTalk, WeCom, Slack, Email], Field(discriminator="kind")]


class AlertSettings(_Strict):
    destinations: dict[str, Destination] = Field(default_factory=dict)
    #: Seconds a destination may take to answer; a slow one is logged and skipped, never waited for long.
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    #: Where the HTML reports are served (their file names are appended); default: the local path.
    report_url: Annotated[str, _matching(r"https?://\S+", "must be an http(s) URL")] | None = None


def secret(env_name: str, key: str) -> str:
    """The value of `env_name`; `key` (e.g. alerts.destinations.ops.webhook_env) is named when it is not set."""
    value = os.environ.get(env_name)
    if not value:
        raise SecretMissing(f"{key}: environment variable {env_name} is not set; export it before running")
    return value
