"""Alembic environment: the schema is the SQLModel metadata; SQLite migrates in batch mode."""
from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

import qualitymark.models  # noqa: F401  (registers every table)
from qualitymark.models.base import UTCDateTime, metadata

config = context.config
target_metadata = metadata


def render_item(type_, obj, autogen_context):
    # Our UTC type is DateTime(timezone=True) underneath; migrations need not import it.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from qualitymark.config import load_settings

        url = load_settings().database_url
    return url


def _configure(**kwargs) -> None:
    url = kwargs.pop("url", None) or _url()
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=url.startswith("sqlite"),
        render_item=render_item,
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = engine_from_config({"sqlalchemy.url": _url()}, prefix="sqlalchemy.", poolclass=pool.NullPool)
        with engine.connect() as connection:
            _configure(connection=connection, url=str(engine.url))
            with context.begin_transaction():
                context.run_migrations()
        engine.dispose()
    else:
        _configure(connection=connectable, url=str(connectable.engine.url))
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
