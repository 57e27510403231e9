"""Periodic work. `rq cron qualitymark.jobs.cron` runs these in production; without Redis,
`qualitymark jobs periodic` runs the same functions (from the system's cron, or by hand)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from flask import current_app, has_app_context
from sqlmodel import select

from qualitymark import db
from qualitymark.clock import utcnow
from qualitymark.models.jobs import JobRecord

log = logging.getLogger(__name__)

# (function, interval in seconds). Later features add reminders, expiry, status-list refresh.
SCHEDULE: list[tuple[Callable[[], object], int]] = []


def periodic(interval_seconds: int):
    def register(func):
        def run():
            if has_app_context():
                return func()
            from qualitymark.jobs.runner import _app

            with _app().app_context():
                return func()

        run.__name__ = func.__name__
        run.__qualname__ = func.__qualname__
        run.__module__ = func.__module__
        run.__wrapped__ = func
        SCHEDULE.append((run, interval_seconds))
        return run

    return register


@periodic(interval_seconds=300)
def requeue_pending_jobs(older_than_seconds: int = 300) -> int:
    """Send again the jobs that a Redis outage or a dead worker left pending."""
    from qualitymark.jobs.outbox import dispatch

    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    ids = db.session().exec(
        select(JobRecord.id).where(JobRecord.status == "pending", JobRecord.created_at <= cutoff)
    ).all()
    db.session().rollback()
    app = current_app._get_current_object()
    for job_id in ids:
        dispatch(app, job_id)
    if ids:
        log.info("sent %d pending job(s) again", len(ids))
    return len(ids)


def run_all() -> dict[str, object]:
    return {func.__name__: func() for func, _interval in SCHEDULE}


@periodic(interval_seconds=3600)
def send_review_reminders() -> int:
    from qualitymark.services.reviews import send_reminders

    sent = send_reminders()
    db.commit()
    return len(sent)


@periodic(interval_seconds=6 * 3600)
def refresh_status_lists() -> int:
    """Re-sign status lists before their signed copies expire, so verifiers never see a stale one."""
    from qualitymark.services.certificates import refresh_stale_status_lists

    count = refresh_stale_status_lists()
    db.commit()
    return count


@periodic(interval_seconds=3600)
def issue_missing_certificates() -> int:
    """Invariant 7: the decision row is the point of truth. A certify decision whose issuing job was
    lost (Redis down, worker crashed) gets its job again; issuing itself is idempotent."""
    from qualitymark.jobs import enqueue
    from qualitymark.models.certificates import Certificate
    from qualitymark.models.reviews import Decision

    missing = db.session().exec(
        select(Decision.id).where(
            Decision.outcome != "decline",
            Decision.application_id.not_in(select(Certificate.application_id)),
            # Only decisions still in force: a corrected one no longer counts.
            Decision.id.not_in(select(Decision.replaces_id).where(Decision.replaces_id.is_not(None))),
        )).all()
    for decision_id in missing:
        enqueue("issue_certificate", decision_id=decision_id)
    db.commit()
    return len(missing)


@periodic(interval_seconds=24 * 3600)
def delete_expired_evidence() -> int:
    """Evidence files are kept for the retention period after a decision, then deleted (hashes stay)."""
    from qualitymark.services.privacy import delete_expired_evidence as delete

    count = delete()
    db.commit()
    return count


@periodic(interval_seconds=3600)
def send_lifecycle_notices() -> int:
    """Renewal reminders (6, 3 and 1 months before expiry), expiry notices, annual-declaration
    reminders and the office's alert for a missing declaration. Each is sent once, whenever this
    runs and however often; after downtime only the latest reminder due goes out."""
    from qualitymark.services.lifecycle import send_lifecycle_notices as send

    sent = send()
    db.commit()
    return len(sent)
