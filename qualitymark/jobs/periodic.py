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
