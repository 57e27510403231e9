"""Two-factor sign-in: TOTP (RFC 6238) codes from an authenticator app, and one-time recovery codes."""
from __future__ import annotations

import hashlib
import secrets

import pyotp
from flask_babel import gettext as _
from sqlmodel import select

from qualitymark import db
from qualitymark.clock import utcnow
from qualitymark.models.accounts import RecoveryCode, User
from qualitymark.services import audit

ISSUER = "Care Quality Mark"
RECOVERY_CODES = 10


class TwoFactorError(ValueError):
    """Something a person can fix; the message says what."""


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").replace(" ", "").lower().encode()).hexdigest()


def begin_setup(user: User) -> str:
    """A new secret (not yet active) and the otpauth:// address an authenticator app reads."""
    if user.two_factor_enabled:
        raise TwoFactorError(_("Two-factor sign-in is already on."))
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        db.session().flush()
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _check_totp(user: User, code: str) -> bool:
    code = code.replace(" ", "").strip()
    if not (code.isdigit() and len(code) == 6) or not user.totp_secret:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = utcnow()
    # One step either side allows for a phone clock a little off; a code is never accepted twice.
    for drift in (0, -1, 1):
        step = int(now.timestamp()) // 30 + drift
        if secrets.compare_digest(totp.at(step * 30), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False
            user.totp_last_step = step
            return True
    return False


def confirm_setup(user: User, code: str) -> list[str]:
    """Turn two-factor on once the person proves their app works; returns recovery codes (shown once)."""
    if user.two_factor_enabled:
        raise TwoFactorError(_("Two-factor sign-in is already on."))
    if not _check_totp(user, code):
        raise TwoFactorError(_("That code is not right. Type the 6 digits your app shows now (they change every 30 seconds)."))
    user.totp_enabled_at = utcnow()
    codes = new_recovery_codes(user)
    audit.record("user.two_factor_enabled", "user", user.id, actor_id=user.id)
    return codes


def new_recovery_codes(user: User) -> list[str]:
    session = db.session()
    for old in session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all():
        session.delete(old)
    codes = ["-".join(secrets.token_hex(2) for _ in range(3)) for _ in range(RECOVERY_CODES)]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=_hash(code)))
    session.flush()
    return codes


def verify(user: User, code: str) -> bool:
    """A TOTP code, or an unused recovery code (used up by this call)."""
    if not user.two_factor_enabled:
        return False
    if _check_totp(user, code):
        db.session().flush()
        return True
    recovery = db.session().exec(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(code),
        RecoveryCode.used_at.is_(None))).first()
    if recovery is None:
        return False
    recovery.used_at = utcnow()
    db.session().flush()
    audit.record("user.recovery_code_used", "user", user.id, actor_id=user.id)
    return True


def remaining_recovery_codes(user: User) -> int:
    return len(db.session().exec(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())


def disable(user: User, code: str) -> None:
    if user.needs_two_factor:
        raise TwoFactorError(_("Officers and admins must keep two-factor sign-in on."))
    if not verify(user, code):
        raise TwoFactorError(_("That code is not right."))
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    for old in db.session().exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all():
        db.session().delete(old)
    db.session().flush()
    audit.record("user.two_factor_disabled", "user", user.id, actor_id=user.id)
