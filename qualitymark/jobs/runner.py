"""What a worker runs: load the job row, run its task once, record the outcome."""
from __future__ import annotations

import logging
import os
import traceback

from flask import Flask

from qualitymark import db
from qualitymark.clock import utcnow
from qualitymark.models.jobs import JobRecord

log = logging.getLogger(__name__)
_worker_app: Flask | None = None
_app_pid: int | None = None


def use_app(app: Flask) -> None:
    """The app jobs run in: `qualitymark jobs worker` builds it once in the parent, before rq forks."""
    global _worker_app, _app_pid
    _worker_app, _app_pid = app, os.getpid()


def warm_up() -> None:
    """Import what the tasks use (signing, JSON-LD, PDF, QR), so each forked job starts with it loaded."""
    import qualitymark.certificates.render  # noqa: F401
    import qualitymark.credentials  # noqa: F401
    import qualitymark.services.certificates  # noqa: F401
    from qualitymark.jobs import tasks  # noqa: F401


def _app() -> Flask:
    # One app per worker process, built from the same environment as the web app, unless the
    # parent worker built it before forking.
    global _worker_app, _app_pid
    if _worker_app is None:
        from qualitymark import create_app

        use_app(create_app())
    elif _app_pid != os.getpid():
        # A forked child: database connections must not be shared with the parent. Drop the
        # inherited pool without closing the parent's sockets; this process opens its own.
        db.database(_worker_app).engine.dispose(close=False)
        _app_pid = os.getpid()
    return _worker_app


def run_job(job_id: int) -> str:
    """RQ entry point."""
    with _app().app_context():
        return run_job_in_context(job_id)


def _app_config(name: str):
    from flask import current_app

    return current_app.config[name]


def run_job_in_context(job_id: int) -> str:
    from qualitymark.jobs.outbox import TASKS

    session = db.session()
    record = session.get(JobRecord, job_id, with_for_update=session.bind.dialect.name != "sqlite")
    if record is None:
        log.warning("job %s is not in the database (its transaction never committed)", job_id)
        return "missing"
    if record.status != "pending":
        # Sent twice (requeue while the first run was slow): the work is done already.
        session.rollback()
        return "already done"
    record.attempts += 1
    try:
        TASKS[record.task](**record.args)
        record.status = "done"
        record.finished_at = utcnow()
        record.last_error = None
        session.commit()
        log.info("job %s (%s) done", job_id, record.task)
        return "done"
    except Exception:
        error = traceback.format_exc(limit=8)
        session.rollback()
        # Record the attempt in its own transaction; the task's half-done work is rolled back.
        with db.fresh_session() as other:
            failed = other.get(JobRecord, job_id)
            failed.attempts += 1
            failed.last_error = error[-4000:]
            if failed.attempts > _app_config("JOB_RETRIES"):
                # Out of retries: the office sees it in `qualitymark jobs list --failed`.
                failed.status = "failed"
                failed.finished_at = utcnow()
        raise
