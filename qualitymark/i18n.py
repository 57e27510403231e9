"""Languages: English and Welsh. Flask-Babel picks the language for each request; templates and
code mark their text with `_()` and the Welsh catalogue lives in qualitymark/translations/
(the .po is the source; `make` compiles the .mo next to it)."""
from __future__ import annotations

import datetime

from babel.dates import format_date as _babel_format_date
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel, format_decimal, get_locale

LANGUAGES = {"en": "English", "cy": "Cymraeg"}
COOKIE = "qm_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

babel = Babel()


def select_locale() -> str | None:
    """An explicit ?lang= on the link, then the signed-in person's saved choice, then the
    language cookie, then what the browser asks for; English otherwise. Outside a request (a
    job, a CLI command) the default, unless the caller forces one with `force_locale`."""
    if not has_request_context():
        return None
    from flask_login import current_user

    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGUAGES:
        return cookie
    return request.accept_languages.best_match(list(LANGUAGES), default="en")


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else "en"


def remember_language(response, lang: str) -> None:
    """The language cookie: a year, sent on top-level navigation only, HTTPS-only when the
    service is served over HTTPS."""
    response.set_cookie(COOKIE, lang, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True,
                        secure=current_app.config["BASE_URL"].startswith("https://"))


def long_date(value: datetime.date | datetime.datetime | None) -> str:
    """'22 November 2026' / '22 Tachwedd 2026'. A datetime is taken as the UTC day it names (the
    pages say "UTC" where a time is shown), never shifted to another time zone."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date()
    return _babel_format_date(value, "d MMMM y", locale=get_locale() or "en")


def language_switch_url(lang: str) -> str:
    """The switch link for `lang`, coming back to this page (without any ?lang= on it, which
    would otherwise outrank the choice just made)."""
    from urllib.parse import urlencode

    from flask import url_for

    query = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    here = request.path + ("?" + urlencode(query) if query else "")
    return url_for("language.switch", lang=lang, next=here)


def number(value) -> str:
    return format_decimal(value)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/London")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale)
    # {% trans %} blocks may be wrapped over several lines; their msgids are the trimmed text.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["number"] = number

    @app.context_processor
    def _languages():
        return {"languages": LANGUAGES, "language_switch_url": language_switch_url}

    @app.before_request
    def _page_language():
        g.lang = current_language()

    @app.after_request
    def _vary_on_language(response):
        # A page's language depends on these; shared caches must not mix them up.
        if response.mimetype == "text/html":
            response.vary.add("Accept-Language")
            response.vary.add("Cookie")
        return response


def choices(mapping):
    """WTForms choices from {value: label}, where labels may be lazy (translated when rendered).
    WTForms 3.3 accepts a dict only with plain str labels, so lazy ones go in SelectChoice."""
    from wtforms.fields.choices import SelectChoice

    return [SelectChoice(value, label) for value, label in dict(mapping).items()]
