"""The public's side: verification pages, the credential, PDF, badge, DID document, status lists,
the /verify checker, the register and its JSON API."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from functools import lru_cache

from cachetools import LRUCache
from flask import Blueprint, Response, abort, current_app, g, jsonify, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length

from qualitymark import db, policy, public_cache
from qualitymark.clock import utcnow
from qualitymark.extensions import limiter
from qualitymark.models.accounts import Organisation
from qualitymark.services import certificates as service
from qualitymark.services.lifecycle import public_state, public_states

bp = Blueprint("certificates", __name__)

# Translated when shown, in the reader's language.
STATE_WORDS = {
    "valid": (_l("Valid"), _l(
        "This co-op holds the mark now.")),
    "suspended": (_l("Suspended"), _l(
        "The mark is suspended while the certification office looks into a concern. It is not valid until it is reinstated.")),
    "withdrawn": (_l("Withdrawn"), _l(
        "The mark was withdrawn. It is no longer valid and cannot be reinstated.")),
    "expired": (_l("Expired"), _l(
        "The certificate's period of validity has ended.")),
    "renewal_in_progress": (_l("Renewal in progress"), _l(
        "The certificate's period of validity has ended, but the co-op applied to renew it in time and the renewal is being decided.")),
}
JSON_TYPES = ("application/vc", "application/vc+ld+json", "application/ld+json", "application/json")


def _certificate_or_404(code: str):
    certificate = service.get_by_code(code)
    if certificate is None:
        g.unknown_code = code
        abort(404)
    return certificate


def _credential_response(body: str, etag: str) -> Response:
    response = Response(body, content_type="application/vc+ld+json; charset=utf-8")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response.make_conditional(request)


def _credential(code: str) -> tuple[str, str]:
    """The signed credential and its ETag. It never changes once issued (its status is in the status
    lists), so each process reads it once per code."""
    credentials = current_app.extensions.setdefault("qualitymark.credentials", LRUCache(maxsize=4096))
    code = service.normalise_code(code)
    found = credentials.get(code)
    if found is None:
        certificate = _certificate_or_404(code)
        body = certificate.credential_json
        found = credentials[code] = (body, hashlib.sha256(body.encode()).hexdigest())
    return found


def _locale() -> str:
    try:
        from flask_babel import get_locale
    except ImportError:  # pragma: no cover - Flask-Babel is a dependency
        return request.cookies.get("qm_lang") or str(request.accept_languages)
    return str(get_locale())


def _page_response(body: str, etag: str) -> Response:
    response = Response(body, content_type="text/html; charset=utf-8")
    response.vary.update(("Accept", "Accept-Language", "Cookie"))
    response.cache_control.no_cache = True
    response.set_etag(etag)
    return response.make_conditional(request)


@bp.route("/c/<code>")
def show(code: str):
    best = request.accept_mimetypes.best_match(("text/html",) + JSON_TYPES, default="text/html")
    if best in JSON_TYPES and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]:
        return _credential_response(*_credential(code))
    # Everyone who is not signed in (and has no message waiting) sees the same page: it is kept per
    # code, language, query string and day, and dropped as soon as any certificate or co-op changes,
    # or a renewal's standing does (an expired certificate may be "renewal in progress").
    public = public_cache.cache()
    key = generation = None
    if public is not None and not current_user.is_authenticated and "_flashes" not in session:
        key = ("certificate-page", service.normalise_code(code), _locale(), utcnow().date(), request.query_string)
        generation = public.generation()
        cached = public.get(key, generation)
        if cached is not None:
            return _page_response(*cached)
    found = service.get_with_organisation(code)
    if found is None:
        g.unknown_code = code
        abort(404)
    certificate, organisation = found
    version = service.rubric_summary(certificate.rubric_version_id)
    state = public_state(certificate)
    may_manage = current_user.is_authenticated and policy.can(current_user, "office.view")
    body = render_template(
        "certificates/show.html", certificate=certificate, organisation=organisation, version=version,
        state=state, words=STATE_WORDS[state], may_manage=may_manage,
        url=f"{service.base_url()}/c/{certificate.public_code}", qr_svg=_qr(certificate.public_code))
    etag = hashlib.sha256(body.encode()).hexdigest()
    if key is not None:
        public.put(key, generation, (body, etag))
    return _page_response(body, etag)


def _qr(code: str):
    from markupsafe import Markup

    return Markup(_qr_for_url(f"{service.base_url()}/c/{code}"))


@lru_cache(maxsize=4096)
def _qr_for_url(url: str) -> str:
    # A code's QR never changes; drawing it costs more than the rest of the page.
    from qualitymark.certificates.render import qr_svg

    return qr_svg(url)


@bp.route("/c/<code>.json")
def credential(code: str):
    return _credential_response(*_credential(code))


@bp.route("/c/<code>.pdf")
def pdf(code: str):
    certificate = _certificate_or_404(code)
    document = service.render_pdf(certificate)  # cached: renders only when the state changed
    response = Response(document.content, content_type="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{certificate.public_code}.pdf"'
    response.set_etag(document.sha256)
    response.cache_control.no_cache = True
    return response.make_conditional(request)


@bp.route("/c/<code>/badge.svg")
def badge(code: str):
    from qualitymark.certificates.render import render_badge_svg

    certificate = _certificate_or_404(code)
    # What the verification page says, "renewal in progress" included (the PDF keeps the credential's state).
    svg = render_badge_svg(dataclasses.replace(service.view_of(certificate), status=public_state(certificate)))
    response = Response(svg, content_type="image/svg+xml; charset=utf-8")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.cache_control.public = True
    response.cache_control.max_age = 300
    response.set_etag(hashlib.sha256(svg.encode()).hexdigest())
    return response.make_conditional(request)


@bp.route("/.well-known/did.json")
def did_document():
    document = service.did_document()
    db.session().commit()  # a first key may just have been registered (development)
    response = jsonify(document)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@bp.route("/status/<purpose>/<int:number>")
def status_list(purpose: str, number: int):
    status_list = service.get_status_list(purpose, number)
    if status_list is None:
        abort(404)
    body = service.signed_status_list(status_list)
    response = Response(body, content_type="application/vc+ld+json; charset=utf-8")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.set_etag(hashlib.sha256(body.encode()).hexdigest())
    response.cache_control.public = True
    # Matches the list's own `ttl`, so caches and verifiers agree on how stale a copy may be.
    response.cache_control.max_age = int(service.STATUS_TTL.total_seconds())
    return response.make_conditional(request)


class VerifyForm(FlaskForm):
    credential = TextAreaField(_l("Paste the credential (the JSON text)"), validators=[Length(max=1_000_000)])
    upload = FileField(_l("Or choose the credential file"))
    submit = SubmitField(_l("Check it"))


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def verify():
    form = VerifyForm()
    report = error = None
    if form.validate_on_submit():
        raw = form.credential.data or ""
        if form.upload.data:
            raw = form.upload.data.stream.read(1_000_001).decode("utf-8", "replace")
        if len(raw) > 1_000_000:
            error = _("That is larger than any credential we issue (1 MB). Check you chose the right file.")
        elif not raw.strip():
            error = _("Paste the credential's text, or choose its file.")
        else:
            try:
                document = json.loads(raw)
            except json.JSONDecodeError as problem:
                error = _("This is not a credential file: it is not valid JSON (line %(line)s, column %(column)s: "
                          "%(problem)s). Paste the whole file, from { to }.", line=problem.lineno,
                          column=problem.colno, problem=problem.msg)
            else:
                if not isinstance(document, dict):
                    error = _("This is not a credential: it should be a JSON object, starting with {.")
                else:
                    report = service.verify_here(document)
    if error:
        form.credential.errors.append(error)
    return render_template("certificates/verify.html", form=form, report=report)


@bp.route("/register")
@limiter.limit("120 per minute")
def register():
    query, region, service_name = (request.args.get(k, "") for k in ("q", "region", "service"))
    number = max(request.args.get("page", 1, type=int) or 1, 1)
    listing = service.register_page(query, region, service_name, number)
    pages = max((listing.total + 19) // 20, 1)
    return render_template("certificates/register.html", entries=listing.entries, total=listing.total,
                           more=listing.more, has_next=listing.has_next, page=number, pages=pages,
                           query=query, region=region, service_name=service_name, words=STATE_WORDS)


@bp.route("/register/<slug>")
def register_entry(slug: str):
    from sqlmodel import select

    organisation = db.session().exec(select(Organisation).where(Organisation.slug == slug)).first()
    history = service.certificates_of(organisation) if organisation else []
    if organisation is None or not history:
        abort(404)
    today = utcnow().date()
    return render_template("certificates/register_entry.html", organisation=organisation,
                           history=list(zip(history, public_states(history, today))), words=STATE_WORDS)


# --- JSON API --------------------------------------------------------------------------------

def _api_entry(certificate, organisation, state: str) -> dict:
    base = service.base_url()
    return {
        "code": certificate.public_code, "state": state, "co_op": organisation.name,
        "co_op_url": f"{base}/register/{organisation.slug}", "region": organisation.region,
        "award": certificate.award_name, "services": certificate.service_list,
        "valid_from": certificate.valid_from.isoformat(), "valid_until": certificate.valid_until.isoformat(),
        "verification_url": f"{base}/c/{certificate.public_code}",
        "credential_url": f"{base}/c/{certificate.public_code}.json",
    }


@bp.route("/api/v1/register")
@limiter.limit("120 per minute")
def api_register():
    number = max(request.args.get("page", 1, type=int) or 1, 1)
    listing = service.register_page(request.args.get("q", ""), request.args.get("region", ""),
                                    request.args.get("service", ""), number, size=100, count_limit=None)
    response = jsonify({"total": listing.total, "page": number, "page_size": 100,
                        "results": [_api_entry(e.certificate, e.organisation, e.state) for e in listing.entries]})
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/api/v1/certificates/<code>")
@limiter.limit("600 per minute")
def api_certificate(code: str):
    certificate = service.get_by_code(code)
    if certificate is None:
        response = jsonify({"error": "not_found", "message": f"No certificate has the code {code}."})
        response.status_code = 404
    else:
        organisation = db.session().get(Organisation, certificate.organisation_id)
        response = jsonify(_api_entry(certificate, organisation, public_state(certificate)))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/api/v1/openapi.json")
def openapi():
    from qualitymark.web.openapi import document

    response = jsonify(document(service.base_url()))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/api")
def api_docs():
    return render_template("certificates/api.html", openapi_url=url_for("certificates.openapi"))

