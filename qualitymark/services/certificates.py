"""Certificates: keys, status lists, issuing (exactly once), suspension, reinstatement,
withdrawal, and verification against this service's own DID document and status lists."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from qualitymark import db
from qualitymark.clock import utcnow
from qualitymark.credentials import (
    ResolutionError,
    StatusBits,
    build_did_document,
    build_open_badge_credential,
    build_status_list_credential,
    did_web_from_base_url,
    generate_private_key,
    load_private_key,
    public_key_multibase,
    save_private_key,
    sign_credential,
    status_entry,
    verify_credential,
)
from qualitymark.models.accounts import Organisation, User
from qualitymark.models.applications import Application
from qualitymark.models.certificates import Certificate, CertificateDocument, SigningKey, StatusList
from qualitymark.models.reviews import Decision
from qualitymark.models.rubrics import RubricVersion
from qualitymark.rubrics import text
from qualitymark.services import audit
from qualitymark.services.rubrics import rubric_of

ISSUER_NAME = "Care Quality Mark certification office"
STATUS_LIST_SIZE = 131072
STATUS_TTL = timedelta(hours=1)
STATUS_VALIDITY = timedelta(days=7)
CLOCK_SKEW = timedelta(minutes=5)
# Crockford's base32: no I, L, O or U, so a code read aloud or off a wall is not mistaken.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10


class CertificateError(ValueError):
    """Something a person can fix; the message says what."""


def base_url() -> str:
    return current_app.config["BASE_URL"]


def issuer_did() -> str:
    return did_web_from_base_url(base_url())


def new_public_code() -> str:
    return "CQM-" + "".join(secrets.choice(CROCKFORD) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    """People type codes from paper: accept lower case, spaces, and the letters Crockford maps."""
    cleaned = code.strip().upper().replace(" ", "").replace("O", "0").replace("I", "1").replace("L", "1")
    if cleaned.startswith("CQM") and not cleaned.startswith("CQM-"):
        cleaned = "CQM-" + cleaned[3:]
    return cleaned


# --- keys -------------------------------------------------------------------------------------

def _keys_folder() -> Path:
    return current_app.config["SETTINGS"].signing_key_path.parent


def keys() -> list[SigningKey]:
    return list(db.session().exec(select(SigningKey).order_by(SigningKey.id)).all())


def current_key() -> SigningKey:
    """The key new signatures use. In development the first one is generated on first use; in
    production the configured key file is registered, and its absence is an error that says so."""
    live = [key for key in keys() if key.retired_at is None]
    if live:
        return live[-1]
    settings = current_app.config["SETTINGS"]
    path = settings.signing_key_path
    if not path.exists():
        if settings.production:
            raise CertificateError(
                f"No signing key: QUALITYMARK_SIGNING_KEY_PATH points at {path}, which does not exist. "
                "Put the issuer's key there, or run `qualitymark keys rotate` to create one.")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        save_private_key(path, generate_private_key())
    return _register(path)


def _register(path: Path) -> SigningKey:
    key = load_private_key(path)
    row = SigningKey(key_id=f"key-{len(keys()) + 1}", public_key_multibase=public_key_multibase(key),
                     private_key_file=str(path))
    db.session().add(row)
    db.session().flush()
    audit.record("key.created", "signing_key", row.id, actor_id=None, changes={"key_id": row.key_id})
    return row


def rotate_key() -> SigningKey:
    """A new key for new signatures; the old one is retired but stays in the DID document."""
    old = [key for key in keys() if key.retired_at is None]
    folder = _keys_folder()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"signing-key-{utcnow():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}.pem"
    save_private_key(path, generate_private_key())
    # Proof times are whole seconds: retire from the next whole second, so a certificate signed
    # earlier in this same second is still "before the key was retired".
    retired = utcnow().replace(microsecond=0) + timedelta(seconds=1)
    for key in old:
        key.retired_at = retired
    db.session().flush()
    row = _register(path)
    audit.record("key.rotated", "signing_key", row.id, actor_id=None,
                 changes={"retired": [key.key_id for key in old], "new": row.key_id})
    return row


def did_document() -> dict:
    current_key()  # make sure there is one to list
    return build_did_document(issuer_did(), [(k.key_id, k.public_key_multibase, k.retired_at) for k in keys()])


def _sign(document: dict) -> tuple[dict, SigningKey]:
    key_row = current_key()
    private = load_private_key(Path(key_row.private_key_file))
    return sign_credential(document, private, f"{issuer_did()}#{key_row.key_id}", utcnow()), key_row


# --- status lists -----------------------------------------------------------------------------

def status_list_url(purpose: str, number: int) -> str:
    return f"{base_url()}/status/{purpose}/{number}"


def _list_column(purpose: str):
    return Certificate.revocation_list_id if purpose == "revocation" else Certificate.suspension_list_id


def _open_list(purpose: str) -> StatusList:
    """The newest list of this purpose with room left (a new one when full)."""
    from sqlalchemy import func

    session = db.session()
    lists = session.exec(select(StatusList).where(StatusList.purpose == purpose).order_by(StatusList.number)).all()
    column = _list_column(purpose)
    # Counted by the unique (list, index) constraint's index; no list of used indices is loaded.
    used = dict(session.exec(select(column, func.count()).group_by(column)).all())
    for status_list in lists:
        if used.get(status_list.id, 0) < status_list.size // 2:  # keep lists sparse enough to hide who is who
            return status_list
    status_list = StatusList(purpose=purpose, number=len(lists) + 1, size=STATUS_LIST_SIZE,
                             bits=StatusBits(STATUS_LIST_SIZE).to_bytes())
    session.add(status_list)
    session.flush()
    return status_list


FREE_INDEX_TRIES = 64


def _free_index(status_list: StatusList) -> int:
    """A random index of the list that no certificate holds. The list is at most half full (see
    _open_list), so each random pick is free with a chance of at least one half; a pick is checked
    with one lookup by the unique (list, index) constraint, and a clash with a certificate issued
    meanwhile by another worker is caught by that constraint and retried (issue_certificate)."""
    column = Certificate.revocation_index if status_list.purpose == "revocation" else Certificate.suspension_index
    session = db.session()
    for _ in range(FREE_INDEX_TRIES):
        index = secrets.randbelow(status_list.size)
        taken = session.exec(select(Certificate.id).where(_list_column(status_list.purpose) == status_list.id,
                                                          column == index)).first()
        if taken is None:
            return index
    raise RuntimeError(f"no free index found in {FREE_INDEX_TRIES} tries in {status_list.purpose} list "
                       f"{status_list.number}; retrying")


def set_status_bit(status_list: StatusList, index: int, value: bool) -> None:
    bits = StatusBits(status_list.size, data=status_list.bits)
    bits.set(index) if value else bits.clear(index)
    status_list.bits = bits.to_bytes()
    status_list.version += 1
    status_list.updated_at = utcnow()
    refresh_status_list(status_list)


def refresh_status_list(status_list: StatusList) -> None:
    """Sign the list again (after a change, or before the signed copy expires)."""
    now = utcnow()
    # Valid from a few minutes back: a verifier whose clock is a little behind ours (or that took
    # its "now" just before this list was signed) must not see it as not yet valid.
    document = build_status_list_credential(
        status_list_url(status_list.purpose, status_list.number), issuer_did(), status_list.purpose,
        StatusBits(status_list.size, data=status_list.bits).encode(), now - CLOCK_SKEW, now + STATUS_VALIDITY,
        int(STATUS_TTL.total_seconds() * 1000))
    signed, _key = _sign(document)
    status_list.credential_json = json.dumps(signed, ensure_ascii=False, separators=(",", ":"))
    status_list.credential_valid_until = now + STATUS_VALIDITY
    db.session().flush()


def get_status_list(purpose: str, number: int) -> StatusList | None:
    return db.session().exec(select(StatusList).where(StatusList.purpose == purpose,
                                                      StatusList.number == number)).first()


def signed_status_list(status_list: StatusList) -> str:
    if status_list.credential_json is None or status_list.credential_valid_until is None \
            or status_list.credential_valid_until - utcnow() < STATUS_VALIDITY / 2:
        refresh_status_list(status_list)
    return status_list.credential_json


def refresh_stale_status_lists() -> int:
    count = 0
    for status_list in db.session().exec(select(StatusList)).all():
        if status_list.credential_valid_until is None or \
                status_list.credential_valid_until - utcnow() < STATUS_VALIDITY / 2:
            refresh_status_list(status_list)
            count += 1
    return count


# --- issuing ----------------------------------------------------------------------------------

def certificate_for_application(application_id: int) -> Certificate | None:
    return db.session().exec(select(Certificate).where(Certificate.application_id == application_id)).first()


def get_by_code(code: str) -> Certificate | None:
    return db.session().exec(select(Certificate).where(Certificate.public_code == normalise_code(code))).first()


def get_with_organisation(code: str) -> tuple[Certificate, Organisation] | None:
    """The certificate and its co-op in one query (the verification page needs both)."""
    row = db.session().exec(select(Certificate, Organisation)
                            .join(Organisation, Organisation.id == Certificate.organisation_id)
                            .where(Certificate.public_code == normalise_code(code))).first()
    return None if row is None else (row[0], row[1])


@dataclass(frozen=True)
class RubricSummary:
    id: int
    scheme: str
    version: str
    title: str


def rubric_summary(rubric_version_id: int) -> RubricSummary:
    """What a certificate page says of its rubric. Published versions never change (the database
    refuses it), so each process asks once per version."""
    known = current_app.extensions.setdefault("qualitymark.rubric_summaries", {})
    summary = known.get(rubric_version_id)
    if summary is None:
        version = db.session().get(RubricVersion, rubric_version_id)
        summary = known[rubric_version_id] = RubricSummary(version.id, version.scheme, version.version,
                                                           version.title)
    return summary


def issue_certificate(decision_id: int) -> Certificate | None:
    """Issue the certificate a decision to certify asks for — exactly once, however often this
    runs and however many workers race (the unique application_id settles a race)."""
    session = db.session()
    decision = session.get(Decision, decision_id)
    if decision is None or decision.outcome == "decline":
        return None
    existing = certificate_for_application(decision.application_id)
    if existing is not None:
        return existing
    application = session.get(Application, decision.application_id)
    organisation = session.get(Organisation, application.organisation_id)
    version = session.get(RubricVersion, application.rubric_version_id)
    rubric = rubric_of(version)
    award = next(a for a in rubric.awards if a.id == decision.award_id)
    valid_from = decision.decided_at.date()
    # Valid through the day before the anniversary: 36 months from 22 Nov 2026 is "until 21 Nov 2029".
    valid_until = valid_from + relativedelta(months=rubric.validity_months) - timedelta(days=1)
    revocation, suspension = _open_list("revocation"), _open_list("suspension")
    code = new_public_code()
    while get_by_code(code) is not None:
        code = new_public_code()
    certificate = Certificate(
        public_code=code, application_id=application.id, decision_id=decision.id,
        organisation_id=organisation.id, rubric_version_id=version.id, award_id=award.id,
        award_name=text(award.name, "en"),
        award_name_cy=text(award.name, "cy") if text(award.name, "cy") != text(award.name, "en") else None,
        services=organisation.services, valid_from=valid_from, valid_until=valid_until,
        revocation_list_id=revocation.id, revocation_index=_free_index(revocation),
        suspension_list_id=suspension.id, suspension_index=_free_index(suspension),
        signing_key_id=0, credential_json="{}",
    )
    document = build_open_badge_credential(
        credential_id=f"{base_url()}/c/{code}", name=f"{certificate.award_name}: {organisation.name}",
        issuer_did=issuer_did(), issuer_name=ISSUER_NAME, issuer_url=base_url(),
        subject_id=f"{base_url()}/register/{organisation.slug}", subject_name=organisation.name,
        achievement_id=f"{base_url()}/rubrics/{version.scheme}/{version.version}#award-{award.id}",
        achievement_name=certificate.award_name,
        achievement_description=text(award.description, "en") if award.description else
        f"{certificate.award_name}, awarded against {version.title} version {version.version}.",
        criteria_url=f"{base_url()}/rubrics/{version.scheme}/{version.version}", level=award.id,
        valid_from=datetime.combine(valid_from, datetime.min.time(), tzinfo=decision.decided_at.tzinfo),
        # The credential's validUntil is the end of the last valid day.
        valid_until=datetime.combine(valid_until + timedelta(days=1), datetime.min.time(),
                                     tzinfo=decision.decided_at.tzinfo),
        credential_status=[
            status_entry(status_list_url("revocation", revocation.number), certificate.revocation_index, "revocation"),
            status_entry(status_list_url("suspension", suspension.number), certificate.suspension_index, "suspension"),
        ],
    )
    signed, key_row = _sign(document)
    certificate.credential_json = json.dumps(signed, ensure_ascii=False, separators=(",", ":"))
    certificate.signing_key_id = key_row.id
    try:
        # Add inside the SAVEPOINT: begin_nested() flushes pending objects before it starts.
        with session.begin_nested():
            session.add(certificate)
            session.flush()
    except IntegrityError:
        # Another worker issued it first: theirs is the one. If none exists, the clash was on a
        # status-list index or the code: fail, so the job is retried with fresh picks rather than
        # being recorded as done with no certificate.
        issued = certificate_for_application(decision.application_id)
        if issued is None:
            raise RuntimeError(f"certificate for decision {decision_id} clashed on a status index or code; retrying")
        return issued
    audit.record("certificate.issued", "certificate", certificate.id, actor_id=None,
                 changes={"public_code": code, "application_id": application.id, "award": award.id,
                          "valid_until": valid_until.isoformat()})
    from qualitymark.jobs import enqueue

    enqueue("render_certificate_pdf", key=f"render-pdf-{certificate.id}-active", certificate_id=certificate.id)
    from qualitymark.services.notifications import notify_organisation

    # Each member, in their own language, in the list and by email; the link is the public page.
    notify_organisation(organisation, "certificate_issued", key=f"certificate-{certificate.id}-issued",
                        link=f"/c/{code}", award=certificate.award_name, expires_date=valid_until, code=code)
    return certificate


# --- changes of status -------------------------------------------------------------------------

def _require_office(actor: User) -> None:
    if not (actor.has_role("officer") or actor.has_role("admin")):
        raise CertificateError("Only the certification office changes a certificate's status.")


def _change(certificate: Certificate, new_status: str, reason: str, actor: User, action: str) -> None:
    reason = reason.strip()
    if not reason:
        raise CertificateError("Write the reason: the co-op is told, and it is kept on record.")
    before = certificate.status
    certificate.status = new_status
    certificate.status_reason = reason
    certificate.status_changed_at = utcnow()
    session = db.session()
    if new_status == "withdrawn":
        set_status_bit(session.get(StatusList, certificate.revocation_list_id), certificate.revocation_index, True)
        # Withdrawal is final; a suspension bit is cleared so only one reason shows.
        set_status_bit(session.get(StatusList, certificate.suspension_list_id), certificate.suspension_index, False)
    else:
        set_status_bit(session.get(StatusList, certificate.suspension_list_id), certificate.suspension_index,
                       new_status == "suspended")
    session.flush()
    audit.record(action, "certificate", certificate.id, actor_id=actor.id,
                 changes={"status": {"before": before, "after": new_status}, "reason": reason})
    from qualitymark.jobs import enqueue

    enqueue("render_certificate_pdf", key=f"render-pdf-{certificate.id}-{new_status}-{certificate.status_changed_at:%s}",
            certificate_id=certificate.id)
    organisation = session.get(Organisation, certificate.organisation_id)
    from qualitymark.services.notifications import notify_organisation

    # A suspension can be appealed (services.appeals), from the certificate's page; a withdrawal is
    # final, so it points to the complaints form rather than promising an appeal that does not exist.
    days = current_app.config["SETTINGS"].appeal_days
    page = f"/coops/{organisation.slug}/certificates/{certificate.public_code}"
    kind, link, extra = {
        "suspended": ("certificate_suspended", page,
                      {"days": days, "until_date": certificate.status_changed_at.date() + timedelta(days=days)}),
        "active": ("certificate_reinstated", page, {}),
        "withdrawn": ("certificate_withdrawn", f"/complaints/new?organisation={organisation.slug}", {}),
    }[new_status]
    notify_organisation(organisation, kind, key=f"certificate-{certificate.id}-{new_status}-"
                        f"{certificate.status_changed_at:%s}", link=link, code=certificate.public_code,
                        reason=reason, **extra)


def suspend(certificate: Certificate, reason: str, *, actor: User) -> None:
    _require_office(actor)
    if certificate.status != "active":
        raise CertificateError("Only an active certificate can be suspended.")
    _change(certificate, "suspended", reason, actor, "certificate.suspended")


def reinstate(certificate: Certificate, reason: str, *, actor: User) -> None:
    _require_office(actor)
    if certificate.status != "suspended":
        raise CertificateError("Only a suspended certificate can be reinstated.")
    _change(certificate, "active", reason, actor, "certificate.reinstated")


def withdraw(certificate: Certificate, reason: str, *, actor: User) -> None:
    _require_office(actor)
    if certificate.status == "withdrawn":
        raise CertificateError("This certificate is already withdrawn; withdrawal is final.")
    _change(certificate, "withdrawn", reason, actor, "certificate.withdrawn")


# --- documents ----------------------------------------------------------------------------------

def view_of(certificate: Certificate):
    from qualitymark.certificates.render import CertificateView

    session = db.session()
    organisation = session.get(Organisation, certificate.organisation_id)
    version = rubric_summary(certificate.rubric_version_id)
    return CertificateView(
        public_code=certificate.public_code, verification_url=f"{base_url()}/c/{certificate.public_code}",
        coop_name=organisation.name, coop_region=organisation.region, award_name=certificate.award_name,
        award_name_cy=certificate.award_name_cy, services=certificate.service_list,
        rubric_title=version.title, rubric_version=version.version,
        rubric_url=f"{base_url()}/rubrics/{version.scheme}/{version.version}",
        valid_from=certificate.valid_from, valid_until=certificate.valid_until, issuer_name=ISSUER_NAME,
        status=certificate.state_on(utcnow().date()),
    )


def render_pdf(certificate: Certificate) -> CertificateDocument:
    """Render (or re-render, after a change of state) and keep the PDF."""
    import hashlib

    from qualitymark.certificates.render import render_certificate_pdf

    view = view_of(certificate)
    session = db.session()
    document = session.exec(select(CertificateDocument).where(
        CertificateDocument.certificate_id == certificate.id, CertificateDocument.kind == "pdf")).first()
    if document is not None and document.rendered_state == view.status:
        return document
    content = render_certificate_pdf(view)
    if document is None:
        document = CertificateDocument(certificate_id=certificate.id, kind="pdf", rendered_state=view.status,
                                       content=content, sha256=hashlib.sha256(content).hexdigest())
        session.add(document)
    else:
        document.content, document.rendered_state = content, view.status
        document.sha256, document.rendered_at = hashlib.sha256(content).hexdigest(), utcnow()
    session.flush()
    return document


# --- verification here -----------------------------------------------------------------------------

def _local_resolver(did: str) -> dict:
    if did == issuer_did():
        return did_document()
    raise ResolutionError(
        f"{did} is not this service, and this page does not fetch other issuers' documents. "
        "Use `qualitymark verify` on your own computer to check credentials from other issuers.")


def _local_status_list(url: str) -> dict:
    prefix = f"{base_url()}/status/"
    if url.startswith(prefix):
        purpose, _, number = url[len(prefix):].partition("/")
        if number.isdigit():
            status_list = get_status_list(purpose, int(number))
            if status_list is not None:
                return json.loads(signed_status_list(status_list))
    raise ResolutionError(f"the status list {url} is not one this service publishes")


def verify_here(credential: dict):
    return verify_credential(credential, _local_resolver, _local_status_list, utcnow())


@dataclass
class RegisterEntry:
    certificate: Certificate  # only the columns the register shows are loaded
    organisation: Organisation
    state: str


@dataclass
class RegisterPage:
    entries: list[RegisterEntry]
    total: int  # with `more`, a lower bound: the count stops at the limit it was given
    more: bool
    has_next: bool


REGISTER_COUNT_LIMIT = 200


def register_page(query: str = "", region: str = "", service: str = "", number: int = 1, size: int = 20,
                  count_limit: int | None = REGISTER_COUNT_LIMIT) -> RegisterPage:
    """Certified co-ops (latest certificate each), searchable, in name order; two queries whose cost
    does not grow with the register: the page walks the name index (or the trigram index, for a
    search) and looks up each co-op's latest certificate by ix_certificate_organisation_id_id, and
    the count stops at `count_limit` (None counts them all, for the API)."""
    from sqlalchemy import func, literal
    from sqlalchemy.orm import aliased, load_only

    session = db.session()
    newer = aliased(Certificate)
    latest_id = (select(func.max(newer.id)).where(newer.organisation_id == Organisation.id)
                 .correlate(Organisation).scalar_subquery())
    conditions = []
    if query.strip():
        conditions.append(Organisation.name.ilike(f"%{query.strip()}%"))
    if region.strip():
        conditions.append(Organisation.region.ilike(f"%{region.strip()}%"))
    if service.strip():
        conditions.append(Certificate.services.ilike(f"%{service.strip()}%"))
    matching = select(literal(1)).select_from(Organisation).join(Certificate, Certificate.id == latest_id).where(
        *conditions)
    if count_limit is not None:
        matching = matching.limit(count_limit + 1)
    total = session.exec(select(func.count()).select_from(matching.subquery())).one()
    more = count_limit is not None and total > count_limit
    statement = (select(Certificate, Organisation).select_from(Organisation)
                 .join(Certificate, Certificate.id == latest_id).where(*conditions)
                 .options(load_only(Certificate.public_code, Certificate.award_name, Certificate.award_name_cy,
                                    Certificate.services, Certificate.valid_from, Certificate.valid_until,
                                    Certificate.status, Certificate.status_changed_at, Certificate.organisation_id),
                          load_only(Organisation.name, Organisation.slug, Organisation.region))
                 .order_by(Organisation.name, Organisation.id)
                 .limit(size + 1).offset((max(number, 1) - 1) * size))
    rows = session.exec(statement).all()
    from qualitymark.services.lifecycle import public_states

    # Expired but renewed in time shows as "renewal in progress" for the grace period (one query).
    shown = rows[:size]
    states = public_states([c for c, _o in shown], utcnow().date())
    entries = [RegisterEntry(c, o, state) for (c, o), state in zip(shown, states)]
    return RegisterPage(entries, min(total, count_limit) if more else total, more, len(rows) > size)


def certificates_of(organisation: Organisation) -> list[Certificate]:
    return list(db.session().exec(select(Certificate).where(Certificate.organisation_id == organisation.id)
                                  .order_by(Certificate.issued_at.desc())).all())


__all__ = ["CertificateError", "date"]
