"""Privacy: a person's own data, deleting an account (the audit trail keeps a pseudonym), and
deleting evidence files once the retention period after a decision has passed."""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func
from sqlmodel import select

from qualitymark import db
from qualitymark.clock import utcnow
from qualitymark.models.accounts import Invitation, Membership, Organisation, RecoveryCode, StaffRole, User
from qualitymark.models.applications import Application, EvidenceItem
from qualitymark.models.audit import AuditEvent
from qualitymark.models.lifecycle import Complaint, Notification
from qualitymark.models.reviews import AssessorProfile, Assignment, Score
from qualitymark.services import audit


DELETED_EMAIL_DOMAIN = "@deleted.invalid"  # an address no mail can reach (RFC 2606)


def is_deleted_address(email: str) -> bool:
    """True for the address a deleted account (and its complaints) is left with."""
    return email.endswith(DELETED_EMAIL_DOMAIN)


class PrivacyError(ValueError):
    """Something a person can fix; the message says what."""


def export_personal_data(user: User) -> dict:
    """Everything the service holds about this person, as plain JSON."""
    session = db.session()
    memberships = session.exec(select(Membership, Organisation).join(
        Organisation, Organisation.id == Membership.organisation_id).where(Membership.user_id == user.id)).all()
    assignments = session.exec(select(Assignment).where(Assignment.assessor_id == user.id)).all()
    scores = session.exec(select(Score).join(Assignment, Assignment.id == Score.assignment_id)
                          .where(Assignment.assessor_id == user.id)).all()
    events = session.exec(select(AuditEvent).where(AuditEvent.actor_id == user.id).order_by(AuditEvent.sequence)).all()
    profile = session.exec(select(AssessorProfile).where(AssessorProfile.user_id == user.id)).first()
    complaints = _complaints_of(user)
    return {
        "account": {"name": user.name, "email": user.email, "language": user.locale,
                    "created_at": user.created_at.isoformat(), "last_signin_at":
                        user.last_signin_at.isoformat() if user.last_signin_at else None,
                    "email_confirmed": user.email_confirmed_at is not None,
                    "two_factor": user.two_factor_enabled, "staff_roles": sorted(user.role_names)},
        "co_ops": [{"name": org.name, "role": membership.role, "since": membership.created_at.isoformat()}
                   for membership, org in memberships],
        "assessor_profile": None if profile is None else {
            "regions": profile.regions, "languages": profile.languages, "expertise_sections": profile.expertise_sections,
            "capacity_per_quarter": profile.capacity_per_quarter, "active": profile.active},
        "reviews": [{"application": a.application_id, "round": a.round_number, "status": a.status,
                     "due_date": a.due_date.isoformat()} for a in assignments],
        "scores": [{"assignment": s.assignment_id, "criterion": s.criterion_id, "level": s.level,
                    "rationale": s.rationale} for s in scores],
        "complaints": [{"reference": c.reference, "name": c.complainant_name, "email": c.complainant_email,
                        "text": c.text, "received_at": c.received_at.isoformat(), "status": c.status,
                        "outcome": c.outcome, "outcome_reason": c.outcome_reason} for c in complaints],
        "actions_recorded": [{"time": e.created_at.isoformat(), "action": e.action, "object": f"{e.object_type} {e.object_id}"}
                             for e in events],
    }


def _complaints_of(user: User) -> list[Complaint]:
    """Complaints the person made signed in, or from their account's address while signed out."""
    return list(db.session().exec(select(Complaint).where(
        (Complaint.complainant_user_id == user.id) | (func.lower(Complaint.complainant_email) == user.email.lower()))
        .order_by(Complaint.id)).all())


def delete_account(user: User) -> None:
    """Remove what identifies the person; keep the records a certification body must keep, under a
    pseudonym ("Former user 42"), so the audit trail still says that the same someone acted."""
    session = db.session()
    memberships = session.exec(select(Membership).where(Membership.user_id == user.id)).all()
    for membership in memberships:
        if membership.role == "owner":
            owners = session.exec(select(Membership).where(Membership.organisation_id == membership.organisation_id,
                                                           Membership.role == "owner")).all()
            if len(owners) == 1:
                organisation = session.get(Organisation, membership.organisation_id)
                raise PrivacyError(_("You are the only owner of %(coop)s. Make another member an owner "
                                     "first, so the co-op is not left without one.", coop=organisation.name))
    for row in [*memberships,
                *session.exec(select(StaffRole).where(StaffRole.user_id == user.id)).all(),
                *session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()]:
        session.delete(row)
    for invitation in session.exec(select(Invitation).where(Invitation.email == user.email,
                                                            Invitation.accepted_at.is_(None))).all():
        invitation.revoked_at = utcnow()
    profile = session.exec(select(AssessorProfile).where(AssessorProfile.user_id == user.id)).first()
    if profile is not None:
        profile.active = False
        profile.regions = ""
    # Their own list of notifications goes; complaints they made stay on record (ISO/IEC 17065 7.13)
    # with what they said, under the pseudonym and without their address (no outcome is emailed).
    for notification in session.exec(select(Notification).where(Notification.user_id == user.id)).all():
        session.delete(notification)
    complaints = _complaints_of(user)
    user.name = f"Former user {user.id}"
    user.email = f"deleted-{user.id}-{secrets.token_hex(4)}{DELETED_EMAIL_DOMAIN}"
    for complaint in complaints:
        complaint.complainant_user_id = user.id  # still recognised when the office checks independence
        complaint.complainant_name, complaint.complainant_email = user.name, user.email
    user.password_hash = "!deleted"  # matches no password: argon2 refuses it as a hash
    user.totp_secret = None
    user.totp_enabled_at = None
    user.is_active = False
    user.session_epoch += 1
    session.flush()
    audit.record("user.deleted", "user", user.id, actor_id=user.id)


def retention_days() -> int:
    return current_app.config["SETTINGS"].evidence_retention_days


def delete_expired_evidence() -> int:
    """Delete evidence files whose application was decided (or withdrawn) longer ago than the
    retention period; the row, its SHA-256 and its name stay as the record of what was seen."""
    from qualitymark.jobs import enqueue

    cutoff = utcnow() - timedelta(days=retention_days())
    session = db.session()
    closed = select(Application.id).where(Application.status.in_(("certified", "declined", "withdrawn")),
                                          Application.updated_at < cutoff)
    items = session.exec(select(EvidenceItem).where(EvidenceItem.application_id.in_(closed),
                                                    EvidenceItem.file_deleted_at.is_(None))).all()
    for item in items:
        item.file_deleted_at = utcnow()
    session.flush()
    for item in items:
        # A renewal may still use the same file by reference: it goes with the last row that needs it.
        still_needed = session.exec(select(EvidenceItem.id).where(
            EvidenceItem.storage_key == item.storage_key, EvidenceItem.file_deleted_at.is_(None))).first()
        if still_needed is None:
            # The file goes once the database records it as gone (after the commit).
            enqueue("delete_evidence_file", storage_key=item.storage_key)
        audit.record("evidence.file_deleted", "application", item.application_id, actor_id=None,
                     changes={"evidence_id": item.id, "sha256": item.sha256, "reason": "retention period ended"})
    session.flush()
    return len(items)
