"""A small browser for the harness: cookies, redirects, forms with their CSRF token, and sign-in
(with a TOTP second step when the app asks for one). Standard library only.

It speaks either to a live server (`HTTPSender`) or to the app in-process through Flask's test
client (`FlaskSender`), so both the load test and the query count sign in the same way, through
the real sign-in form.

The app's base URL is https, so its cookies are `Secure`; the harness talks plain HTTP to the
loopback port, and (like a TLS-terminating proxy would) passes the cookies back regardless.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import struct
import time
import urllib.parse
from dataclasses import dataclass, field
from html.parser import HTMLParser

from bench.common import USER_AGENT


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    url: str = ""

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class HTTPSender:
    def __init__(self, host: str, port: int, timeout: float = 120):
        self.host, self.port, self.timeout = host, port, timeout
        self.origin = f"http://{host}:{port}"

    def __call__(self, method: str, path: str, headers: dict[str, str], body) -> Response:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            for key, value in headers.items():
                connection.putheader(key, value)
            connection.endheaders()
            if body is not None:
                for chunk in ([body] if isinstance(body, bytes) else body):
                    connection.send(chunk)
            response = connection.getresponse()
            data = response.read()
            return Response(response.status, list(response.getheaders()), data, path)
        finally:
            connection.close()


class FlaskSender:
    def __init__(self, app, base_url: str):
        self.client = app.test_client(use_cookies=False)
        self.base_url = self.origin = base_url

    def __call__(self, method: str, path: str, headers: dict[str, str], body) -> Response:
        if body is not None and not isinstance(body, bytes):
            body = b"".join(body)
        response = self.client.open(path, method=method, headers=headers, data=body, base_url=self.base_url)
        return Response(response.status_code, list(response.headers.items()), response.get_data(), path)


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (name, value, type)

    def values(self) -> list[tuple[str, str]]:
        chosen = []
        for name, value, kind in self.fields:
            if kind in ("submit", "checkbox", "radio", "file", "button"):
                continue
            chosen.append((name, value))
        return chosen

    def names(self) -> set[str]:
        return {name for name, _v, _k in self.fields}


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self._current: Form | None = None
        self._select: int | None = None  # index of the open <select> in the current form's fields
        self._explicit = False
        self._seen = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._current = Form(a.get("action") or "", (a.get("method") or "get").lower())
            self.forms.append(self._current)
        elif self._current is None:
            return
        elif tag == "input" and a.get("name"):
            self._current.fields.append((a["name"], a.get("value") or "", (a.get("type") or "text").lower()))
        elif tag == "textarea" and a.get("name"):
            self._current.fields.append((a["name"], "", "textarea"))
        elif tag == "select" and a.get("name"):
            self._current.fields.append((a["name"], "", "select"))
            self._select, self._explicit, self._seen = len(self._current.fields) - 1, False, False
        elif tag == "option" and self._select is not None:
            # A browser sends the `selected` option, else the first one.
            name, value, kind = self._current.fields[self._select]
            if ("selected" in a and not self._explicit) or not self._seen:
                self._current.fields[self._select] = (name, a.get("value", ""), kind)
                self._explicit = self._explicit or "selected" in a
            self._seen = True

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None


def forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def totp(secret: str, at: float | None = None, digits: int = 6, step: int = 30) -> str:
    """RFC 6238 (SHA-1), what authenticator apps and pyotp compute."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % (10 ** digits)
    return str(number).zfill(digits)


class Browser:
    def __init__(self, send):
        self.send = send
        self.cookies: dict[str, str] = {}
        self.extra_headers: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def _remember(self, response: Response) -> None:
        for line in response.all("Set-Cookie"):
            pair, *attributes = [part.strip() for part in line.split(";")]
            name, _, value = pair.partition("=")
            expired = any(a.lower().startswith("max-age=0") or a.lower().startswith("expires=thu, 01 jan 1970")
                          for a in attributes)
            if expired or value == "":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def request(self, method: str, path: str, *, data: list[tuple[str, str]] | None = None, body=None,
                content_type: str | None = None, content_length: int | None = None,
                follow: bool = True, referer: str | None = None) -> Response:
        headers = {"Host": urllib.parse.urlsplit(self.send.origin).netloc, "User-Agent": USER_AGENT,
                   "Accept": "text/html", **self.extra_headers}
        if method == "POST":
            # Browsers send it; Flask-WTF requires a same-origin Referer on https requests.
            headers["Referer"] = self.send.origin + (referer or path)
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            content_type = "application/x-www-form-urlencoded"
        if body is not None:
            headers["Content-Type"] = content_type or "application/octet-stream"
            headers["Content-Length"] = str(content_length if content_length is not None else len(body))
        response = self.send(method, path, headers, body)
        self._remember(response)
        hops = 0
        while follow and response.status in (301, 302, 303, 307, 308) and hops < 8:
            location = response.header("Location") or "/"
            parsed = urllib.parse.urlsplit(location)
            path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
            response = self.request("GET", path, follow=False)
            hops += 1
        return response

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def submit(self, page: Response, *, fill: dict[str, str], must_have: str, path: str | None = None,
               follow: bool = True) -> Response:
        """Fill and POST the page's form that has the field `must_have` (CSRF token included)."""
        form = next((f for f in forms(page.text) if must_have in f.names() and f.method == "post"), None)
        if form is None:
            raise RuntimeError(f"no form with a {must_have!r} field on {page.url} (status {page.status})")
        values = [(name, value) for name, value in form.values() if name not in fill]
        values += list(fill.items())
        return self.request("POST", form.action or path or page.url, data=values, follow=follow, referer=page.url)


def sign_in(browser: Browser, email: str, password: str, totp_secret: str | None = None) -> Response:
    """Sign in through the form (and the second-factor form if the app asks); return the landing page.
    Raises if the app did not sign the person in."""
    page = browser.get("/signin")
    landing = browser.submit(page, fill={"email": email, "password": password}, must_have="password",
                             path="/signin")
    for _ in range(2):
        code_form = next((f for f in forms(landing.text) if f.method == "post" and "code" in f.names()), None)
        if code_form is None:
            break
        if not totp_secret:
            raise RuntimeError(f"{email}: the app asks for a second factor and the dataset has no TOTP secret")
        # A code works once per 30-second step; on a refusal, wait for the next step and try once more.
        landing = browser.submit(landing, fill={"code": totp(totp_secret)}, must_have="code", path=landing.url)
        if any(f.method == "post" and "code" in f.names() for f in forms(landing.text)):
            time.sleep(31 - time.time() % 30)
    if any(f.method == "post" and "password" in f.names() and "email" in f.names() for f in forms(landing.text)):
        raise RuntimeError(f"sign-in as {email} failed: the sign-in form came back (status {landing.status})")
    if "signout" not in landing.text and "Sign out" not in landing.text:
        raise RuntimeError(f"sign-in as {email}: the landing page {landing.url} has no sign-out button")
    return landing
