"""The one clock. Tests replace it with `set_clock`; everything else calls `utcnow()`."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone


def _system_now() -> datetime:
    return datetime.now(timezone.utc)


_now: Callable[[], datetime] = _system_now


def utcnow() -> datetime:
    """Timezone-aware current time in UTC."""
    return _now()


def set_clock(now: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); `None` restores the system clock."""
    global _now
    _now = now or _system_now
