"""Configuration from the environment, with defaults that run locally with nothing installed.

Every variable is listed in the README's configuration table; keep the two in step.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


class ConfigurationError(RuntimeError):
    """The app cannot start as configured; the message names the variable to set."""


# name -> (default, description). The README table is generated from this dict by
# `qualitymark config-table`, so the documentation cannot drift from the code.
VARIABLES: dict[str, tuple[str, str]] = {
    "QUALITYMARK_ENV": ("development", "`development` or `production`. Production refuses to start without a real secret key and base URL."),
    "QUALITYMARK_DATABASE_URL": ("sqlite:///instance/qualitymark.db", "SQLAlchemy URL. PostgreSQL: `postgresql+psycopg://user@host/db`."),
    "QUALITYMARK_REDIS_URL": ("(unset: jobs run in-process after commit)", "Redis for the job queue and the sign-in throttle, e.g. `redis://127.0.0.1:6379/0`."),
    "QUALITYMARK_QUEUE_NAME": ("qualitymark", "The rq queue jobs are sent to and `qualitymark jobs worker` takes them from (give each deployment sharing a Redis its own)."),
    "QUALITYMARK_SECRET_KEY": ("generated once into `instance/secret_key`", "Signs sessions, CSRF and email tokens. Required in production."),
    "QUALITYMARK_BASE_URL": ("http://127.0.0.1:5000", "Public base URL printed on certificates and in emails. Required in production; https there."),
    "QUALITYMARK_MAIL_BACKEND": ("log", "`log` (written to the application log) or `smtp`."),
    "QUALITYMARK_MAIL_FROM": ("Care Quality Mark <no-reply@localhost>", "The From address of outgoing mail."),
    "QUALITYMARK_SMTP_HOST": ("localhost", "SMTP server (with `smtp` backend)."),
    "QUALITYMARK_SMTP_PORT": ("587", "SMTP port."),
    "QUALITYMARK_SMTP_USERNAME": ("(unset)", "SMTP user name, if the server needs one."),
    "QUALITYMARK_SMTP_PASSWORD": ("(unset)", "SMTP password."),
    "QUALITYMARK_SMTP_STARTTLS": ("true", "Use STARTTLS."),
    "QUALITYMARK_EVIDENCE_DIR": ("instance/evidence", "Where uploaded evidence files are stored (outside the web root)."),
    "QUALITYMARK_MAX_UPLOAD_MB": ("25", "Largest evidence upload, in megabytes."),
    "QUALITYMARK_SIGNING_KEY_PATH": ("instance/keys/signing-key.pem", "The certificate signing key. Generated on first run in development; must exist in production."),
    "QUALITYMARK_CRITERIA_DIR": ("criteria", "Folder of rubric YAML files published by `qualitymark rubrics publish`."),
    "QUALITYMARK_SIGNIN_LIMIT": ("5 per minute;20 per hour", "Sign-in attempts allowed per account and, separately, per address."),
    "QUALITYMARK_SHOW_ASSESSOR_NAMES": ("false", "`true` shows co-ops the names of the peers who assessed them; by default assessors stay anonymous to applicants."),
    "QUALITYMARK_EVIDENCE_RETENTION_DAYS": ("2190", "Days after a decision (or withdrawal) before evidence files are deleted; their hashes stay. Default 6 years."),
    "QUALITYMARK_RENEWAL_GRACE_DAYS": ("90", "Days after expiry that a co-op whose renewal was submitted in time is shown as \"renewal in progress\" rather than expired."),
    "QUALITYMARK_APPEAL_DAYS": ("30", "Days after a decision or a suspension in which the co-op may appeal."),
    "QUALITYMARK_COMPLAINT_LIMIT": ("5 per hour;20 per day", "Complaints accepted per address (the complaint form is open to anyone)."),
    "QUALITYMARK_INSTANCE_DIR": ("instance", "Folder for local state: SQLite file, generated secret, evidence, keys."),
}


@dataclass(frozen=True)
class Settings:
    env: str
    instance_dir: Path
    database_url: str
    redis_url: str | None
    secret_key: str
    base_url: str
    mail_backend: str
    mail_from: str
    smtp_host: str
    smtp_port: int
    smtp_username: str | None
    smtp_password: str | None
    smtp_starttls: bool
    evidence_dir: Path
    max_upload_bytes: int
    signing_key_path: Path
    criteria_dir: Path
    signin_limit: str
    show_assessor_names: bool
    evidence_retention_days: int
    renewal_grace_days: int = 90
    appeal_days: int = 30
    complaint_limit: str = "5 per hour;20 per day"
    queue_name: str = "qualitymark"

    @property
    def production(self) -> bool:
        return self.env == "production"


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _instance_secret(instance_dir: Path) -> str:
    """A development secret generated once and kept, so sessions survive restarts."""
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # Created with 0600 from the start: a secret must never be world-readable, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = env.get(name)
        return value if value not in (None, "") else None

    mode = (get("QUALITYMARK_ENV") or "development").lower()
    if mode not in {"development", "production", "testing"}:
        raise ConfigurationError(
            f"QUALITYMARK_ENV is {mode!r}; set it to 'development' or 'production'."
        )
    instance_dir = Path(get("QUALITYMARK_INSTANCE_DIR") or "instance").resolve()

    def in_instance(value: str | None, default: str) -> Path:
        return Path(value).resolve() if value else instance_dir / default

    missing = []
    secret = get("QUALITYMARK_SECRET_KEY")
    base_url = get("QUALITYMARK_BASE_URL")
    if mode == "production":
        if not secret or len(secret) < 32:
            missing.append("QUALITYMARK_SECRET_KEY (a random string of at least 32 characters)")
        if not base_url:
            missing.append("QUALITYMARK_BASE_URL (the public https address, e.g. https://mark.example.coop)")
        elif not base_url.startswith("https://"):
            missing.append("QUALITYMARK_BASE_URL must start with https:// in production")
        if not get("QUALITYMARK_DATABASE_URL"):
            missing.append("QUALITYMARK_DATABASE_URL (the PostgreSQL URL)")
        if missing:
            raise ConfigurationError(
                "Refusing to start in production mode. Set: " + "; ".join(missing) + "."
            )
    if not secret:
        secret = _instance_secret(instance_dir)

    database_url = get("QUALITYMARK_DATABASE_URL") or f"sqlite:///{instance_dir / 'qualitymark.db'}"
    try:
        max_mb = float(get("QUALITYMARK_MAX_UPLOAD_MB") or "25")
        retention_days = int(get("QUALITYMARK_EVIDENCE_RETENTION_DAYS") or "2190")
        smtp_port = int(get("QUALITYMARK_SMTP_PORT") or "587")
        renewal_grace_days = int(get("QUALITYMARK_RENEWAL_GRACE_DAYS") or "90")
        appeal_days = int(get("QUALITYMARK_APPEAL_DAYS") or "30")
    except ValueError as error:
        raise ConfigurationError(f"A numeric setting is not a number: {error}") from None
    mail_backend = (get("QUALITYMARK_MAIL_BACKEND") or "log").lower()
    if mail_backend not in {"log", "smtp", "memory"}:
        raise ConfigurationError("QUALITYMARK_MAIL_BACKEND must be 'log' or 'smtp'.")

    return Settings(
        env=mode,
        instance_dir=instance_dir,
        database_url=database_url,
        redis_url=get("QUALITYMARK_REDIS_URL"),
        secret_key=secret,
        base_url=(base_url or "http://127.0.0.1:5000").rstrip("/"),
        mail_backend=mail_backend,
        mail_from=get("QUALITYMARK_MAIL_FROM") or "Care Quality Mark <no-reply@localhost>",
        smtp_host=get("QUALITYMARK_SMTP_HOST") or "localhost",
        smtp_port=smtp_port,
        smtp_username=get("QUALITYMARK_SMTP_USERNAME"),
        smtp_password=get("QUALITYMARK_SMTP_PASSWORD"),
        smtp_starttls=_truthy(get("QUALITYMARK_SMTP_STARTTLS") or "true"),
        evidence_dir=in_instance(get("QUALITYMARK_EVIDENCE_DIR"), "evidence"),
        max_upload_bytes=int(max_mb * 1024 * 1024),
        signing_key_path=in_instance(get("QUALITYMARK_SIGNING_KEY_PATH"), "keys/signing-key.pem"),
        criteria_dir=Path(get("QUALITYMARK_CRITERIA_DIR") or "criteria").resolve(),
        signin_limit=get("QUALITYMARK_SIGNIN_LIMIT") or "5 per minute;20 per hour",
        show_assessor_names=_truthy(get("QUALITYMARK_SHOW_ASSESSOR_NAMES") or "false"),
        evidence_retention_days=retention_days,
        renewal_grace_days=renewal_grace_days,
        appeal_days=appeal_days,
        complaint_limit=get("QUALITYMARK_COMPLAINT_LIMIT") or "5 per hour;20 per day",
        queue_name=get("QUALITYMARK_QUEUE_NAME") or "qualitymark",
    )
