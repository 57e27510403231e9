"""The database: one engine per app, one session per request (or job, or CLI command).

The request commits once, after the view returned a response below 400; any error rolls back.
Jobs queued with `qualitymark.jobs.enqueue` ride on the same session and are released only
after that commit (see jobs/outbox.py).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from qualitymark.models.base import metadata  # noqa: F401  (naming convention set on import)

_EXTENSION = "qualitymark.db"


def make_engine(url: str) -> Engine:
    kwargs: dict = {"future": True}
    if url.startswith("sqlite"):
        # Flask's dev server and the inline job runner use threads.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            # Foreign keys are off by default in SQLite; constraints must hold there too.
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
    return engine


class Database:
    def __init__(self, url: str):
        self.engine = make_engine(url)
        self.session_factory = sessionmaker(self.engine, class_=Session, expire_on_commit=False)

    def new_session(self) -> Session:
        return self.session_factory()

    def dispose(self) -> None:
        self.engine.dispose()


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = Database(app.config["DATABASE_URL"])

    @app.after_request
    def _commit(response):
        session = g.pop("db_session", None)
        if session is not None:
            try:
                if response.status_code < 400:
                    session.commit()
                else:
                    session.rollback()
            finally:
                session.close()
        return response

    @app.teardown_appcontext
    def _close(exc):
        # Reached with a session still open only when the request failed (or outside a
        # request: a CLI command that did not commit): roll back so nothing half-done stays.
        session = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()


def database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions[_EXTENSION]


def session() -> Session:
    """The session of the current request, job or command (created on first use)."""
    if "db_session" not in g:
        g.db_session = database().new_session()
    return g.db_session


def commit() -> None:
    """Commit the current session: for CLI commands and jobs. Requests commit by themselves."""
    if "db_session" in g:
        g.db_session.commit()


@contextmanager
def fresh_session() -> Iterator[Session]:
    """A session outside the request's own, committed on success (jobs, CLI)."""
    new = database().new_session()
    try:
        yield new
        new.commit()
    except BaseException:
        new.rollback()
        raise
    finally:
        new.close()
