from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlmodel import Session, select

from qualitymark import db
from qualitymark.models.jobs import JobRecord

log = logging.getLogger(__name__)

TASKS: dict[str, Callable[..., Any]] = {}
_PENDING = "qualitymark.pending_jobs"


def task(name: str):
    """Register a function as a task that `enqueue(name, ...)` can run."""

    def register(func):
        if name in TASKS and TASKS[name] is not func:
            raise RuntimeError(f"two tasks are called {name!r}")
        TASKS[name] = func
        return func

    return register


def enqueue(task_name: str, *, key: str | None = None, **kwargs: Any) -> JobRecord | None:
    """Queue `task_name(**kwargs)` to run once the current transaction commits.

    `key` makes the call idempotent: while a job with that key exists, another enqueue is a
    no-op and returns None. Arguments must be JSON values (ids, strings), never objects.
    """
    if task_name not in TASKS:
        raise KeyError(f"no task called {task_name!r}; known: {sorted(TASKS)}")
    session = db.session()
    if key is not None:
        existing = session.exec(select(JobRecord).where(JobRecord.key == key)).first()
        if existing is not None:
            return None
    record = JobRecord(task=task_name, args=kwargs, key=key)
    session.add(record)
    session.flush()
    session.info.setdefault(_PENDING, []).append(record)
    return record


def _release_after_commit(session: Session) -> None:
    # SQLAlchemy also calls this when a SAVEPOINT is released: that is not the commit yet.
    if session.in_nested_transaction():
        return
    records = session.info.pop(_PENDING, [])
    if not records:
        return
    app = current_app._get_current_object()
    for record in records:
        dispatch(app, record.id)


def _forget_after_rollback(session: Session) -> None:
    # A rolled-back SAVEPOINT keeps the outer transaction's jobs (one of its own, if any, finds no
    # row when it runs and does nothing); only the real rollback forgets them all.
    if session.in_nested_transaction():
        return
    session.info.pop(_PENDING, None)


def dispatch(app: Flask, job_id: int) -> None:
    """Send one committed job on its way: to RQ, or run it here and now."""
    queue = app.extensions.get("qualitymark.queue")
    if queue is None:
        # Inline: a fresh app context gives the job its own session, as a worker would.
        with app.app_context():
            from qualitymark.jobs.runner import run_job_in_context

            try:
                run_job_in_context(job_id)
            except Exception:
                # The change that asked for the job is committed; the row stays 'pending'
                # or 'failed' and `qualitymark jobs requeue` can run it again.
                log.exception("job %s failed in-process", job_id)
        return
    from rq import Retry

    try:
        queue.enqueue(
            "qualitymark.jobs.runner.run_job",
            job_id,
            job_id=f"qualitymark-job-{job_id}",
            retry=Retry(max=app.config["JOB_RETRIES"], interval=app.config["JOB_RETRY_INTERVALS"]),
            failure_ttl=7 * 24 * 3600,
        )
    except Exception:
        # Redis down: the row is still 'pending' and will be re-sent by `jobs requeue`.
        log.exception("could not send job %s to the queue; it stays pending in the database", job_id)


def init_app(app: Flask) -> None:
    app.config.setdefault("JOB_RETRIES", 3)
    app.config.setdefault("JOB_RETRY_INTERVALS", [10, 60, 300])
    if app.config.get("REDIS_URL"):
        from redis import Redis
        from rq import Queue

        connection = Redis.from_url(app.config["REDIS_URL"])
        app.extensions["qualitymark.redis"] = connection
        app.extensions["qualitymark.queue"] = Queue(app.config["QUEUE_NAME"], connection=connection)
    factory = db.database(app).session_factory
    event.listen(factory, "after_commit", _release_after_commit)
    event.listen(factory, "after_rollback", _forget_after_rollback)
    # Importing the task modules registers them.
    from qualitymark.jobs import tasks  # noqa: F401
