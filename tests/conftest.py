"""Test harness.

Every test that takes `app` runs on SQLite, and on PostgreSQL too when
QUALITYMARK_TEST_DATABASE_URL is set. The schema is always built by the migrations
(`alembic upgrade head`), never by `create_all`. Job tests use a real Redis and a real
`rq worker` process when QUALITYMARK_TEST_REDIS_URL is set.

In CI (CI=true) a missing service is an error, not a skip: nothing is skipped silently there.
"""
from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from qualitymark import create_app
from qualitymark.clock import set_clock
from qualitymark.config import load_settings

from helpers import PASSWORD, PG_URL, Auth, app_environment, enable_two_factor_for_tests, need

REPO = Path(__file__).resolve().parents[1]
def upgrade(url: str) -> None:
    from qualitymark.cli import upgrade_database

    upgrade_database(url)


# --- databases ------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database():
    """A database of its own for this test run, migrated once, dropped at the end."""
    if not PG_URL:
        need("PostgreSQL", "QUALITYMARK_TEST_DATABASE_URL")
    admin_url = make_url(PG_URL)
    name = f"qm_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = connection.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )).scalars().all()
        if tables:
            quoted = ", ".join(f'"{table}"' for table in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "qualitymark.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_database")
        yield url
        _truncate_postgres(url)


# --- the app --------------------------------------------------------------------------------

@pytest.fixture
def make_app(tmp_path, database_url):
    apps = []

    def factory(**extra_env):
        config_overrides = extra_env.pop("config", {})
        settings = load_settings(app_environment(tmp_path, database_url, **extra_env))
        app = create_app(settings, SERVER_NAME="localhost", **config_overrides)
        apps.append(app)
        return app

    yield factory
    from qualitymark.db import database

    for app in apps:
        database(app).dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db_session(app):
    """A session for checking data, outside any app context.

    Not inside `app.app_context()`: a request made while a context is pushed would share it
    (and its session) instead of getting its own, as a real request does.
    """
    from qualitymark.db import database

    session = database(app).new_session()
    yield session
    session.close()


@pytest.fixture
def outbox(app):
    """Emails sent by jobs during the test (memory mail backend)."""
    return app.extensions.setdefault("qualitymark.outbox", [])


@pytest.fixture(autouse=True)
def _restore_clock():
    yield
    set_clock(None)


# --- people ---------------------------------------------------------------------------------

@pytest.fixture
def create_user(app):
    """Factory: a confirmed account with optional staff roles and co-op memberships."""
    from qualitymark import db
    from qualitymark.models.accounts import Membership, Organisation
    from qualitymark.services.accounts import create_staff_user
    from sqlmodel import select

    counter = iter(range(1, 10_000))

    def factory(email=None, name="Test Person", roles=(), password=PASSWORD, confirmed=True, member_of=None,
                membership_role="member"):
        number = next(counter)
        email = email or f"person{number}@example.coop"
        with app.app_context():
            user = create_staff_user(email, name, password, list(roles), confirmed=confirmed)
            if set(roles) & {"officer", "admin"}:
                enable_two_factor_for_tests(user)
            if member_of:
                organisation = db.session().exec(
                    select(Organisation).where(Organisation.slug == member_of)
                ).first()
                if organisation is None:
                    organisation = Organisation(name=member_of.title(), slug=member_of)
                    db.session().add(organisation)
                    db.session().flush()
                db.session().add(Membership(user_id=user.id, organisation_id=organisation.id, role=membership_role))
            db.commit()
            return user

    return factory


@pytest.fixture
def user(create_user):
    return create_user(email="ready@example.coop", name="Rhian Ready")


@pytest.fixture
def auth(client):
    return Auth(client)


pytest_plugins = ["applicant_fixtures", "review_fixtures"]
