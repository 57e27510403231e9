"""The schema comes from migrations and matches the models; configuration fails loudly and clearly."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from qualitymark.config import ConfigurationError, load_settings
from qualitymark.models import metadata


def test_models_and_migrations_agree(database_url):
    """Autogenerate finds nothing to add: every model change has its migration."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "target_metadata": metadata})
        differences = compare_metadata(context, metadata)
    engine.dispose()
    assert differences == [], "models differ from migrations; run `qualitymark db revision -m ...`"


def test_the_schema_is_built_by_migrations(database_url):
    engine = create_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert "alembic_version" in tables
    assert {"user_account", "membership", "staff_role", "audit_event", "job"} <= tables


def test_constraints_hold_in_the_database(app):
    from sqlalchemy.exc import IntegrityError

    from qualitymark import db
    from qualitymark.models.accounts import StaffRole, User

    with app.app_context():
        session = db.session()
        session.add(User(email="UPPER@example.coop", name="x", password_hash="x"))
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()
        user = User(email="ok@example.coop", name="x", password_hash="x")
        session.add(user)
        session.flush()
        session.add(StaffRole(user_id=user.id, role="overlord"))
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()


def test_defaults_run_locally_with_nothing_installed(tmp_path):
    settings = load_settings({"QUALITYMARK_INSTANCE_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path}/qualitymark.db"
    assert settings.redis_url is None and settings.mail_backend == "log"
    # A secret is generated once, kept private, and reused.
    secret_file = tmp_path / "secret_key"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert load_settings({"QUALITYMARK_INSTANCE_DIR": str(tmp_path)}).secret_key == settings.secret_key


@pytest.mark.parametrize(
    ("environment", "names"),
    [
        ({}, ["QUALITYMARK_SECRET_KEY", "QUALITYMARK_BASE_URL", "QUALITYMARK_DATABASE_URL"]),
        ({"QUALITYMARK_SECRET_KEY": "short"}, ["QUALITYMARK_SECRET_KEY"]),
        ({"QUALITYMARK_SECRET_KEY": "x" * 40, "QUALITYMARK_DATABASE_URL": "postgresql+psycopg://db/qm"},
         ["QUALITYMARK_BASE_URL"]),
        ({"QUALITYMARK_SECRET_KEY": "x" * 40, "QUALITYMARK_DATABASE_URL": "postgresql+psycopg://db/qm",
          "QUALITYMARK_BASE_URL": "http://mark.example.coop"}, ["https://"]),
    ],
)
def test_production_refuses_to_start_without_secrets_and_says_which(tmp_path, environment, names):
    with pytest.raises(ConfigurationError) as error:
        load_settings({"QUALITYMARK_ENV": "production", "QUALITYMARK_INSTANCE_DIR": str(tmp_path), **environment})
    for name in names:
        assert name in str(error.value)
    assert not (tmp_path / "secret_key").exists()


def test_production_starts_when_everything_is_set(tmp_path):
    settings = load_settings({
        "QUALITYMARK_ENV": "production", "QUALITYMARK_INSTANCE_DIR": str(tmp_path),
        "QUALITYMARK_SECRET_KEY": "x" * 40, "QUALITYMARK_BASE_URL": "https://mark.example.coop/",
        "QUALITYMARK_DATABASE_URL": "postgresql+psycopg://db/qm",
    })
    assert settings.production and settings.base_url == "https://mark.example.coop"


def test_the_readme_lists_every_configuration_variable():
    from pathlib import Path

    from qualitymark.config import VARIABLES

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    missing = [name for name in VARIABLES if f"`{name}`" not in readme]
    assert missing == [], f"add these to the README's configuration table: {missing}"
