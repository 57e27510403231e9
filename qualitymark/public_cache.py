"""The cache of the public page that everyone sees alike: the verification page, `/c/<code>`.

Each process keeps its own entries, and every entry records the *generation* it was built at: a
number in Redis that goes up after every commit that changed a certificate, a co-op or a renewal's
standing (a flush of one of those rows sets a flag on the session; the commit bumps the number). An
entry of an older generation is not used, so a suspension shows on every worker's next request.

Reading the number from Redis on every request meant a blocking round trip, which on a busy server
cost a worker about a third of a cached page's CPU time (the wait and the switch to another process
and back). So each process subscribes to a channel of the same name and a change is pushed: `bump()`
increments the number, publishes, and returns only after one more round trip, by which time Redis
has sent the news to every subscriber (it writes all replies before it reads the next command). A
request only looks, without waiting, at what has arrived on its subscription, and reads the number
again when something has. So "at once" still holds: by the time the request that made a change has
its answer, every process has been sent the news (on one host it is already in the socket's buffer),
and the process that made the change forgets its number itself.
As a safety net for a lost subscription (a half-open connection), the number is also read at least
every `RECHECK_SECONDS`; while the subscription is down it is read on every request, as before.
Entries also expire after `TTL` seconds, in case a change ever reaches the database some other way
(raw SQL, a restore).

Without Redis there is no shared number, so nothing is cached: several processes could not tell one
another about a change.
"""
from __future__ import annotations

import logging
import os
import time
from threading import Lock

from cachetools import TTLCache
from flask import Flask, current_app
from sqlalchemy import event, inspect

log = logging.getLogger(__name__)

_EXTENSION = "qualitymark.public_cache"
GENERATION_KEY = "qualitymark:public-generation"
TTL = 300
MAX_ENTRIES = 4096
RECHECK_SECONDS = 1.0  # the longest a process trusts its number without a word from its subscription
RESUBSCRIBE_SECONDS = 5.0  # after a failed subscription, how long to read the number on every request
_WATCHED = ("Certificate", "Organisation")


class PublicCache:
    def __init__(self, redis, key: str = GENERATION_KEY):
        self.redis, self.key = redis, key
        self.entries: TTLCache = TTLCache(maxsize=MAX_ENTRIES, ttl=TTL)
        self.lock = Lock()  # gthread workers share a process (and a PubSub is not thread-safe)
        self._subscription = None  # (pid, PubSub): a forked child must not read its parent's socket
        self._retry_subscription_at = 0.0
        self._known: tuple[bytes, float] | None = None  # the number, and when it was read (monotonic)
        self._news = 0  # how many times the number was forgotten: a read racing a change is not kept

    def generation(self) -> bytes | None:
        """The current generation, or None when it cannot be read (then nothing is served from cache)."""
        now = time.monotonic()
        with self.lock:
            listening = self._listening(now) and self._take_news()
            known, news = self._known, self._news
        if listening and known is not None and now - known[1] < RECHECK_SECONDS:
            return known[0]
        try:
            generation = self.redis.get(self.key) or b"0"
        except Exception:
            log.warning("public cache: Redis unreachable; pages are rendered afresh", exc_info=True)
            return None
        with self.lock:
            if self._news == news:  # no change announced while we read: the number is current
                self._known = (generation, now)
        return generation

    def bump(self) -> None:
        try:
            with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(self.key).publish(self.key, b"changed").execute()
            # Redis sends the message to every subscriber before it reads another command: once this
            # PING is answered, every process has been sent the news.
            self.redis.ping()
        except Exception:
            # The TTL bounds how long another process can show the old page.
            log.exception("public cache: could not record a change; cached pages expire within %s s", TTL)
        finally:
            with self.lock:
                self._forget()

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

    # --- the subscription (called with the lock held) -------------------------------------------

    def _forget(self) -> None:
        self._known = None
        self._news += 1

    def _listening(self, now: float) -> bool:
        """Subscribed in this process (subscribing first if need be, not more often than every
        RESUBSCRIBE_SECONDS after a failure)."""
        if self._subscription is not None and self._subscription[0] == os.getpid():
            return True
        self._subscription = None
        if now < self._retry_subscription_at:
            return False
        pubsub = None
        try:
            pubsub = self.redis.pubsub()
            pubsub.subscribe(self.key)
            # Until Redis confirms, a change would not be pushed to us: wait for it (once per process).
            confirmed = pubsub.get_message(timeout=2.0)
            if confirmed is None or confirmed["type"] != "subscribe":
                raise ConnectionError(f"no confirmation of the subscription (got {confirmed!r})")
        except Exception:
            log.warning("public cache: cannot subscribe to changes; reading the generation on every request",
                        exc_info=True)
            self._retry_subscription_at = now + RESUBSCRIBE_SECONDS
            if pubsub is not None:
                _close_quietly(pubsub)
            return False
        self._subscription = (os.getpid(), pubsub)
        self._forget()
        return True

    def _take_news(self) -> bool:
        """Read, without waiting, what the subscription has received since the last request; False
        when it has failed (then the number must be read)."""
        pubsub = self._subscription[1]
        try:
            while (message := pubsub.get_message(timeout=0)) is not None:
                # "subscribe" again means the client reconnected and may have missed a message.
                if message["type"] in ("message", "subscribe"):
                    self._forget()
        except Exception:
            log.warning("public cache: the subscription to changes failed; subscribing again", exc_info=True)
            _close_quietly(pubsub)
            self._subscription = None
            self._forget()
            return False
        return True


def _close_quietly(pubsub) -> None:
    try:
        pubsub.close()
    except Exception:  # pragma: no cover - closing a broken connection
        pass


def cache(app: Flask | None = None) -> PublicCache | None:
    return (app or current_app).extensions.get(_EXTENSION)


def _changes_public_page(instance, session) -> bool:
    kind = type(instance).__name__
    if kind in _WATCHED:
        return True
    # An expired certificate's page says "renewal in progress" while a renewal submitted in time is
    # open: a renewal's start, its status (submission, withdrawal, decision) and its removal count.
    if kind == "Application" and getattr(instance, "renews_certificate_id", None) is not None:
        if instance not in session.dirty:
            return True  # new or deleted
        attrs = inspect(instance).attrs
        return attrs.status.history.has_changes() or attrs.renews_certificate_id.history.has_changes()
    return False


def _note_public_changes(session, _flush_context, _instances) -> None:
    for instance in (*session.new, *session.dirty, *session.deleted):
        if _changes_public_page(instance, session):
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
