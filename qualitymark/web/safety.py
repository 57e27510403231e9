"""Helpers for safe redirects."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import request, url_for


def safe_next(default_endpoint: str = "main.home") -> str:
    """The `next` parameter if it stays on this site, else the default page.

    Only a path is accepted: no scheme, no host, no protocol-relative `//host`, no backslash
    tricks that some browsers read as `//`.
    """
    target = request.args.get("next") or request.form.get("next") or ""
    parts = urlsplit(target)
    if (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not parts.scheme
        and not parts.netloc
        and all(ord(ch) >= 32 for ch in target)
    ):
        return target
    return url_for(default_endpoint)


# Pages a signed-in officer or admin may open before setting up two-factor sign-in.
TWO_FACTOR_SETUP_ALLOWED = frozenset({"account.two_factor", "auth.signout", "static", "main.favicon", "main.health"})
