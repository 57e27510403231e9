"""Every task the service runs. Each is idempotent and takes JSON arguments."""
from __future__ import annotations

from qualitymark.jobs.outbox import task
from qualitymark.mail import deliver


@task("send_email")
def send_email(to: str, subject: str, body: str) -> None:
    deliver(to=to, subject=subject, body=body)


@task("delete_evidence_file")
def delete_evidence_file(storage_key: str) -> None:
    from qualitymark.services.evidence import store

    store().delete(storage_key)
