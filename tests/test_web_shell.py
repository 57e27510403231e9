"""The shell every page shares: headers, error pages, layout."""
from __future__ import annotations

import pytest


def test_security_headers_are_on_every_response(client):
    for path in ("/", "/signin", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "Strict-Transport-Security" not in headers  # only in production


def test_production_sends_hsts_and_secure_cookies(make_app):
    app = make_app(QUALITYMARK_ENV="production", QUALITYMARK_BASE_URL="https://mark.example.coop")
    client = app.test_client()
    response = client.get("/signin", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    session_cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("qm_session=")][0]
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie


@pytest.mark.parametrize("code", [400, 403, 404, 405, 413, 429, 500])
def test_error_pages_use_the_layout_and_never_show_a_traceback(app, code):
    from flask import abort

    @app.route(f"/boom/{code}")
    def boom():
        if code == 500:
            raise RuntimeError("secret internals")
        abort(code)

    response = app.test_client().get(f"/boom/{code}")
    page = response.get_data(as_text=True)
    assert response.status_code == code
    assert 'class="skip-link"' in page and "<h1>" in page
    assert "Traceback" not in page and "secret internals" not in page


def test_an_upload_over_the_limit_gets_the_413_page(make_app):
    app = make_app(QUALITYMARK_MAX_UPLOAD_MB="0.001")
    # A raw body: refused from its Content-Length before anything is read.
    response = app.test_client().post("/signin", data=b"email=" + b"x" * (2 * 1024 * 1024),
                                      content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The file is too large" in page and "limit of 0.001 MB" in page


def test_every_page_has_a_skip_link_a_main_landmark_and_one_h1(client):
    for path in ("/", "/signin", "/signup", "/reset"):
        page = client.get(path).get_data(as_text=True)
        assert '<a class="skip-link" href="#main">' in page
        assert '<main id="main"' in page
        assert page.count("<h1") == 1
        assert '<html lang="en">' in page


def test_stylesheet_is_served_by_the_app(client):
    page = client.get("/").get_data(as_text=True)
    assert "http" not in page.split("<body")[0].replace("http-equiv", "")
    with client.get("/static/css/site.css") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/css"
