"""Complaints (ISO/IEC 17065 7.13): anyone may complain about a certified co-op or about the scheme;
an officer who had no part in that co-op's assessment, decision or suspension takes the complaint
and closes it with an outcome and reasons. Every step is audited.

The complainant's name and address are never written to the audit trail (it is append-only, and
a complainant has no account to delete): the complaint row holds them, the trail holds the
reference."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import case
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from qualitymark import db
from qualitymark.clock import utcnow
from qualitymark.mail import send_mail
from qualitymark.models.accounts import Membership, Organisation, User
from qualitymark.models.applications import Application
from qualitymark.models.audit import AuditEvent
from qualitymark.models.certificates import Certificate
from qualitymark.models.lifecycle import COMPLAINT_OUTCOMES, Complaint
from qualitymark.models.reviews import Assignment, Decision, ModeratedLevel
from qualitymark.services import audit
from qualitymark.services import notifications as notices
from qualitymark.services.applications import ApplicationError

# Crockford's base32 without the letters read as digits: "CMP-7K3Q9D" is read aloud over the phone.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TEXT_MAX = 10_000


class ComplaintError(ApplicationError):
    """A complaint step that is not allowed or not possible; the message says why."""


@dataclass
class ComplaintDetails:
    name: str
    email: str
    text: str
    locale: str = "en"
    organisation: Organisation | None = None
    certificate: Certificate | None = None
    user: User | None = None


def new_reference() -> str:
    return "CMP-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _i in range(6))


def get(complaint_id: int) -> Complaint | None:
    return db.session().get(Complaint, complaint_id)


def about(complaint: Complaint) -> Organisation | None:
    return db.session().get(Organisation, complaint.organisation_id) if complaint.organisation_id else None


def make_complaint(details: ComplaintDetails) -> Complaint:
    """Record a complaint, acknowledge it to the complainant in their language, tell the office."""
    name, email, text = details.name.strip(), details.email.strip(), details.text.strip()
    if not (name and email and text):
        raise ComplaintError(_("Give your name, an email address and what happened."))
    organisation = details.organisation
    if details.certificate is not None:
        organisation = db.session().get(Organisation, details.certificate.organisation_id)
    session = db.session()
    for _attempt in range(5):
        complaint = Complaint(
            reference=new_reference(), organisation_id=organisation.id if organisation else None,
            certificate_id=details.certificate.id if details.certificate else None,
            complainant_name=name[:200], complainant_email=email[:254],
            complainant_user_id=details.user.id if details.user else None, locale=details.locale or "en",
            text=text[:TEXT_MAX])
        try:
            with session.begin_nested():
                session.add(complaint)
                session.flush()
            break
        except IntegrityError:
            continue  # the reference was taken: draw another
    else:
        raise RuntimeError("could not draw a free complaint reference")
    audit.record("complaint.received", "complaint", complaint.id,
                 actor_id=details.user.id if details.user else None,
                 changes={"reference": complaint.reference, "organisation_id": complaint.organisation_id,
                          "certificate_id": complaint.certificate_id})
    _email_complainant(complaint, "emails/complaint_received.txt",
                       _subject_received, key=f"complaint-{complaint.id}-received")
    notices.notify_office("complaint_received", key=f"complaint-{complaint.id}-received",
                          link=f"/office/complaints/{complaint.id}", reference=complaint.reference,
                          about=organisation.name if organisation else "the scheme")
    return complaint


def _subject_received(complaint: Complaint) -> str:
    return _("We have received your complaint %(reference)s", reference=complaint.reference)


def _subject_closed(complaint: Complaint) -> str:
    return _("Your complaint %(reference)s is closed", reference=complaint.reference)


def _email_complainant(complaint: Complaint, template: str, subject, *, key: str) -> None:
    """A plain email in the language the complaint was made in: a complainant may have no account."""
    from qualitymark.services.privacy import is_deleted_address

    if is_deleted_address(complaint.complainant_email):
        return  # the complainant deleted their account: the record stays, there is no one to write to
    organisation = about(complaint)
    with force_locale(complaint.locale or "en"):
        body = render_template(template, complaint=complaint, organisation=organisation, words=notices.WORDS,
                               base_url=current_app.config["BASE_URL"])
        send_mail(complaint.complainant_email, subject(complaint), body, key=key)


# --- the office ---------------------------------------------------------------------------------

def listing() -> list[tuple[Complaint, Organisation | None, User | None]]:
    """Open complaints first (new before those being looked into), oldest first; then closed, newest first."""
    order = case((Complaint.status == "received", 0), (Complaint.status == "investigating", 1), else_=2)
    rows = db.session().exec(
        select(Complaint, Organisation, User)
        .outerjoin(Organisation, Organisation.id == Complaint.organisation_id)
        .outerjoin(User, User.id == Complaint.handler_id)
        .order_by(order, Complaint.received_at, Complaint.id)).all()
    open_rows = [row for row in rows if row[0].status != "closed"]
    closed = sorted((row for row in rows if row[0].status == "closed"), key=lambda row: row[0].closed_at, reverse=True)
    return open_rows + closed


def handler_conflicts(complaint: Complaint, officer: User) -> list[str]:
    """Why this person may not handle the complaint: empty when they may. A complaint about the
    scheme may be handled by any officer; one about a co-op only by an officer who took no part in
    its assessment, moderation, decisions or changes of certificate status, and is not a member."""
    reasons = []
    if not officer.has_role("officer"):
        reasons.append(_("only a certification officer handles complaints"))
    if complaint.complainant_user_id == officer.id or \
            complaint.complainant_email.strip().lower() == (officer.email or "").lower():
        reasons.append(_("you made this complaint"))
    if complaint.organisation_id is None:
        return reasons
    session = db.session()
    applications = select(Application.id).where(Application.organisation_id == complaint.organisation_id)
    if session.exec(select(Assignment.id).where(
            Assignment.application_id.in_(applications), Assignment.assessor_id == officer.id,
            Assignment.status.not_in(("declined", "withdrawn")))).first():
        reasons.append(_("you were an assessor on one of this co-op's applications"))
    if session.exec(select(ModeratedLevel.id).where(
            ModeratedLevel.application_id.in_(applications), ModeratedLevel.moderator_id == officer.id)).first():
        reasons.append(_("you moderated one of this co-op's applications"))
    if session.exec(select(Decision.id).where(
            Decision.application_id.in_(applications), Decision.decided_by_id == officer.id)).first():
        reasons.append(_("you made a certification decision on this co-op"))
    certificate_ids = [str(i) for i in session.exec(select(Certificate.id).where(
        Certificate.organisation_id == complaint.organisation_id)).all()]
    if certificate_ids and session.exec(select(AuditEvent.id).where(
            AuditEvent.object_type == "certificate", AuditEvent.object_id.in_(certificate_ids),
            AuditEvent.action.in_(("certificate.suspended", "certificate.withdrawn")),
            AuditEvent.actor_id == officer.id)).first():
        reasons.append(_("you suspended or withdrew this co-op's certificate"))
    if session.exec(select(Membership.id).where(Membership.user_id == officer.id,
                                                Membership.organisation_id == complaint.organisation_id)).first():
        reasons.append(_("you are a member of this co-op"))
    return reasons


def take(complaint: Complaint, *, actor: User) -> None:
    """An independent officer takes the complaint (or takes it over from another officer)."""
    if complaint.status == "closed":
        raise ComplaintError(_("This complaint is closed."))
    if complaint.handler_id == actor.id:
        raise ComplaintError(_("You are already handling this complaint."))
    reasons = handler_conflicts(complaint, actor)
    if reasons:
        raise ComplaintError(_("You cannot handle this complaint: %(reasons)s. Another officer must take it.",
                               reasons="; ".join(reasons)))
    before = {"status": complaint.status, "handler_id": complaint.handler_id}
    complaint.handler_id = actor.id
    complaint.status = "investigating"
    db.session().flush()
    audit.record("complaint.taken", "complaint", complaint.id, actor_id=actor.id,
                 changes={"before": before, "after": {"status": "investigating", "handler_id": actor.id}})


def close(complaint: Complaint, *, outcome: str, reason: str, actor: User) -> None:
    """The handler closes the complaint; the complainant is told the outcome and the reasons."""
    if complaint.status != "investigating" or complaint.handler_id != actor.id:
        raise ComplaintError(_("Only the officer handling this complaint can close it. Take it first."))
    # Checked again: the officer may have become involved with the co-op since taking it.
    reasons = handler_conflicts(complaint, actor)
    if reasons:
        raise ComplaintError(_("You cannot handle this complaint: %(reasons)s. Another officer must take it.",
                               reasons="; ".join(reasons)))
    if outcome not in COMPLAINT_OUTCOMES:
        raise ComplaintError(_("Choose an outcome."))
    reason = reason.strip()
    if not reason:
        raise ComplaintError(_("Write the reasons for the outcome: the complainant reads them."))
    complaint.status = "closed"
    complaint.outcome = outcome
    complaint.outcome_reason = reason
    complaint.closed_at = utcnow()
    db.session().flush()
    audit.record("complaint.closed", "complaint", complaint.id, actor_id=actor.id,
                 changes={"status": {"before": "investigating", "after": "closed"}, "outcome": outcome,
                          "reason": reason})
    _email_complainant(complaint, "emails/complaint_closed.txt", _subject_closed,
                       key=f"complaint-{complaint.id}-closed")
    if complaint.complainant_user_id is not None:
        user = db.session().get(User, complaint.complainant_user_id)
        if user is not None:
            # In their list too; the email above already carries the reasons, so no second email.
            notices.notify(user, "complaint_closed", key=f"complaint-{complaint.id}-closed", email=False,
                           reference=complaint.reference, outcome=outcome)
