"""Helpers the tests share: posting forms as a browser would, signing in."""
from __future__ import annotations

import re
from dataclasses import dataclass

PASSWORD = "correct horse battery"

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


@dataclass
class Auth:
    client: object

    def sign_in(self, email: str, password: str = PASSWORD, remember: bool = False, next: str | None = None):
        path = "/signin" + (f"?next={next}" if next else "")
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        return post_form(self.client, path, data)

    def sign_out(self):
        return post_form(self.client, "/signout", {}, token_from="/")
