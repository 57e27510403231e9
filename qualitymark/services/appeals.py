"""Appeals (ISO/IEC 17065 7.13): an owner of a co-op asks for the certification decision on its
application, or the suspension of its certificate, to be reconsidered — within
`settings.appeal_days` of it, once per decision and once per suspension. An officer who took no
part in the case decides: upheld or dismissed, with written reasons.

Upheld against a decision, the application goes back to `decision_pending` and the next decision
replaces the appealed one (services.reviews.record_decision links it here and refuses the officer
whose decision was appealed). Upheld against a suspension, the certificate is reinstated at once."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from qualitymark import db
from qualitymark.clock import utcnow
from qualitymark.models.accounts import Membership, Organisation, User
from qualitymark.models.applications import Application
from qualitymark.models.audit import AuditEvent
from qualitymark.models.certificates import Certificate
from qualitymark.models.lifecycle import Appeal
from qualitymark.models.reviews import Assignment, Decision, ModeratedLevel
from qualitymark.policy import is_owner
from qualitymark.services import audit
from qualitymark.services import notifications as notices
from qualitymark.services.applications import ApplicationError

GROUNDS_MAX = 10_000


class AppealError(ApplicationError):
    """An appeal step that is not allowed or not possible; the message says why."""


def appeal_days() -> int:
    return current_app.config["SETTINGS"].appeal_days


def today() -> date:
    return utcnow().date()


def get(appeal_id: int) -> Appeal | None:
    return db.session().get(Appeal, appeal_id)


# --- what may be appealed, and until when -----------------------------------------------------------

def decision_deadline(decision: Decision) -> date:
    """The last day to appeal: decided on 22 November, 30 days → until 22 December (inclusive)."""
    return decision.decided_at.date() + timedelta(days=appeal_days())


def suspension_deadline(certificate: Certificate) -> date:
    return certificate.status_changed_at.date() + timedelta(days=appeal_days())


def appeal_of_decision(decision: Decision) -> Appeal | None:
    return db.session().exec(select(Appeal).where(Appeal.decision_id == decision.id)).first()


def appeal_of_suspension(certificate: Certificate) -> Appeal | None:
    """The appeal against the certificate's current suspension (a later suspension is a new one)."""
    if certificate.status != "suspended" or certificate.status_changed_at is None:
        return None
    for appeal in db.session().exec(select(Appeal).where(Appeal.certificate_id == certificate.id)).all():
        if appeal.suspended_at == certificate.status_changed_at:
            return appeal
    return None


def suspension_appeals(certificate: Certificate) -> list[Appeal]:
    return list(db.session().exec(select(Appeal).where(Appeal.certificate_id == certificate.id)
                                  .order_by(Appeal.lodged_at.desc(), Appeal.id.desc())).all())


@dataclass
class Appealable:
    """What the co-op's page says about appealing one decision or suspension."""
    appeal: Appeal | None  # already lodged
    deadline: date | None
    open: bool  # an appeal may be lodged now
    why_not: str = ""


def decision_appealable(application: Application) -> Appealable | None:
    """None when there is no decision on the application to appeal."""
    from qualitymark.services.reviews import current_decision

    decision = current_decision(application)
    if decision is None:
        return None
    appeal = appeal_of_decision(decision)
    deadline = decision_deadline(decision)
    if appeal is not None:
        return Appealable(appeal, deadline, False, _("This decision has been appealed."))
    if today() > deadline:
        return Appealable(None, deadline, False, _(
            "The time to appeal this decision ended on %(date)s (%(days)s days after the decision).",
            date=_long(deadline), days=appeal_days()))
    return Appealable(None, deadline, True)


def suspension_appealable(certificate: Certificate) -> Appealable | None:
    """None when the certificate is not suspended."""
    if certificate.status != "suspended" or certificate.status_changed_at is None:
        return None
    appeal = appeal_of_suspension(certificate)
    deadline = suspension_deadline(certificate)
    if appeal is not None:
        return Appealable(appeal, deadline, False, _("This suspension has been appealed."))
    if today() > deadline:
        return Appealable(None, deadline, False, _(
            "The time to appeal this suspension ended on %(date)s (%(days)s days after the suspension).",
            date=_long(deadline), days=appeal_days()))
    return Appealable(None, deadline, True)


def _long(day: date) -> str:
    from qualitymark.i18n import long_date

    return long_date(day)


# --- lodging ----------------------------------------------------------------------------------------

def _check_lodger(organisation_id: int, actor: User, grounds: str) -> str:
    if not is_owner(actor, organisation_id):
        raise AppealError(_("Only an owner of the co-op can appeal."))
    grounds = grounds.strip()
    if not grounds:
        raise AppealError(_("Write the grounds for your appeal: why the decision should be made again."))
    if len(grounds) > GROUNDS_MAX:
        raise AppealError(_("Keep the grounds under %(max)s characters.", max=GROUNDS_MAX))
    return grounds


