"""Care Quality Mark: the certification service for social-care co-operatives."""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask

from qualitymark.config import Settings, load_settings

__version__ = "0.1.0"


def _configure_logging(app: Flask) -> None:
    # Our modules log under "qualitymark.*", which is also Flask's app logger: drop Flask's own
    # handler so each line is written once, through the root handler.
    from flask.logging import default_handler

    app.logger.removeHandler(default_handler)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def create_app(settings: Settings | None = None, **overrides) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__, instance_path=str(settings.instance_dir), instance_relative_config=False)
    production = settings.production
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url,
        QUEUE_NAME=settings.queue_name,
        BASE_URL=settings.base_url,
        # The request may carry the form's other fields too; the file itself is held to the exact
        # limit by the evidence store, with a message that names it.
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
        SESSION_COOKIE_NAME="qm_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.base_url.startswith("https://"),
        REMEMBER_COOKIE_DURATION=timedelta(days=30),
        REMEMBER_COOKIE_NAME="qm_remember",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session instead; long forms must not expire
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        RATELIMIT_KEY_PREFIX="qualitymark",
        RATELIMIT_HEADERS_ENABLED=True,
        PREFERRED_URL_SCHEME="https" if production else "http",
        HSTS=production,
        TESTING=settings.env == "testing",
    )
    app.config.update(overrides)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    _configure_logging(app)

    from qualitymark import db, jobs, public_cache
    from qualitymark.extensions import csrf, limiter, login_manager

    db.init_app(app)
    jobs.init_app(app)
    public_cache.init_app(app)  # after jobs: it shares their Redis connection
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from qualitymark import i18n, web

    i18n.init_app(app)

    web.init_app(app)

    from qualitymark.cli import register_commands

    register_commands(app)
    return app
