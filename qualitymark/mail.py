"""One mail helper. `send_mail` queues an email job; `deliver` is what the job calls."""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

log = logging.getLogger("qualitymark.mail")


def send_mail(to: str, subject: str, body: str, *, key: str | None = None) -> None:
    """Send an email once the current transaction commits."""
    from qualitymark.jobs import enqueue

    enqueue("send_email", key=key, to=to, subject=subject, body=body)


def deliver(to: str, subject: str, body: str) -> None:
    settings = current_app.config["SETTINGS"]
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="qualitymark")
    message.set_content(body)
    backend = settings.mail_backend
    if backend == "memory":
        current_app.extensions.setdefault("qualitymark.outbox", []).append(message)
    elif backend == "log":
        log.info("email to %s\nSubject: %s\n\n%s", to, subject, body)
    else:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            smtp.send_message(message)
