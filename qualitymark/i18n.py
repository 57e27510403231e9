"""Languages: English and Welsh. Flask-Babel picks the language for each request; templates and
code mark their text with `_()` and the Welsh catalogue lives in qualitymark/translations/."""
from __future__ import annotations

from flask import Flask, g, request
from flask_babel import Babel

LANGUAGES = {"en": "English", "cy": "Cymraeg"}
COOKIE = "qm_lang"

babel = Babel()


def select_locale() -> str:
    """An explicit ?lang= on the link, then the signed-in person's saved choice, then the
    language cookie, then what the browser asks for; English otherwise."""
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


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/London")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale)

    @app.before_request
    def _page_language():
        from flask_babel import get_locale

        g.lang = str(get_locale() or "en")
