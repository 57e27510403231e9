"""The published criteria: public, printable, in English or Welsh, and the YAML source."""
from __future__ import annotations

import hashlib

from flask import Blueprint, Response, abort, g, render_template, request
from markupsafe import Markup, escape

from qualitymark.rubrics import text
from qualitymark.rubrics.diff import describe_rule
from qualitymark.services import rubrics as rubric_service

bp = Blueprint("rubrics", __name__, url_prefix="/rubrics")

def localised(value, lang: str) -> Markup:
    """The text in `lang`; where Welsh is missing the English is shown, marked as English so a
    screen reader switches voice."""
    if value is None:
        return Markup("")
    wanted = text(value, lang)
    english = text(value, "en")
    if lang != "en" and wanted == english and not (hasattr(value, "cy") and value.cy):
        return Markup('<span lang="en">{}</span>').format(english)
    return escape(wanted)


def _cache(response: Response, version) -> Response:
    """The YAML source never changes once published: cache it publicly for an hour."""
    response.set_etag(version.content_hash)
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response.make_conditional(request)


def _revalidate(response: Response, version, lang: str) -> Response:
    """The HTML page also shows who is signed in, so a browser must ask again each time; the
    ETag names everything the page depends on, so an unchanged page still costs only a 304."""
    from flask_login import current_user

    viewer = current_user.get_id() if current_user.is_authenticated else "anonymous"
    response.set_etag(hashlib.sha256(
        f"{version.content_hash}|{lang}|{viewer}|{version.retired_at}".encode()).hexdigest())
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response.make_conditional(request)


@bp.route("/")
def index():
    versions = rubric_service.list_versions()
    schemes: dict[str, list] = {}
    for version in versions:
        schemes.setdefault(version.scheme, []).append(version)
    return render_template("rubrics/index.html", schemes=schemes)


@bp.route("/<scheme>/<version>.yaml")
def source(scheme: str, version: str):
    row = rubric_service.get_version(scheme, version)
    if row is None:
        abort(404)
    row.verified_canonical()
    response = Response(row.source_yaml, content_type="application/yaml; charset=utf-8")
    response.headers["Content-Disposition"] = f'inline; filename="{scheme}-{version}.yaml"'
    return _cache(response, row)


@bp.route("/<scheme>/<version>")
def show(scheme: str, version: str):
    row = rubric_service.get_version(scheme, version)
    if row is None:
        abort(404)
    rubric = rubric_service.rubric_of(row)
    lang = g.lang  # the page's language (a ?lang= link on this page sets it, see qualitymark.i18n)
    scale = {level.level: level for level in rubric.scale}
    awards = [
        {"award": award, "rules": [describe_rule(rule.model_dump(mode="json", exclude_none=True)) for rule in award.rules]}
        for award in rubric.awards
    ]
    response = Response(render_template(
        "rubrics/version.html", row=row, rubric=rubric, lang=lang,
        scale=scale, awards=awards, t=lambda value: localised(value, lang),
    ))
    return _revalidate(response, row, lang)