def _save(appeal: Appeal) -> Appeal:
    session = db.session()
    try:
        with session.begin_nested():
            session.add(appeal)
            session.flush()
    except IntegrityError:
        raise AppealError(_("This has already been appealed: there is one appeal per decision and per suspension.")) \
            from None
    return appeal


def appeal_decision(application: Application, grounds: str, *, actor: User) -> Appeal:
    grounds = _check_lodger(application.organisation_id, actor, grounds)
    state = decision_appealable(application)
    if state is None:
        raise AppealError(_("There is no decision on this application to appeal."))
    if not state.open:
        raise AppealError(state.why_not)
    from qualitymark.services.reviews import current_decision

    decision = current_decision(application)
    appeal = _save(Appeal(organisation_id=application.organisation_id, subject="decision", decision_id=decision.id,
                          grounds=grounds, lodged_by_id=actor.id))
    audit.record("appeal.lodged", "appeal", appeal.id, actor_id=actor.id,
                 changes={"subject": "decision", "decision_id": decision.id, "application_id": application.id})
    _tell_office_lodged(appeal)
    return appeal


def appeal_suspension(certificate: Certificate, grounds: str, *, actor: User) -> Appeal:
    grounds = _check_lodger(certificate.organisation_id, actor, grounds)
    state = suspension_appealable(certificate)
    if state is None:
        raise AppealError(_("This certificate is not suspended, so there is nothing to appeal."))
    if not state.open:
        raise AppealError(state.why_not)
    appeal = _save(Appeal(organisation_id=certificate.organisation_id, subject="suspension",
                          certificate_id=certificate.id, suspended_at=certificate.status_changed_at,
                          grounds=grounds, lodged_by_id=actor.id))
    audit.record("appeal.lodged", "appeal", appeal.id, actor_id=actor.id,
                 changes={"subject": "suspension", "certificate_id": certificate.id,
                          "suspended_at": certificate.status_changed_at.isoformat()})
    _tell_office_lodged(appeal)
    return appeal


def _tell_office_lodged(appeal: Appeal) -> None:
    organisation = db.session().get(Organisation, appeal.organisation_id)
    # Those who may not decide it are not asked to.
    excluded = {officer.id for officer in notices.officers() if decider_conflicts(appeal, officer)}
    notices.notify_office("appeal_lodged", key=f"appeal-{appeal.id}-lodged", link=f"/office/appeals/{appeal.id}",
                          excluding=excluded, organisation=organisation.name, subject=appeal.subject)


# --- who may decide ---------------------------------------------------------------------------------

def appealed_decision(appeal: Appeal) -> Decision | None:
    return db.session().get(Decision, appeal.decision_id) if appeal.decision_id else None


def application_of(appeal: Appeal) -> Application | None:
    session = db.session()
    if appeal.decision_id:
        return session.get(Application, session.get(Decision, appeal.decision_id).application_id)
    certificate = session.get(Certificate, appeal.certificate_id)
    return session.get(Application, certificate.application_id)


def suspended_by(appeal: Appeal) -> int | None:
    """Who suspended the certificate, from the audit trail: the suspension the appeal names."""
    if appeal.subject != "suspension":
        return None
    events = db.session().exec(select(AuditEvent).where(
        AuditEvent.object_type == "certificate", AuditEvent.object_id == str(appeal.certificate_id),
        AuditEvent.action == "certificate.suspended", AuditEvent.created_at <= appeal.lodged_at)
        .order_by(AuditEvent.sequence.desc())).all()
    # The suspension's event was written in the same moment as status_changed_at; take the latest
    # suspension recorded before the appeal.
    return events[0].actor_id if events else None


def decider_conflicts(appeal: Appeal, officer: User) -> list[str]:
    """Why this person may not decide the appeal (ISO/IEC 17065 7.13): empty when they may."""
    reasons = []
    if not officer.has_role("officer"):
        reasons.append(_("only a certification officer decides appeals"))
    session = db.session()
    decision = appealed_decision(appeal)
    if decision is not None and decision.decided_by_id == officer.id:
        reasons.append(_("you made the decision that is appealed"))
    if appeal.subject == "suspension" and suspended_by(appeal) == officer.id:
        reasons.append(_("you suspended the certificate"))
    application = application_of(appeal)
    if application is not None:
        if session.exec(select(Assignment.id).where(
                Assignment.application_id == application.id, Assignment.assessor_id == officer.id,
                Assignment.status.not_in(("declined", "withdrawn")))).first():
            reasons.append(_("you assessed the application"))
        if session.exec(select(ModeratedLevel.id).where(ModeratedLevel.application_id == application.id,
                                                        ModeratedLevel.moderator_id == officer.id)).first():
            reasons.append(_("you moderated the application"))
    if session.exec(select(Membership.id).where(Membership.user_id == officer.id,
                                                Membership.organisation_id == appeal.organisation_id)).first():
        reasons.append(_("you are a member of the co-op"))
    return reasons


