"""Helpers the tests share: posting forms as a browser would, signing in."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

PASSWORD = "correct horse battery"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_URL = os.environ.get("QUALITYMARK_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("QUALITYMARK_TEST_REDIS_URL")
TEST_SECRET = "test-secret-key-that-is-long-enough-for-production-000"


def need(service: str, variable: str) -> None:
    message = f"{service} tests need {variable} (e.g. via .ci/run); not set, so they are skipped in this run."
    if IN_CI:
        pytest.fail(f"CI must run the {service} tests, but {variable} is not set.")
    pytest.skip(message)


def app_environment(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    return {
        "QUALITYMARK_ENV": "testing",
        "QUALITYMARK_INSTANCE_DIR": str(tmp_path / "instance"),
        "QUALITYMARK_DATABASE_URL": database_url,
        "QUALITYMARK_SECRET_KEY": TEST_SECRET,
        "QUALITYMARK_BASE_URL": "http://localhost",
        "QUALITYMARK_MAIL_BACKEND": "memory",
        **extra,
    }


_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str) -> str:
    page = client.get(path)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def post_form(client, path: str, data: dict, *, token_from: str | None = None, **kwargs):
    """Post a form the way a browser would: with the CSRF token of the page it came from."""
    data = {"csrf_token": csrf_token(client, token_from or path), **data}
    return client.post(path, data=data, **kwargs)


# Recovery codes of test staff, by email: officers and admins must sign in with a second factor,
# and each code works once, like in real life.
RECOVERY_CODES: dict[str, list[str]] = {}


def enable_two_factor_for_tests(user) -> None:
    """Give a test officer or admin two-factor sign-in, with plenty of known recovery codes."""
    import hashlib
    import secrets

    import pyotp

    from qualitymark import db
    from qualitymark.clock import utcnow
    from qualitymark.models.accounts import RecoveryCode

    user.totp_secret = pyotp.random_base32()
    user.totp_enabled_at = utcnow()
    codes = [secrets.token_hex(6) for _ in range(60)]
    for code in codes:
        db.session().add(RecoveryCode(user_id=user.id, code_hash=hashlib.sha256(code.encode()).hexdigest()))
    db.session().flush()
    RECOVERY_CODES[user.email] = codes


@dataclass
class Auth:
    client: object

    def sign_in(self, email: str, password: str = PASSWORD, remember: bool = False, next: str | None = None):
        path = "/signin" + (f"?next={next}" if next else "")
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        response = post_form(self.client, path, data)
        if response.status_code == 302 and response.headers["Location"] == "/signin/code":
            codes = RECOVERY_CODES.get(email.strip().lower())
            assert codes, f"{email} needs a second factor but the test gave it no codes"
            response = post_form(self.client, "/signin/code", {"code": codes.pop()})
        return response

    def sign_out(self):
        return post_form(self.client, "/signout", {}, token_from="/")
