"""Accounts: sign-up, confirmation, sign-in, password changes and resets, staff roles."""
from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlmodel import select

from qualitymark import db
from qualitymark.clock import utcnow
from qualitymark.mail import send_mail
from qualitymark.models.accounts import STAFF_ROLES, StaffRole, User
from qualitymark.services import audit

# argon2id with the library's current defaults (RFC 9106 low-memory profile).
_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")

CONFIRM_MAX_AGE = 3 * 24 * 3600
RESET_MAX_AGE = 3600
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """Something a person can fix; the message says what, and `field` which form field it is
    about when that is not the obvious one."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _common_passwords() -> frozenset[str]:
    # The 30,000 most common passwords from leaks, as shipped with zxcvbn.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"]) | {"carequalitymark", "qualitymark", "cooperative", "co-operative"}


_COMMON: frozenset[str] | None = None


def check_password_strength(password: str, *, email: str = "", name: str = "") -> None:
    global _COMMON
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH))
    if len(password) > 256:
        raise AccountError(_("Use at most %(count)d characters.", count=256))
    if _COMMON is None:
        _COMMON = _common_passwords()
    lowered = password.lower()
    if lowered in _COMMON or lowered.rstrip("0123456789!?.") in _COMMON or len(set(lowered)) < 4:
        raise AccountError(_("This password is one of the most common ones and easy to guess. Choose another: "
                             "a few unrelated words work well."))
    if email and (lowered == email.lower() or lowered == email.lower().split("@")[0]):
        raise AccountError(_("Do not use your email address as your password."))
    if name and lowered.replace(" ", "") == name.lower().replace(" ", ""):
        raise AccountError(_("Do not use your name as your password."))


def find_user(email: str) -> User | None:
    return db.session().exec(select(User).where(User.email == normalise_email(email))).first()


def _absolute(endpoint: str, **values) -> str:
    base = current_app.config["BASE_URL"]
    return base + url_for(endpoint, _external=False, **values)


def _email_user(user: User, subject, template: str, **values) -> None:
    """Mail `user` in their saved language, whatever the language of the page that caused it:
    `subject` is lazy (_l) and the body is emails/<template>, both rendered in that language."""
    with force_locale(user.locale or "en"):
        send_mail(user.email, str(subject), render_template(f"emails/{template}", user=user, **values))


class _ClockSigner(TimestampSigner):
    """Token ages measured with the service's one clock, so tests can move time."""

    def get_timestamp(self) -> int:
        return int(utcnow().timestamp())


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"qualitymark.{purpose}", signer=_ClockSigner)


def register_user(name: str, email: str, password: str, *, locale: str = "en") -> User | None:
    """Create an unconfirmed account and mail a confirmation link.

    If the email already has an account, nothing is created and its owner is told by
    email instead: the person at the screen sees the same message either way.
    """
    email = normalise_email(email)
    check_password_strength(password, email=email, name=name)
    existing = find_user(email)
    if existing is not None:
        # In the language the account holder chose, not the one of the page the attempt came from.
        _email_user(existing, _l("Someone tried to sign up with your email address"), "signup_attempt.txt",
                    signin_url=_absolute("auth.signin"), reset_url=_absolute("auth.reset_request"))
        return None
    # The language they signed up in is their saved language, for pages and for email.
    user = User(name=name.strip(), email=email, password_hash=hash_password(password),
                locale=locale if locale in ("en", "cy") else "en")
    session = db.session()
    session.add(user)
    session.flush()
    audit.record("user.registered", "user", user.id, actor_id=user.id)
    send_confirmation(user)
    return user


def send_confirmation(user: User) -> None:
    token = _serializer("confirm").dumps({"u": user.id, "e": user.email})
    _email_user(user, _l("Confirm your email address"), "confirm_email.txt",
                link=_absolute("auth.confirm", token=token))


def confirm_email(token: str) -> User:
    try:
        data = _serializer("confirm").loads(token, max_age=CONFIRM_MAX_AGE)
    except SignatureExpired:
        raise AccountError(_("This confirmation link has expired. Sign in to get a new one.")) from None
    except BadSignature:
        raise AccountError(_("This confirmation link is not valid. Check that you copied all of it.")) from None
    user = db.session().get(User, data.get("u"))
    if user is None or user.email != data.get("e"):
        raise AccountError(_("This confirmation link is not valid. Check that you copied all of it."))
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        audit.record("user.email_confirmed", "user", user.id, actor_id=user.id)
        db.session().flush()
    return user


@dataclass
class SignInResult:
    user: User | None
    needs_confirmation: bool = False


def authenticate(email: str, password: str) -> SignInResult:
    """Check a password. The answer for an unknown email and a wrong password is the same."""
    user = find_user(email)
    if user is None:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return SignInResult(None)
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return SignInResult(None)
    if not user.is_active:
        return SignInResult(None)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if user.email_confirmed_at is None:
        send_confirmation(user)
        return SignInResult(user, needs_confirmation=True)
    return SignInResult(user)


