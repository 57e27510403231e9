"""The life of a certificate after issuing (ISO/IEC 17065 7.9-7.10): expiry, renewal, annual
declarations, and the scheduled notices that go with them.

Nothing here stores "expired": it is read off valid_until and today's date every time. The
scheduled notices are claimed once by key (services.notifications.once), so the periodic job can
run twice, or catch up after days of downtime, and still tell each person each thing once."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import gettext
from sqlmodel import select

from qualitymark import db
from qualitymark.clock import utcnow
from qualitymark.models.accounts import Organisation, User
from qualitymark.models.applications import (
    OPEN_STATES, Application, CriterionResponse, EvidenceCriterion, EvidenceItem,
)
from qualitymark.models.certificates import Certificate
from qualitymark.models.lifecycle import AnnualDeclaration
from qualitymark.models.rubrics import RubricVersion
from qualitymark.policy import is_member, is_owner
from qualitymark.services import audit
from qualitymark.services import notifications as notices
from qualitymark.services.applications import ApplicationError, rubric_for, start_application
from qualitymark.services.rubrics import open_versions, rubric_of


class LifecycleError(ApplicationError):
    """Something the co-op or the office asked for cannot be done; the message says why and what to do."""


def _settings():
    return current_app.config["SETTINGS"]


def today() -> date:
    return utcnow().date()


# --- expiry and the renewal window ------------------------------------------------------------------

def renewal_opens_on(certificate: Certificate) -> date:
    """The renewal window is part of the versioned criteria (`renewal_window_months`, 6 in 1.0.0):
    for a certificate valid until 21 Nov 2029 with a 6-month window, renewal opens on 22 May 2029."""
    version = db.session().get(RubricVersion, certificate.rubric_version_id)
    months = rubric_of(version).renewal_window_months
    return certificate.valid_until + timedelta(days=1) - relativedelta(months=months)


# Reminders before expiry: (months before, notice). The first is when the window opens by default.
RENEWAL_REMINDERS = ((6, "renewal_open"), (3, "renewal_reminder"), (1, "renewal_reminder"))


def renewal_of(certificate: Certificate) -> Application | None:
    """The newest application that renews this certificate (open, decided or withdrawn)."""
    return db.session().exec(select(Application).where(Application.renews_certificate_id == certificate.id)
                             .order_by(Application.id.desc())).first()


def _in_grace(certificate: Certificate, state: str, on: date) -> bool:
    return state == "expired" and on <= certificate.valid_until + timedelta(days=_settings().renewal_grace_days)


def public_state(certificate: Certificate, on: date | None = None) -> str:
    """What the verification page and the register say: valid, suspended, withdrawn, expired, or
    renewal_in_progress — an expired certificate whose renewal was submitted before expiry and is
    still being decided, for the grace period only. The credential itself still says it expired."""
    on = on or today()
    state = certificate.state_on(on)
    if not _in_grace(certificate, state, on):
        return state  # no query: only an expired certificate in its grace period depends on a renewal
    return public_states([certificate], on)[0]


def public_states(certificates: list[Certificate], on: date | None = None) -> list[str]:
    """`public_state` for a list of certificates (a register page, a co-op's history) in one query,
    however many of them are in their grace period: the newest renewal of each, with its first
    submission (a resubmission after changes were asked for does not lose the grace)."""
    from qualitymark.models.applications import ApplicationRound

    on = on or today()
    states = [certificate.state_on(on) for certificate in certificates]
    in_grace = [c.id for c, state in zip(certificates, states) if _in_grace(c, state, on)]
    rows = db.session().exec(
        select(Application.renews_certificate_id, Application.id, Application.status, ApplicationRound.submitted_at)
        .outerjoin(ApplicationRound, (ApplicationRound.application_id == Application.id)
                   & (ApplicationRound.number == 1))
        .where(Application.renews_certificate_id.in_(in_grace))
        .order_by(Application.renews_certificate_id, Application.id)).all()
    newest = {certificate_id: (status, submitted) for certificate_id, _id, status, submitted in rows}
    out = []
    for certificate, state in zip(certificates, states):
        status, submitted = newest.get(certificate.id, (None, None))
        if (certificate.id in in_grace and status in OPEN_STATES and submitted is not None
                and submitted.date() <= certificate.valid_until):
            state = "renewal_in_progress"
        out.append(state)
    return out


def can_renew(certificate: Certificate, on: date | None = None) -> tuple[bool, str]:
    """(may start a renewal now, why not)."""
    on = on or today()
    if certificate.status == "withdrawn":
        return False, gettext("This certificate was withdrawn, so it cannot be renewed. Apply for the mark afresh.")
    opens = renewal_opens_on(certificate)
    if on < opens:
        from qualitymark.i18n import long_date

        return False, gettext("Renewal opens on %(date)s.", date=long_date(opens))
    renewal = renewal_of(certificate)
    if renewal is not None and renewal.status not in ("withdrawn", "declined"):
        return False, gettext("A renewal of this certificate has already been started.")
    newer = db.session().exec(select(Certificate.id).where(
        Certificate.organisation_id == certificate.organisation_id, Certificate.id > certificate.id,
        Certificate.status != "withdrawn")).first()
    if newer is not None:
        return False, gettext("This co-op holds a newer certificate; renew that one when its time comes.")
    return True, ""


def start_renewal(certificate: Certificate, *, actor: User, agreement_version: str, agreement_accepted: bool,
                  version: RubricVersion | None = None) -> Application:
    """A renewal is a new application linked to the certificate, on the newest open rubric version
    by default. It starts with the certified round's levels and narratives for every criterion
    that still exists, and its evidence by reference (each to be confirmed by the co-op)."""
    if not is_owner(actor, certificate.organisation_id):
        raise LifecycleError(gettext("Only an owner of the co-op can start its renewal."))
    allowed, why = can_renew(certificate)
    if not allowed:
        raise LifecycleError(why)
    session = db.session()
    previous = session.get(Application, certificate.application_id)
    if version is None:
        versions = open_versions(previous.scheme)
        if not versions:
            raise LifecycleError(gettext("No version of the criteria is open for applications at the moment."))
        version = versions[0]
    organisation = session.get(Organisation, certificate.organisation_id)
    application = start_application(organisation, version, actor=actor, agreement_version=agreement_version,
                                    agreement_accepted=agreement_accepted)
    application.renews_certificate_id = certificate.id
    # The answers the certificate was granted on: the last round of the certified application.
    criteria = {criterion.id for criterion in rubric_of(version).criteria()}
    last = session.exec(select(CriterionResponse).where(
        CriterionResponse.application_id == previous.id,
        CriterionResponse.round_number == previous.current_round)).all()
    new_responses = {r.criterion_id: r for r in session.exec(select(CriterionResponse).where(
        CriterionResponse.application_id == application.id, CriterionResponse.round_number == 1)).all()}
    carried = 0
    for old in last:
        target = new_responses.get(old.criterion_id)
        if target is not None:
            target.level, target.narrative = old.level, old.narrative
            carried += 1
    reused = 0
    for item in session.exec(select(EvidenceItem).where(EvidenceItem.application_id == previous.id,
                                                        EvidenceItem.file_deleted_at.is_(None))
                             .order_by(EvidenceItem.id)).all():
        copy = EvidenceItem(
            application_id=application.id, storage_key=item.storage_key, sha256=item.sha256,
            size_bytes=item.size_bytes, mime_type=item.mime_type, original_name=item.original_name,
            description=item.description, evidence_type=item.evidence_type, stakeholder_kind=item.stakeholder_kind,
            round_added=1, uploaded_by_id=item.uploaded_by_id, uploaded_at=item.uploaded_at,
            reused_from_id=item.reused_from_id or item.id,
        )
        session.add(copy)
        session.flush()
        for link in session.exec(select(EvidenceCriterion).where(EvidenceCriterion.evidence_id == item.id)).all():
            if link.criterion_id in criteria:
                session.add(EvidenceCriterion(evidence_id=copy.id, criterion_id=link.criterion_id))
        reused += 1
    session.flush()
    audit.record("application.renewal_started", "application", application.id, actor_id=actor.id,
                 changes={"renews_certificate": certificate.public_code, "previous_application": previous.id,
                          "rubric_version": version.version, "answers_carried": carried,
                          "evidence_reused": reused})
    return application


def previous_rubric(application: Application):
    """For a renewal: (the rubric version the renewed certificate was granted on, its rubric)."""
    if application.renews_certificate_id is None:
        return None
    certificate = db.session().get(Certificate, application.renews_certificate_id)
    version = db.session().get(RubricVersion, certificate.rubric_version_id)
    return version, rubric_of(version)


def renewal_diff(application: Application):
    """What changed in the criteria between the renewed certificate and this renewal (a RubricDiff),
    or None when this is not a renewal or it is on the same version."""
    from qualitymark.rubrics.diff import diff_rubrics

    previous = previous_rubric(application)
    if previous is None:
        return None
    old_version, old_rubric = previous
    new_version, new_rubric = rubric_for(application)
    if old_version.id == new_version.id:
        return None
    return diff_rubrics(old_rubric, new_rubric)


def unconfirmed_evidence(application: Application) -> list[EvidenceItem]:
    return list(db.session().exec(select(EvidenceItem).where(
        EvidenceItem.application_id == application.id, EvidenceItem.reused_from_id.is_not(None),
        EvidenceItem.reuse_confirmed_at.is_(None))).all())


def confirm_evidence(application: Application, items: list[EvidenceItem], *, actor: User) -> int:
    if not is_member(actor, application.organisation_id):
        raise LifecycleError(gettext("Only the co-op's members can confirm its evidence."))
    if not application.is_editable:
        raise LifecycleError(gettext("This application cannot be changed now."))
    now = utcnow()
    confirmed = []
    for item in items:
        if item.application_id == application.id and item.reused_from_id and item.reuse_confirmed_at is None:
            item.reuse_confirmed_at = now
            confirmed.append(item.id)
    db.session().flush()
    if confirmed:
        audit.record("evidence.reuse_confirmed", "application", application.id, actor_id=actor.id,
                     changes={"evidence_ids": confirmed})
    return len(confirmed)


# --- annual declarations (surveillance) -------------------------------------------------------------

DECLARATION_OPENS_DAYS = 30  # a declaration can be made from 30 days before it is due
DECLARATION_OVERDUE_DAYS = 14  # the co-op is reminded again 14 days after
DECLARATION_OFFICE_DAYS = 30  # and the office is alerted 30 days after, if it is still missing


@dataclass(frozen=True)
class DeclarationDue:
    certificate: Certificate
    year: int
    due_date: date
    made: AnnualDeclaration | None

    @property
    def opens_on(self) -> date:
        return self.due_date - timedelta(days=DECLARATION_OPENS_DAYS)

    def is_open(self, on: date) -> bool:
        return self.made is None and on >= self.opens_on

    def is_overdue(self, on: date) -> bool:
        return self.made is None and on > self.due_date


def declaration_schedule(certificate: Certificate) -> list[DeclarationDue]:
    """One declaration for each anniversary of valid_from that falls before expiry (the last year
    ends in the renewal instead): two for a three-year certificate."""
    made = {d.year_number: d for d in db.session().exec(
        select(AnnualDeclaration).where(AnnualDeclaration.certificate_id == certificate.id)).all()}
    schedule = []
    year = 1
    while True:
        due = certificate.valid_from + relativedelta(years=year)
        if due > certificate.valid_until:
            break
        schedule.append(DeclarationDue(certificate, year, due, made.get(year)))
        year += 1
    return schedule


def declaration_for(certificate: Certificate, year: int) -> DeclarationDue | None:
    return next((d for d in declaration_schedule(certificate) if d.year == year), None)


def open_declarations(certificate: Certificate, on: date | None = None) -> list[DeclarationDue]:
    on = on or today()
    if certificate.state_on(on) not in ("valid", "suspended"):
        return []
    return [d for d in declaration_schedule(certificate) if d.is_open(on)]


def make_declaration(certificate: Certificate, year: int, *, outcome: str, changes: str, actor: User) -> AnnualDeclaration:
    if not is_owner(actor, certificate.organisation_id):
        raise LifecycleError(gettext("Only an owner of the co-op can make its annual declaration."))
    due = declaration_for(certificate, year)
    if due is None:
        raise LifecycleError(gettext("There is no such declaration for this certificate."))
    if due.made is not None:
        raise LifecycleError(gettext("This year's declaration has already been made."))
    if not due.is_open(today()):
        from qualitymark.i18n import long_date

        raise LifecycleError(gettext("This declaration opens on %(date)s.", date=long_date(due.opens_on)))
    if certificate.state_on(today()) not in ("valid", "suspended"):
        raise LifecycleError(gettext("Declarations are made only while the certificate is in force."))
    if outcome not in ("no_change", "changes_reported"):
        raise LifecycleError(gettext("Choose whether anything material has changed."))
    changes = changes.strip()
    if outcome == "changes_reported" and not changes:
        raise LifecycleError(gettext("Describe what has changed."))
    declaration = AnnualDeclaration(certificate_id=certificate.id, year_number=year, due_date=due.due_date,
                                    outcome=outcome, changes=changes if outcome == "changes_reported" else "",
                                    declared_by_id=actor.id)
    db.session().add(declaration)
    db.session().flush()
    audit.record("declaration.made", "certificate", certificate.id, actor_id=actor.id,
                 changes={"year": year, "outcome": outcome, "late": today() > due.due_date})
    if outcome == "changes_reported":
        organisation = db.session().get(Organisation, certificate.organisation_id)
        notices.notify_office("office_declaration_changes", key=f"declaration-{declaration.id}-changes",
                              link=f"/office/declarations/{declaration.id}", organisation=organisation.name,
                              year=year, code=certificate.public_code)
    return declaration


def review_declaration(declaration: AnnualDeclaration, note: str, *, actor: User) -> None:
    if not actor.has_role("officer"):
        raise LifecycleError(gettext("Only a certification officer records what a declaration means."))
    if declaration.reviewed_at is not None:
        raise LifecycleError(gettext("This declaration has already been reviewed."))
    note = note.strip()
    if not note:
        raise LifecycleError(gettext("Write what the reported changes mean for the certificate (it is kept on record)."))
    declaration.reviewed_by_id = actor.id
    declaration.reviewed_at = utcnow()
    declaration.review_note = note
    db.session().flush()
    audit.record("declaration.reviewed", "certificate", declaration.certificate_id, actor_id=actor.id,
                 changes={"year": declaration.year_number, "note": note})


def declarations_to_review() -> list[tuple[AnnualDeclaration, Certificate, Organisation]]:
    return list(db.session().exec(
        select(AnnualDeclaration, Certificate, Organisation)
        .join(Certificate, Certificate.id == AnnualDeclaration.certificate_id)
        .join(Organisation, Organisation.id == Certificate.organisation_id)
        .where(AnnualDeclaration.outcome == "changes_reported", AnnualDeclaration.reviewed_at.is_(None))
        .order_by(AnnualDeclaration.declared_at)).all())


# --- the scheduled notices -----------------------------------------------------------------------------

CONDITION_REMINDER_DAYS = 14  # the co-op is reminded of a condition 14 days before it is due


def _standing_conditions() -> dict[int, list]:
    """Application id -> the conditions of its standing decision (one not replaced by a later one
    after an appeal or a correction), for every application certified with conditions; one query."""
    from sqlalchemy.orm import aliased

    from qualitymark.models.reviews import Decision, DecisionCondition

    later = aliased(Decision)
    rows = db.session().exec(
        select(Decision.application_id, DecisionCondition)
        .join(Decision, Decision.id == DecisionCondition.decision_id)
        .where(Decision.outcome == "certify_with_conditions",
               ~select(later.id).where(later.replaces_id == Decision.id).exists())
        .order_by(DecisionCondition.due_date, DecisionCondition.id)).all()
    by_application: dict[int, list] = {}
    for application_id, condition in rows:
        by_application.setdefault(application_id, []).append(condition)
    return by_application


def _in_force(on: date):
    """Certificates that may still need a notice: not withdrawn, and not expired beyond the grace."""
    horizon = on - timedelta(days=max(_settings().renewal_grace_days, DECLARATION_OFFICE_DAYS) + 400)
    return db.session().exec(select(Certificate, Organisation)
                             .join(Organisation, Organisation.id == Certificate.organisation_id)
                             .where(Certificate.status != "withdrawn", Certificate.valid_until >= horizon)
                             .order_by(Certificate.id)).all()


def send_lifecycle_notices(on: date | None = None) -> list[str]:
    """Renewal reminders (6, 3, 1 months before expiry), expiry, declaration reminders and the
    office alert for a missing declaration, and conditions of the decision coming due (the co-op
    14 days before; the office once the day has passed). Returns the keys of what was sent. Each notice is sent
    once; after downtime only the latest reminder that is due is sent, not every one missed."""
    on = on or today()
    sent: list[str] = []

    def once(key: str) -> bool:
        if notices.once(key):
            sent.append(key)
            return True
        return False

    conditions = _standing_conditions()
    for certificate, organisation in _in_force(on):
        link = f"/coops/{organisation.slug}/certificates/{certificate.public_code}"
        params = {"code": certificate.public_code, "expires_date": certificate.valid_until}
        newer = db.session().exec(select(Certificate.id).where(
            Certificate.organisation_id == organisation.id, Certificate.id > certificate.id,
            Certificate.status != "withdrawn")).first()
        renewal = renewal_of(certificate)
        renewing = renewal is not None and renewal.status not in ("withdrawn", "declined")
        submitted = renewing and renewal.submitted_at is not None
        # Renewal reminders: the latest stage due, while nothing has been submitted.
        if on <= certificate.valid_until and newer is None and not submitted:
            due = [(months, kind) for months, kind in RENEWAL_REMINDERS
                   if on >= certificate.valid_until + timedelta(days=1) - relativedelta(months=months)]
            if on >= renewal_opens_on(certificate) and due:
                months, kind = due[-1]
                if renewing and kind == "renewal_open":
                    pass  # already started: the "it is open" notice has nothing to add
                elif once(f"certificate-{certificate.id}-renewal-{months}m"):
                    notices.notify_organisation(organisation, kind, key=f"certificate-{certificate.id}-renewal-{months}m",
                                                link=link, **params)
        # Expiry: told once, when the register starts to say so (after the grace, if renewing).
        if on > certificate.valid_until and newer is None and public_state(certificate, on) == "expired":
            if once(f"certificate-{certificate.id}-expired"):
                audit.record("certificate.expired", "certificate", certificate.id, actor_id=None,
                             changes={"valid_until": certificate.valid_until.isoformat()})
                notices.notify_organisation(organisation, "certificate_expired",
                                            key=f"certificate-{certificate.id}-expired", link=link, **params)
        # Declarations and the decision's conditions, while the certificate is in force.
        if certificate.state_on(on) not in ("valid", "suspended"):
            continue
        for condition in conditions.get(certificate.application_id, []):
            values = {"code": certificate.public_code, "condition": condition.text, "due_date": condition.due_date}
            base = f"condition-{condition.id}"
            if on > condition.due_date:
                # The office checks whether it was met and decides what follows (ISO/IEC 17065 7.9).
                if once(f"{base}-office"):
                    notices.notify_office("office_condition_due", key=f"{base}-office",
                                          link=f"/office/certificates/{certificate.public_code}",
                                          organisation=organisation.name, **values)
                    audit.record("condition.due", "certificate", certificate.id, actor_id=None,
                                 changes={"condition_id": condition.id, "due": condition.due_date.isoformat()})
            elif on >= condition.due_date - timedelta(days=CONDITION_REMINDER_DAYS) and once(f"{base}-reminder"):
                notices.notify_organisation(organisation, "condition_due", key=f"{base}-reminder", link=link,
                                            **values)
        for declaration in declaration_schedule(certificate):
            if declaration.made is not None or on < declaration.opens_on:
                continue
            values = {"code": certificate.public_code, "year": declaration.year, "due_date": declaration.due_date}
            base = f"certificate-{certificate.id}-declaration-{declaration.year}"
            declaration_link = f"{link}/declarations/{declaration.year}"
            if on >= declaration.due_date + timedelta(days=DECLARATION_OFFICE_DAYS):
                if once(f"{base}-office"):
                    notices.notify_office("office_declaration_missing", key=f"{base}-office", link=link,
                                          organisation=organisation.name, **values)
                    audit.record("declaration.missing", "certificate", certificate.id, actor_id=None,
                                 changes={"year": declaration.year, "due": declaration.due_date.isoformat()})
            elif on >= declaration.due_date + timedelta(days=DECLARATION_OVERDUE_DAYS):
                if once(f"{base}-overdue"):
                    notices.notify_organisation(organisation, "declaration_overdue", key=f"{base}-overdue",
                                                link=declaration_link, **values)
            elif once(f"{base}-due"):
                notices.notify_organisation(organisation, "declaration_due", key=f"{base}-due",
                                            link=declaration_link, **values)
    db.session().flush()
    return sent


def notify_renewal_submitted(application: Application) -> None:
    """Called when a renewal is submitted: the office should assign it in time for expiry."""
    if application.renews_certificate_id is None:
        return
    certificate = db.session().get(Certificate, application.renews_certificate_id)
    organisation = db.session().get(Organisation, application.organisation_id)
    notices.notify_office("office_renewal_submitted", key=f"application-{application.id}-renewal-submitted",
                          link=f"/office/applications/{application.id}/assign", organisation=organisation.name,
                          code=certificate.public_code, expires_date=certificate.valid_until)
