"""One way to run work after a change is committed: `enqueue`.

    enqueue("send_email", to=..., subject=..., body=...)

writes a row in the job outbox within the current transaction. After that transaction commits
the job goes to RQ (with `QUALITYMARK_REDIS_URL`) or runs in-process; if it rolls back, the job
never existed. Tasks are plain functions registered with `@task("name")`; they run inside an
app context with their own database session, and must be idempotent: a retried job must not
repeat what it already did.
"""
from qualitymark.jobs.outbox import enqueue, init_app, task  # noqa: F401