def record_sign_in(user: User, *, second_factor: bool) -> None:
    """Called once every factor has been checked."""
    user.last_signin_at = utcnow()
    audit.record("user.signed_in", "user", user.id, actor_id=user.id, changes={"two_factor": second_factor})
    db.session().flush()


def change_password(user: User, current_password: str, new_password: str) -> None:
    try:
        _hasher.verify(user.password_hash, current_password)
    except (VerificationError, InvalidHashError):
        raise AccountError(_("Your current password is not right."), field="current") from None
    _set_password(user, new_password, action="user.password_changed")


def _set_password(user: User, new_password: str, *, action: str) -> None:
    check_password_strength(new_password, email=user.email, name=user.name)
    user.password_hash = hash_password(new_password)
    # Every session and remember-me cookie carries the epoch; bumping it signs them all out.
    user.session_epoch += 1
    audit.record(action, "user", user.id, actor_id=user.id)
    db.session().flush()
    _email_user(user, _l("Your password was changed"), "password_changed.txt",
                reset_url=_absolute("auth.reset_request"))


def request_password_reset(email: str) -> None:
    """Mail a reset link if the account exists; say nothing about it either way."""
    user = find_user(email)
    if user is None or not user.is_active:
        return
    # The token is bound to the current password hash: once used (or the password changed
    # any other way) it no longer matches, so a token works once.
    token = _serializer("reset").dumps({"u": user.id, "h": user.password_hash[-16:]})
    _email_user(user, _l("Reset your password"), "password_reset.txt", link=_absolute("auth.reset", token=token))


def user_for_reset_token(token: str) -> User:
    try:
        data = _serializer("reset").loads(token, max_age=RESET_MAX_AGE)
    except SignatureExpired:
        raise AccountError(_("This reset link has expired. Ask for a new one.")) from None
    except BadSignature:
        raise AccountError(_("This reset link is not valid. Ask for a new one.")) from None
    user = db.session().get(User, data.get("u"))
    if user is None or user.password_hash[-16:] != data.get("h"):
        raise AccountError(_("This reset link has already been used. Ask for a new one."))
    return user


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    _set_password(user, new_password, action="user.password_reset")
    if user.email_confirmed_at is None:
        # Following a link sent to the address proves the address.
        user.email_confirmed_at = utcnow()
    return user


def set_language(user: User, lang: str) -> None:
    """The language of the pages this person sees and of the email we send them."""
    from qualitymark.i18n import LANGUAGES

    if lang not in LANGUAGES:
        raise AccountError(_("Choose English or Cymraeg."))
    if user.locale != lang:
        user.locale = lang
        db.session().add(user)
        db.session().flush()


def create_staff_user(email: str, name: str, password: str, roles: list[str], *, confirmed: bool = True) -> User:
    """Used by `qualitymark users create` and the demo data."""
    unknown = [role for role in roles if role not in STAFF_ROLES]
    if unknown:
        raise AccountError(f"Unknown role {unknown[0]!r}: choose from {', '.join(STAFF_ROLES)}.")
    check_password_strength(password)
    if find_user(email) is not None:
        raise AccountError(f"There is already an account for {normalise_email(email)}.")
    user = User(
        name=name.strip(),
        email=normalise_email(email),
        password_hash=hash_password(password),
        email_confirmed_at=utcnow() if confirmed else None,
    )
    session = db.session()
    session.add(user)
    session.flush()
    for role in roles:
        grant_role(user, role, granted_by=None)
    audit.record("user.created", "user", user.id, actor_id=None, changes={"roles": roles})
    return user


def grant_role(user: User, role: str, *, granted_by: User | None) -> None:
    if role not in STAFF_ROLES:
        raise AccountError(f"Unknown role {role!r}: choose from {', '.join(STAFF_ROLES)}.")
    session = db.session()
    exists = session.exec(select(StaffRole).where(StaffRole.user_id == user.id, StaffRole.role == role)).first()
    if exists:
        return
    session.add(StaffRole(user_id=user.id, role=role, granted_by_id=granted_by.id if granted_by else None))
    session.flush()
    session.refresh(user, ["staff_roles"])
    audit.record("user.role_granted", "user", user.id, actor_id=granted_by.id if granted_by else None,
                 changes={"role": role})


def load_user(session_id: str) -> User | None:
    """Flask-Login's loader: the id carries the session epoch, see User.get_id."""
    try:
        user_id, epoch = (int(part) for part in session_id.split(":", 1))
    except ValueError:
        return None
    user = db.session().get(User, user_id)
    if user is None or not user.is_active or user.session_epoch != epoch:
        return None
    return user
