"""E-mail through SMTP (smtplib): STARTTLS, TLS from the start, or plain for a local relay."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from orderlayer.core.alerts.message import Alert, render
from orderlayer.core.alerts.settings import Email, secret
from orderlayer.core.alerts.webhook import SendFailed


def message(dest: Email, alert: Alert) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = alert.title
    mail["From"] = dest.sender
    mail["To"] = ", ".join(dest.to)
    mail.set_content(render(alert, "text"))
    return mail


def send(name: str, dest: Email, alert: Alert, timeout: float) -> None:
    key = f"alerts.destinations.{name}"
    username = secret(dest.username_env, f"{key}.username_env") if dest.username_env else None
    password = secret(dest.password_env, f"{key}.password_env") if dest.password_env else None
    try:
        if dest.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(dest.host, dest.port, timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(dest.host, dest.port, timeout=timeout)
        with smtp:
            if dest.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if username is not None:
                smtp.login(username, password or "")
            smtp.send_message(message(dest, alert))
    except (OSError, smtplib.SMTPException) as exc:
        # smtplib's texts name the server and the refusal, never the password
        raise SendFailed(f"SMTP {dest.host}:{dest.port}: {type(exc).__name__} {exc}"[:300]) from None
