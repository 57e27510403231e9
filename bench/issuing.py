"""Issuing through real `rq` workers: enqueue one `issue_certificate` job per prepared certify decision
with the app's own `qualitymark.jobs.enqueue`, commit, and time until every certificate (and every
certificate's PDF, rendered by the `render_certificate_pdf` job that issuing enqueues) is in the
database.

    python -m bench.issuing MANIFEST.json WORK_DIR REDIS_URL QUEUE [N] [TIMEOUT]

The workers are started by bench/run.py (`qualitymark jobs worker` with QUALITYMARK_QUEUE_NAME=QUEUE); this
process only enqueues and watches. Prints one JSON line.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import app_env


def issue(manifest: dict, work: Path, redis_url: str, queue: str, n: int, timeout: float) -> dict:
    import logging

    from sqlalchemy import func
    from sqlmodel import select

    from qualitymark import create_app, db
    from qualitymark.config import load_settings
    from qualitymark.jobs import enqueue
    from qualitymark.models.certificates import Certificate, CertificateDocument
    from qualitymark.models.jobs import JobRecord

    decisions = manifest["issue_decision_ids"][:n]
    env = app_env(work, manifest["database"], production=True, redis_url=redis_url)
    app = create_app(load_settings(env), QUEUE_NAME=queue)
    logging.getLogger().setLevel(logging.WARNING)
    database = db.database(app)

    def counts() -> tuple[int, int, dict[str, int]]:
        with database.new_session() as session:
            certificates = session.exec(select(func.count()).select_from(Certificate).where(
                Certificate.decision_id.in_(decisions))).one()
            documents = session.exec(select(func.count()).select_from(CertificateDocument).join(
                Certificate, Certificate.id == CertificateDocument.certificate_id).where(
                Certificate.decision_id.in_(decisions))).one()
            jobs = dict(session.exec(select(JobRecord.status, func.count()).where(JobRecord.id > first_job)
                                     .group_by(JobRecord.status)).all())
        return certificates, documents, jobs

    with database.new_session() as session:
        first_job = session.exec(select(func.coalesce(func.max(JobRecord.id), 0))).one()

    with app.app_context():
        started = time.perf_counter()
        for decision_id in decisions:
            enqueue("issue_certificate", decision_id=decision_id)
        db.commit()  # the jobs go to Redis after this commit
        enqueued = time.perf_counter() - started

    all_certificates = all_documents = None
    certificates = documents = 0
    jobs: dict[str, int] = {}
    while time.perf_counter() - started < timeout:
        certificates, documents, jobs = counts()
        now = time.perf_counter() - started
        if all_certificates is None and certificates >= len(decisions):
            all_certificates = now
        if documents >= len(decisions):
            all_documents = now
            break
        if jobs.get("failed"):
            break
        time.sleep(0.1)
    elapsed = time.perf_counter() - started
    certificates, documents, jobs = counts()
    with database.new_session() as session:
        by_task = dict(session.exec(select(JobRecord.task, func.count()).where(JobRecord.id > first_job)
                                    .group_by(JobRecord.task)).all())
    database.dispose()
    return {
        "n": len(decisions), "enqueue_seconds": round(enqueued, 3),
        "certificates": certificates, "documents": documents,
        "seconds_to_certificates": round(all_certificates, 3) if all_certificates else None,
        "seconds_to_documents": round(all_documents, 3) if all_documents else None,
        "elapsed": round(elapsed, 3), "timed_out": all_documents is None,
        "jobs_by_status": jobs, "jobs_by_task": by_task,
    }


def main() -> int:
    manifest = json.loads(Path(sys.argv[1]).read_text())
    work, redis_url, queue = Path(sys.argv[2]), sys.argv[3], sys.argv[4]
    n = int(sys.argv[5]) if len(sys.argv) > 5 else 200
    timeout = float(sys.argv[6]) if len(sys.argv) > 6 else 300
    print("BENCH_JSON " + json.dumps(issue(manifest, work, redis_url, queue, n, timeout)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
