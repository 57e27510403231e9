"""Jobs leave only with a committed transaction, and run once — in-process and on real Redis."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlmodel import select

from helpers import REDIS_URL, app_environment, need
from qualitymark import db
from qualitymark.jobs import enqueue, task
from qualitymark.models.jobs import JobRecord

CALLS: list[str] = []


@task("test_record_call")
def record_call(label: str) -> None:
    CALLS.append(label)


@task("test_always_fails")
def always_fails() -> None:
    raise RuntimeError("this task always fails")


@pytest.fixture(autouse=True)
def _clear_calls():
    CALLS.clear()


def test_a_job_queued_in_a_transaction_that_rolls_back_never_runs(app, db_session):
    with app.app_context():
        enqueue("test_record_call", label="rolled back")
        db.session().rollback()
    with app.app_context():
        db.commit()  # a later commit must not release the forgotten job
    assert CALLS == []
    assert db_session.exec(select(JobRecord)).all() == []


def test_a_job_queued_in_a_transaction_that_commits_runs_once_inline(app, db_session):
    with app.app_context():
        enqueue("test_record_call", label="committed")
        assert CALLS == []  # not before the commit
        db.commit()
    assert CALLS == ["committed"]
    record = db_session.exec(select(JobRecord)).one()
    assert (record.status, record.attempts) == ("done", 1)


def test_a_request_that_fails_sends_no_job(app):
    @app.route("/enqueue-then-fail", methods=["GET"])
    def enqueue_then_fail():
        enqueue("test_record_call", label="from a failed request")
        raise RuntimeError("the view failed after queueing")

    assert app.test_client().get("/enqueue-then-fail").status_code == 500
    assert CALLS == []


def test_an_idempotency_key_makes_a_second_enqueue_a_no_op(app):
    with app.app_context():
        assert enqueue("test_record_call", key="once", label="first") is not None
        assert enqueue("test_record_call", key="once", label="second") is None
        db.commit()
    assert CALLS == ["first"]


def test_a_failing_job_keeps_the_committed_change_and_records_the_error(app, db_session):
    from qualitymark.models.accounts import Organisation

    with app.app_context():
        db.session().add(Organisation(name="Kept Co-op", slug="kept"))
        enqueue("test_always_fails")
        db.commit()
    assert db_session.exec(select(Organisation.slug)).all() == ["kept"]
    record = db_session.exec(select(JobRecord)).one()
    assert record.status == "pending" and record.attempts == 1
    assert "this task always fails" in record.last_error


def test_requeue_runs_a_pending_job_again(app, runner, db_session):
    from qualitymark.jobs.outbox import _PENDING

    with app.app_context():
        record = enqueue("test_record_call", label="sent later")
        # Simulate Redis being down at commit time: the row is committed, nothing dispatched.
        db.session().info.pop(_PENDING)
        db.commit()
    assert CALLS == []
    result = runner.invoke(args=["jobs", "requeue", "--older-than", "0"])
    assert "Sent 1 pending job(s) again." in result.output, result.output
    assert CALLS == ["sent later"]
    # And a second requeue finds nothing more to do.
    assert "Sent 0" in runner.invoke(args=["jobs", "requeue", "--older-than", "0"]).output
    assert db_session.get(JobRecord, record.id).status == "done"


def test_email_is_sent_by_a_job_after_commit(app, outbox):
    from qualitymark.mail import send_mail

    with app.app_context():
        send_mail("someone@example.coop", "Hello", "Body text")
        assert outbox == []
        db.commit()
    assert [(m["To"], m["Subject"]) for m in outbox] == [("someone@example.coop", "Hello")]


# --- real Redis and a real rq worker --------------------------------------------------------

@pytest.fixture
def redis_app(make_app):
    if not REDIS_URL:
        need("Redis", "QUALITYMARK_TEST_REDIS_URL")
    queue_name = f"qm-test-{uuid.uuid4().hex[:8]}"
    app = make_app(QUALITYMARK_REDIS_URL=REDIS_URL, config={"QUEUE_NAME": queue_name})
    yield app
    app.extensions["qualitymark.queue"].delete(delete_jobs=True)


def run_worker(app, tmp_path: Path) -> subprocess.CompletedProcess:
    """The production worker (`qualitymark jobs worker`: the app built once, rq forking a process
    per job), in burst mode, with the same settings as the app."""
    settings = app.config["SETTINGS"]
    env = {
        **os.environ,
        **app_environment(tmp_path, settings.database_url),
        "QUALITYMARK_REDIS_URL": REDIS_URL,
        "QUALITYMARK_QUEUE_NAME": app.config["QUEUE_NAME"],
        "QUALITYMARK_MAIL_BACKEND": "log",
    }
    qualitymark = Path(sys.executable).with_name("qualitymark")
    return subprocess.run([str(qualitymark), "jobs", "worker", "--burst"], env=env, capture_output=True, text=True,
                          timeout=120)


def test_on_redis_a_committed_job_is_run_once_by_a_real_worker(redis_app, db_session, tmp_path):
    from qualitymark.mail import send_mail

    queue = redis_app.extensions["qualitymark.queue"]
    with redis_app.app_context():
        send_mail("worker@example.coop", "Sent by the worker", "Body")
        db.commit()
    assert queue.count == 1
    result = run_worker(redis_app, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert output.count("Subject: Sent by the worker") == 1, output
    record = db_session.exec(select(JobRecord)).one()
    assert (record.status, record.attempts) == ("done", 1)
    # Sending the same job again (a requeue racing a slow worker) does not send a second email.
    from qualitymark.jobs.outbox import dispatch

    redis_app.extensions["qualitymark.queue"].empty()
    dispatch(redis_app, record.id)
    again = run_worker(redis_app, tmp_path)
    assert "Subject: Sent by the worker" not in again.stdout + again.stderr


def test_on_redis_a_rolled_back_job_never_reaches_the_queue(redis_app, db_session):
    from qualitymark.mail import send_mail

    queue = redis_app.extensions["qualitymark.queue"]
    with redis_app.app_context():
        send_mail("worker@example.coop", "Never sent", "Body")
        db.session().rollback()
    assert queue.count == 0
    assert db_session.exec(select(JobRecord)).all() == []


def test_on_redis_a_failing_job_is_retried_with_back_off(redis_app):
    from rq import Queue

    with redis_app.app_context():
        record = enqueue("send_email", to="x@example.coop", subject="s", body="b")
        db.commit()
    queue: Queue = redis_app.extensions["qualitymark.queue"]
    job = queue.fetch_job(f"qualitymark-job-{record.id}")
    assert job is not None
    assert job.retries_left == redis_app.config["JOB_RETRIES"]
    assert job.retry_intervals == redis_app.config["JOB_RETRY_INTERVALS"]


def test_a_savepoint_is_not_the_commit(app, db_session):
    """Jobs wait for the real commit, not for a SAVEPOINT inside the transaction."""
    with app.app_context():
        enqueue("test_record_call", label="after the savepoint")
        with db.session().begin_nested():
            db.session().flush()
        assert CALLS == []
        db.commit()
    assert CALLS == ["after the savepoint"]


def test_a_rolled_back_savepoint_keeps_the_outer_transactions_jobs(app):
    with app.app_context():
        enqueue("test_record_call", label="outer")
        savepoint = db.session().begin_nested()
        savepoint.rollback()
        db.commit()
    assert CALLS == ["outer"]


def test_rq_cron_sends_every_periodic_job_to_the_configured_queue(monkeypatch):
    """`rq cron qualitymark.jobs.cron` loads this module; its jobs must reach the queue the workers take from."""
    from redis import Redis
    from rq.cron import CronScheduler

    from qualitymark.jobs.periodic import SCHEDULE

    monkeypatch.setenv("QUALITYMARK_QUEUE_NAME", "qm-elsewhere")
    scheduler = CronScheduler(connection=Redis())  # not connected: loading the config needs no server
    scheduler.load_config_from_file("qualitymark.jobs.cron")
    jobs = scheduler.get_jobs()
    assert {job.queue_name for job in jobs} == {"qm-elsewhere"}
    assert sorted(job.func.__name__ for job in jobs) == sorted(func.__name__ for func, _ in SCHEDULE)
    assert {"send_lifecycle_notices", "send_review_reminders", "refresh_status_lists"} <= {
        job.func.__name__ for job in jobs}
