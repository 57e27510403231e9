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


@task("issue_certificate")
def issue_certificate(decision_id: int) -> None:
    from qualitymark.services.certificates import issue_certificate as issue

    issue(decision_id)


@task("render_certificate_pdf")
def render_certificate_pdf(certificate_id: int) -> None:
    from qualitymark import db
    from qualitymark.models.certificates import Certificate
    from qualitymark.services.certificates import render_pdf

    certificate = db.session().get(Certificate, certificate_id)
    if certificate is not None:
        render_pdf(certificate)
