"""The language switch in every page's header.

It is a plain link (`/language?lang=cy&next=/c/CQM-...`), not a form: it works without
JavaScript, carries `hreflang`, and public pages need no session (and so no CSRF token) to show
it. What it changes is only a display preference: the cookie, and the signed-in person's saved
language, which also decides the language of their emails."""
from __future__ import annotations

from flask import Blueprint, redirect, request
from flask_login import current_user

from qualitymark.i18n import LANGUAGES, remember_language
from qualitymark.services import accounts
from qualitymark.web.safety import safe_next

bp = Blueprint("language", __name__)


@bp.route("/language")
def switch():
    lang = request.args.get("lang")
    response = redirect(safe_next())
    if lang in LANGUAGES:
        remember_language(response, lang)
        if current_user.is_authenticated:
            accounts.set_language(current_user._get_current_object(), lang)
    return response
