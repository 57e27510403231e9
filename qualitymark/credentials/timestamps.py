"""XML Schema dateTime values as credentials carry them ("2025-01-31T09:30:00Z")."""
from __future__ import annotations

import re
from datetime import datetime, timezone

# An XML Schema dateTimeStamp: a dateTime that names its time zone. `fromisoformat` alone would
# also accept forms a JSON-LD processor elsewhere would reject (week dates, no zone, spaces).
_DATETIME_STAMP = re.compile(
    r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"
)


def format_datetime(moment: datetime) -> str:
    """`moment` in UTC to the second, e.g. "2025-01-31T09:30:00Z".

    Whole seconds because every verifier parses them; a naive datetime is refused because its
    zone would be a guess.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone; pass an aware datetime (UTC)")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(value: object) -> datetime:
    """An aware datetime from an XML Schema dateTimeStamp string; ValueError otherwise."""
    if not isinstance(value, str) or not _DATETIME_STAMP.fullmatch(value):
        raise ValueError(f"{value!r} is not a date and time with a time zone, such as 2025-01-31T09:30:00Z")
    try:
        return datetime.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"{value!r} is not a real date and time") from error
