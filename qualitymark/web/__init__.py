"""The web layer: blueprints, error pages, security headers."""
from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, g, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# No inline script or style anywhere: everything is served from /static by the app itself.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

ERROR_TEXT = {
    400: (_l("The request could not be understood"), _l(
        "Something in what was sent did not make sense to us. Go back, check the form and try again.")),
    403: (_l("You cannot open this page"), _l(
        "Your account does not have access to this page. If you think it should, ask your co-op's owner or the certification office.")),
    404: (_l("Page not found"), _l(
        "We could not find this page. If you typed the address, check it; if you followed a link, it may be out of date.")),
    410: (_l("This file is no longer kept"), _l(
        "It was deleted under the retention policy.")),
    405: (_l("That action is not available here"), _l(
        "This page cannot be used that way. Go back and use the page's own buttons.")),
    413: (_l("The file is too large"), _l(
        "The file you sent is larger than we accept. Make it smaller (for example, scan at a lower resolution or split it) and try again.")),
    429: (_l("Too many attempts"), _l(
        "You have tried this too many times in a short while. Wait a few minutes, then try again.")),
    500: (_l("Something went wrong on our side"), _l(
        "We could not finish what you asked. Nothing you had already saved is lost. Please try again in a moment; if it keeps happening, tell the certification office.")),
}


def _error_page(code: int, detail: str | None = None):
    title, text = ERROR_TEXT.get(code, ERROR_TEXT[500])
    return render_template("errors/error.html", code=code, title=title, text=detail or text), code


def init_app(app: Flask) -> None:
    from qualitymark.extensions import login_manager
    from qualitymark.services.accounts import load_user
    from qualitymark.web import (account, applications, auth, certificates, evidence, language, lifecycle, main,
                                 notifications, office, organisations, reviews, rubrics)
    from qualitymark.web import appeals, complaints

    login_manager.login_view = "auth.signin"
    login_manager.login_message = _l("Please sign in to open that page.")
    login_manager.localize_callback = str  # in the language of the page that asked
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)

    app.register_blueprint(main.bp)
    app.register_blueprint(language.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(rubrics.bp)
    app.register_blueprint(organisations.bp)
    app.register_blueprint(applications.bp)
    app.register_blueprint(evidence.bp)
    app.register_blueprint(reviews.bp)
    app.register_blueprint(office.bp)
    app.register_blueprint(certificates.bp)
    app.register_blueprint(lifecycle.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(complaints.bp)
    app.register_blueprint(appeals.bp)

    @app.before_request
    def _request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex

    @app.before_request
    def _staff_need_two_factor():
        from flask_login import current_user

        from qualitymark.web.safety import TWO_FACTOR_SETUP_ALLOWED

        if (current_user.is_authenticated and current_user.needs_two_factor
                and not current_user.two_factor_enabled and request.endpoint not in TWO_FACTOR_SETUP_ALLOWED):
            from flask import flash, redirect, url_for

            flash(_("Officers and admins sign in with a second factor. Set it up now: it takes two minutes."), "info")
            return redirect(url_for("account.two_factor"))
        return None

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers["X-Request-ID"] = g.get("request_id", "")
        if app.config.get("HSTS"):
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return _error_page(
            400,
            _("This form could not be accepted because its security token was missing or out of date "
              "(this happens when a page has been open for a long time, or cookies are blocked). "
              "Go back, reload the page and send the form again."),
        )

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if error.code == 429:
            return _error_page(429)
        if error.code == 413:
            limit = round(app.config["SETTINGS"].max_upload_bytes / (1024 * 1024), 3)
            return _error_page(413, _(
                "The file you sent is larger than our limit of %(limit)s MB, so nothing was uploaded. "
                "If it is a scan or a photo, save it at a lower resolution or split it into parts, "
                "then go back and upload it again. Everything you had saved before is still there.",
                limit=format_decimal(limit)))
        if error.code == 404 and g.get("unknown_code"):
            return _error_page(404, _(
                "No certificate has the code %(code)s. Check it against the certificate: a code looks "
                "like CQM- followed by 10 letters and numbers (0 and O, 1 and I are read the same). If it is "
                "still not found, the certificate may not be genuine: please tell the certification office, "
                "or search the public register of certified co-ops.", code=g.unknown_code))
        return _error_page(error.code, getattr(error, "qualitymark_message", None))

    @app.errorhandler(Exception)
    def _unexpected(error):
        if isinstance(error, HTTPException):
            return _http_error(error)
        log.exception("unhandled error (request %s)", g.get("request_id"))
        return _error_page(InternalServerError.code)

    @app.context_processor
    def _globals():
        return {"base_url": app.config["BASE_URL"]}

    from qualitymark.web.labels import application_status

    app.jinja_env.filters["application_status"] = application_status

    from qualitymark.web.rubrics import localised

    # Rubric texts are a string or {en, cy}: `{{ value | t }}` picks the page's language, and marks
    # the English shown where the Welsh is missing, so a screen reader reads it in English.
    app.jinja_env.filters["t"] = lambda value: localised(value, g.get("lang", "en"))
