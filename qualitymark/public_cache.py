"""Caches of the public pages that everyone sees alike (the verification page, the register).

Each process keeps its own entries, and every entry records the *generation* it was built at: a
number in Redis that goes up after every commit that changed a certificate or a co-op (a flush of
one of those rows sets a flag on the session; the commit bumps the number). A request reads the
number once — one Redis round trip, no database — and an entry of an older generation is not used,
so a suspension shows on every worker's next request. Entries also expire after `TTL` seconds, in
case a change ever reaches the database some other way (raw SQL, a restore).

Without Redis there is no shared number, so nothing is cached: several processes could not tell one
another about a change.
"""
from __future__ import annotations

import logging
from threading import Lock

from cachetools import TTLCache
from flask import Flask, current_app
from sqlalchemy import event

log = logging.getLogger(__name__)

_EXTENSION = "qualitymark.public_cache"
GENERATION_KEY = "qualitymark:public-generation"
TTL = 300
MAX_ENTRIES = 4096
_WATCHED = ("Certificate", "Organisation")


class PublicCache:
    def __init__(self, redis, key: str = GENERATION_KEY):
        self.redis, self.key = redis, key
        self.entries: TTLCache = TTLCache(maxsize=MAX_ENTRIES, ttl=TTL)
        self.lock = Lock()  # gthread workers share a process

    def generation(self) -> bytes | None:
        """The current generation, or None when it cannot be read (then nothing is served from cache)."""
        try:
            return self.redis.get(self.key) or b"0"
        except Exception:
            log.warning("public cache: Redis unreachable; pages are rendered afresh", exc_info=True)
            return None

    def bump(self) -> None:
        try:
            self.redis.incr(self.key)
        except Exception:
            # The TTL bounds how long another process can show the old page.
            log.exception("public cache: could not record a change; cached pages expire within %s s", TTL)

    def get(self, key, generation: bytes | None):
        if generation is None:
            return None
        with self.lock:
            entry = self.entries.get(key)
        if entry is None or entry[0] != generation:
            return None
        return entry[1]

    def put(self, key, generation: bytes | None, value) -> None:
        if generation is not None:
            with self.lock:
                self.entries[key] = (generation, value)


def cache(app: Flask | None = None) -> PublicCache | None:
    return (app or current_app).extensions.get(_EXTENSION)


def _note_public_changes(session, _flush_context, _instances) -> None:
    for instance in (*session.new, *session.dirty, *session.deleted):
        if type(instance).__name__ in _WATCHED:
            session.info["public_changed"] = True
            return


def init_app(app: Flask, connection=None) -> None:
    from qualitymark import db

    connection = connection or app.extensions.get("qualitymark.redis")
    if connection is None:
        return
    public = app.extensions[_EXTENSION] = PublicCache(
        connection, app.config.get("PUBLIC_CACHE_GENERATION_KEY", GENERATION_KEY))
    factory = db.database(app).session_factory

    def after_commit(session):
        # After the commit, never before: a request that read the old generation and then the old
        # row would otherwise store the old page under the new generation.
        if session.info.pop("public_changed", False):
            public.bump()

    # The flag is not cleared on rollback: a savepoint's rollback must not hide the outer
    # transaction's changes, and a needless bump costs only a re-render.
    event.listen(factory, "before_flush", _note_public_changes)
    event.listen(factory, "after_commit", after_commit)