# --- deciding -----------------------------------------------------------------------------------------

def decide(appeal: Appeal, *, upheld: bool, reason: str, actor: User) -> None:
    if appeal.status != "lodged":
        raise AppealError(_("This appeal has already been decided."))
    reasons = decider_conflicts(appeal, actor)
    if reasons:
        raise AppealError(_("You cannot decide this appeal: %(reasons)s. Another officer must decide it.",
                            reasons="; ".join(reasons)))
    reason = reason.strip()
    if not reason:
        raise AppealError(_("Write the reasons for the outcome: the co-op reads them."))
    session = db.session()
    appeal.status = "upheld" if upheld else "dismissed"
    appeal.handler_id = actor.id
    appeal.outcome_reason = reason
    appeal.decided_at = utcnow()
    session.flush()
    changes: dict = {"status": {"before": "lodged", "after": appeal.status}, "reason": reason}
    organisation = session.get(Organisation, appeal.organisation_id)
    if upheld and appeal.subject == "decision":
        application = application_of(appeal)
        before = application.status
        application.status = "decision_pending"
        application.updated_at = utcnow()
        session.flush()
        changes["application"] = {"id": application.id, "status": {"before": before, "after": "decision_pending"}}
    audit.record("appeal.decided", "appeal", appeal.id, actor_id=actor.id, changes=changes)
    if upheld and appeal.subject == "suspension":
        from qualitymark.services import certificates

        certificate = session.get(Certificate, appeal.certificate_id)
        if certificate.status == "suspended" and certificate.status_changed_at == appeal.suspended_at:
            certificates.reinstate(certificate, _("Appeal upheld: %(reason)s", reason=reason), actor=actor)
    if upheld and appeal.subject == "decision":
        decision = appealed_decision(appeal)
        notices.notify_office("office_decision_after_appeal", key=f"appeal-{appeal.id}-new-decision",
                              link=f"/office/applications/{decision.application_id}/decide",
                              excluding={decision.decided_by_id}, organisation=organisation.name,
                              application=decision.application_id)
    notices.notify_organisation(organisation, "appeal_decided", key=f"appeal-{appeal.id}-decided",
                                link=co_op_link(appeal), outcome=appeal.status)


def co_op_link(appeal: Appeal) -> str:
    """Where the co-op reads the appeal and its outcome."""
    session = db.session()
    if appeal.subject == "decision":
        return f"/applications/{appealed_decision(appeal).application_id}"
    certificate = session.get(Certificate, appeal.certificate_id)
    organisation = session.get(Organisation, appeal.organisation_id)
    return f"/coops/{organisation.slug}/certificates/{certificate.public_code}"


def upheld_awaiting_decision(application: Application) -> Appeal | None:
    """An upheld appeal against a decision on this application whose new decision is not made yet."""
    return db.session().exec(
        select(Appeal).join(Decision, Decision.id == Appeal.decision_id)
        .where(Decision.application_id == application.id, Appeal.status == "upheld",
               Appeal.new_decision_id.is_(None))).first()


def lodged_against(application: Application) -> Appeal | None:
    return db.session().exec(
        select(Appeal).join(Decision, Decision.id == Appeal.decision_id)
        .where(Decision.application_id == application.id, Appeal.status == "lodged")).first()


def decision_replaced(old: Decision, new: Decision) -> None:
    """Called by record_decision: the new decision that follows an upheld appeal is linked to it."""
    appeal = db.session().exec(select(Appeal).where(Appeal.decision_id == old.id, Appeal.status == "upheld",
                                                    Appeal.new_decision_id.is_(None))).first()
    if appeal is None:
        return
    appeal.new_decision_id = new.id
    db.session().flush()
    audit.record("appeal.new_decision", "appeal", appeal.id, actor_id=new.decided_by_id,
                 changes={"new_decision_id": new.id, "replaces": old.id})


# --- the office's list ------------------------------------------------------------------------------

def listing() -> list[tuple[Appeal, Organisation]]:
    rows = db.session().exec(select(Appeal, Organisation).join(Organisation, Organisation.id == Appeal.organisation_id)
                             .order_by(Appeal.lodged_at, Appeal.id)).all()
    lodged = [row for row in rows if row[0].status == "lodged"]
    decided = sorted((row for row in rows if row[0].status != "lodged"), key=lambda row: row[0].decided_at,
                     reverse=True)
    return lodged + decided
