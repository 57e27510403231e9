"""SQL queries per request, counted in-process: the same request through Flask's test client, with an
SQLAlchemy `before_cursor_execute` listener on the app's engine, against one size's database.

    python -m bench.queries MANIFEST.json WORK_DIR [REDIS_URL]

Prints one JSON object: for each page, the number of statements of the (second, warm) request,
their total database time, and the statements themselves with their times (slowest first).
The app is built in production mode from the same environment gunicorn gets.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.client import Browser, FlaskSender, sign_in
from bench.common import BASE_URL, app_env


def pages(manifest: dict) -> dict[str, tuple[str | None, str]]:
    """name -> (who signs in, path). The names are the ones the results table uses."""
    code = manifest["certificate_codes"][0]
    return {
        "register": (None, f"/register?q={manifest['register_queries'][0]}"),
        "office": ("officer", "/office/"),
        "reviews": ("assessor", "/reviews"),
        "certificate": (None, f"/c/{code}"),
        "credential": (None, f"/c/{code}.json"),
    }


def count(manifest: dict, work: Path, redis_url: str | None) -> dict:
    import logging

    from sqlalchemy import event

    from qualitymark import create_app, db
    from qualitymark.config import load_settings

    env = app_env(work, manifest["database"], production=True, redis_url=redis_url)
    app = create_app(load_settings(env))
    logging.getLogger().setLevel(logging.WARNING)
    engine = db.database(app).engine
    recorded: list[list] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        started = conn.info["bench_started"].pop()
        recorded.append([round((time.perf_counter() - started) * 1000, 3), " ".join(statement.split())])

    browsers = {None: Browser(FlaskSender(app, BASE_URL))}
    who = {"officer": manifest["officer_inprocess"], "assessor": manifest["assessor"]}
    results = {}
    for name, (role, path) in pages(manifest).items():
        if role not in browsers:
            browsers[role] = Browser(FlaskSender(app, BASE_URL))
            sign_in(browsers[role], who[role], manifest["password"], manifest.get("totp_secret"))
        browser = browsers[role]
        browser.get(path, follow=False)  # first request: warms caches (rubric parse, templates)
        recorded.clear()
        started = time.perf_counter()
        response = browser.get(path, follow=False)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status} in-process (expected 200)")
        statements = sorted(recorded, key=lambda item: -item[0])
        results[name] = {
            "path": path, "status": response.status, "queries": len(recorded),
            "db_ms": round(sum(ms for ms, _s in recorded), 2), "request_ms": round(elapsed, 2),
            "statements": [{"ms": ms, "sql": sql[:2000]} for ms, sql in statements],
        }
    db.database(app).dispose()
    return results


def main() -> int:
    manifest = json.loads(Path(sys.argv[1]).read_text())
    work = Path(sys.argv[2])
    redis_url = sys.argv[3] if len(sys.argv) > 3 else None
    print("BENCH_JSON " + json.dumps(count(manifest, work, redis_url)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
