"""Shared model pieces: the constraint naming convention and a UTC datetime type."""

from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

# Stable constraint names, so Alembic migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = SQLModel.metadata
metadata.naming_convention = NAMING_CONVENTION


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes in UTC on every database.

    SQLite has no time zones and hands back naive values; comparing those with
    `utcnow()` would raise. Values are stored in UTC and always come back aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use qualitymark.clock.utcnow()")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utc_column(**kwargs):
    """sa_column arguments for a UTC datetime field."""
    from sqlalchemy import Column

    return Column(UTCDateTime(), **kwargs)


__all__ = ["NAMING_CONVENTION", "UTCDateTime", "datetime", "metadata", "utc_column"]
