"""Applications: start on a pinned rubric version, answer in rounds, submit, withdraw.

Every transition checks its guard, changes state, writes one audit event and queues its mail;
the caller commits.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from qualitymark import db
from qualitymark.agreements import agreement
from qualitymark.clock import utcnow
from qualitymark.models.accounts import Organisation, User
from qualitymark.models.applications import (
    AgreementAcceptance,
    Application,
    ApplicationRound,
    ChangeRequest,
    CriterionResponse,
    EvidenceCriterion,
    EvidenceItem,
)
from qualitymark.models.rubrics import RubricVersion
from qualitymark.rubrics import Rubric, Section
from qualitymark.services import audit
from qualitymark.services.rubrics import rubric_of


class ApplicationError(ValueError):
    """Something a person can fix; the message says what."""


# --- reading ------------------------------------------------------------------------------------

def get(application_id: int) -> Application | None:
    return db.session().get(Application, application_id)


def rubric_for(application: Application) -> tuple[RubricVersion, Rubric]:
    version = db.session().get(RubricVersion, application.rubric_version_id)
    return version, rubric_of(version)


def applications_of(organisation: Organisation) -> list[Application]:
    return list(db.session().exec(
        select(Application).where(Application.organisation_id == organisation.id)
        .order_by(Application.created_at.desc())
    ).all())


def responses(application: Application, round_number: int | None = None) -> dict[str, CriterionResponse]:
    number = round_number or application.current_round
    rows = db.session().exec(select(CriterionResponse).where(
        CriterionResponse.application_id == application.id, CriterionResponse.round_number == number)).all()
    return {row.criterion_id: row for row in rows}


def rounds(application: Application) -> list[ApplicationRound]:
    return list(db.session().exec(select(ApplicationRound).where(
        ApplicationRound.application_id == application.id).order_by(ApplicationRound.number)).all())


def change_requests(application: Application, round_number: int | None = None) -> list[ChangeRequest]:
    query = select(ChangeRequest).where(ChangeRequest.application_id == application.id)
    if round_number is not None:
        query = query.where(ChangeRequest.round_number == round_number)
    return list(db.session().exec(query.order_by(ChangeRequest.id)).all())


def evidence_items(application: Application) -> list[EvidenceItem]:
    return list(db.session().exec(select(EvidenceItem).where(
        EvidenceItem.application_id == application.id).order_by(EvidenceItem.uploaded_at)).all())


def evidence_by_criterion(application: Application) -> dict[str, list[EvidenceItem]]:
    rows = db.session().exec(
        select(EvidenceCriterion.criterion_id, EvidenceItem)
        .join(EvidenceItem, EvidenceItem.id == EvidenceCriterion.evidence_id)
        .where(EvidenceItem.application_id == application.id)
        .order_by(EvidenceItem.uploaded_at)
    ).all()
    linked: dict[str, list[EvidenceItem]] = {}
    for criterion_id, item in rows:
        linked.setdefault(criterion_id, []).append(item)
    return linked


def criteria_of_evidence(item: EvidenceItem) -> list[str]:
    return list(db.session().exec(select(EvidenceCriterion.criterion_id).where(
        EvidenceCriterion.evidence_id == item.id).order_by(EvidenceCriterion.criterion_id)).all())


# --- starting -----------------------------------------------------------------------------------

def start_application(organisation: Organisation, version: RubricVersion, *, actor: User,
                      agreement_version: str, agreement_accepted: bool) -> Application:
    if version.is_retired:
        raise ApplicationError(_("Version %(version)s of the criteria is retired; choose a current version.",
                                 version=version.version))
    current = agreement()
    if not agreement_accepted or agreement_version != current.version:
        raise ApplicationError(_("Read the scheme agreement and tick the box to accept it."))
    if open_application(organisation, version.scheme) is not None:
        raise ApplicationError(_(
            "%(coop)s already has an open application for this scheme. Continue that one, "
            "or withdraw it first.", coop=organisation.name))
    application = Application(
        organisation_id=organisation.id, rubric_version_id=version.id, scheme=version.scheme,
        created_by_id=actor.id,
    )
    session = db.session()
    try:
        # The partial unique index is the last word if two members start at the same moment.
        # Added inside the SAVEPOINT: begin_nested() flushes pending objects before it starts.
        with session.begin_nested():
            session.add(application)
            session.flush()
    except IntegrityError:
        raise ApplicationError(_("%(coop)s already has an open application for this scheme.",
                                 coop=organisation.name)) from None
    session.add(ApplicationRound(application_id=application.id, number=1))
    session.add(AgreementAcceptance(
        application_id=application.id, agreement_version=current.version, agreement_sha256=current.sha256,
        accepted_by_id=actor.id,
    ))
    _ensure_responses(application, 1)
    session.flush()
    audit.record("application.started", "application", application.id, actor_id=actor.id,
                 changes={"scheme": version.scheme, "rubric_version": version.version,
                          "agreement_version": current.version})
    return application


def open_application(organisation: Organisation, scheme: str) -> Application | None:
    from qualitymark.models.applications import OPEN_STATES

    return db.session().exec(select(Application).where(
        Application.organisation_id == organisation.id, Application.scheme == scheme,
        Application.status.in_(OPEN_STATES))).first()


def _ensure_responses(application: Application, round_number: int, copy_from: int | None = None) -> None:
    _version, rubric = rubric_for(application)
    previous = responses(application, copy_from) if copy_from else {}
    existing = responses(application, round_number)
    session = db.session()
    for criterion in rubric.criteria():
        if criterion.id in existing:
            continue
        earlier = previous.get(criterion.id)
        session.add(CriterionResponse(
            application_id=application.id, round_number=round_number, criterion_id=criterion.id,
            level=earlier.level if earlier else None, narrative=earlier.narrative if earlier else "",
        ))
    session.flush()


# --- the self-assessment ------------------------------------------------------------------------

@dataclass
class Answer:
    level: int | None
    narrative: str
    lock_version: int


@dataclass
class Conflict:
    criterion_id: str
    yours: Answer
    theirs: CriterionResponse
    their_author: str


@dataclass
class SaveResult:
    saved: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


def _require_editable(application: Application) -> None:
    if not application.is_editable:
        raise ApplicationError(_(
            "This application has been submitted, so its answers can no longer be changed. "
            "If the office asks for changes, you will be able to edit a new round."))


def save_section(application: Application, section: Section, answers: dict[str, Answer], *, actor: User) -> SaveResult:
    """Save a section's answers. An answer whose row changed since the form was opened is not
    written: it comes back as a conflict, with both versions, for the person to choose."""
    _require_editable(application)
    _version, rubric = rubric_for(application)
    levels = set(rubric.scale_levels())
    current = responses(application)
    session = db.session()
    result = SaveResult()
    for criterion_id, answer in answers.items():
        if answer.level is not None and answer.level not in levels:
            raise ApplicationError(_("%(criterion)s: choose a level from the scale.", criterion=criterion_id))
    for criterion in section.criteria:
        answer = answers.get(criterion.id)
        row = current.get(criterion.id)
        if answer is None or row is None:
            continue
        if answer.level is not None and answer.level not in levels:
            raise ApplicationError(_("%(criterion)s: choose a level from the scale.", criterion=criterion.id))
        if row.level == answer.level and row.narrative == answer.narrative:
            continue
        if row.lock_version != answer.lock_version:
            result.conflicts.append(Conflict(criterion.id, answer, row, _name(row.updated_by_id)))
            continue
        # Compare-and-set in the database, so two saves at the same instant cannot both win.
        updated = session.execute(
            update(CriterionResponse)
            .where(CriterionResponse.id == row.id, CriterionResponse.lock_version == answer.lock_version)
            .values(level=answer.level, narrative=answer.narrative, lock_version=CriterionResponse.lock_version + 1,
                    updated_at=utcnow(), updated_by_id=actor.id)
            .execution_options(synchronize_session=False)
        )
        if updated.rowcount != 1:
            session.refresh(row)
            result.conflicts.append(Conflict(criterion.id, answer, row, _name(row.updated_by_id)))
            continue
        session.refresh(row)
        result.saved.append(criterion.id)
    if result.saved:
        application.updated_at = utcnow()
        session.flush()
        audit.record("application.self_assessment_saved", "application", application.id, actor_id=actor.id,
                     changes={"round": application.current_round, "criteria": result.saved})
    return result


def _name(user_id: int | None) -> str:
    if user_id is None:
        return "someone"
    user = db.session().get(User, user_id)
    return user.name if user else "someone"


# --- completeness and submission -------------------------------------------------------------------

@dataclass
class Missing:
    criterion_id: str
    section_id: str
    title: str
    problems: list[str]


def completeness(application: Application) -> list[Missing]:
    """Exactly what is missing before the application can be submitted."""
    from qualitymark.i18n import current_language
    from qualitymark.rubrics import text

    _version, rubric = rubric_for(application)
    answers = responses(application)
    linked = evidence_by_criterion(application)
    missing = []
    for section in rubric.sections:
        for criterion in section.criteria:
            answer = answers.get(criterion.id)
            problems = []
            if answer is None or answer.level is None:
                problems.append(_("choose a self-assessed level"))
            if answer is None or not answer.narrative.strip():
                problems.append(_("write what you do (the narrative)"))
            if criterion.mandatory and not linked.get(criterion.id):
                problems.append(_("attach at least one piece of evidence (this criterion is mandatory)"))
            if problems:
                missing.append(Missing(criterion.id, section.id, text(criterion.title, current_language()), problems))
    return missing


def progress(application: Application) -> dict[str, tuple[int, int]]:
    """Per section: (criteria answered with a level and a narrative, criteria in the section)."""
    _version, rubric = rubric_for(application)
    answers = responses(application)
    result = {}
    for section in rubric.sections:
        done = sum(1 for c in section.criteria
                   if (a := answers.get(c.id)) is not None and a.level is not None and a.narrative.strip())
        result[section.id] = (done, len(section.criteria))
    return result


def snapshot(application: Application) -> dict:
    answers = responses(application)
    items = evidence_items(application)
    links = evidence_by_criterion(application)
    return {
        "application": application.id,
        "round": application.current_round,
        "rubric_version_id": application.rubric_version_id,
        "responses": {cid: {"level": row.level, "narrative": row.narrative} for cid, row in sorted(answers.items())},
        "evidence": {str(item.id): {"sha256": item.sha256, "name": item.original_name,
                                    "description": item.description, "type": item.evidence_type}
                     for item in items},
        "evidence_links": {cid: sorted(item.id for item in linked) for cid, linked in sorted(links.items())},
    }


def submit_application(application: Application, *, actor: User) -> ApplicationRound:
    _require_editable(application)
    missing = completeness(application)
    if missing:
        raise ApplicationError(ngettext("%(num)d criterion still needs something before you can submit.",
                                        "%(num)d criteria still need something before you can submit.",
                                        len(missing)))
    if application.renews_certificate_id is not None:
        from qualitymark.services.lifecycle import unconfirmed_evidence

        waiting = unconfirmed_evidence(application)
        if waiting:
            raise ApplicationError(ngettext(
                "%(num)d file carried over from your last certificate is not confirmed yet. On the evidence "
                "page, confirm that it is still current, or remove it.",
                "%(num)d files carried over from your last certificate are not confirmed yet. On the evidence "
                "page, confirm that they are still current, or remove them.", len(waiting)))
    round_ = db.session().exec(select(ApplicationRound).where(
        ApplicationRound.application_id == application.id,
        ApplicationRound.number == application.current_round)).one()
    frozen = snapshot(application)
    now = utcnow()
    round_.snapshot = frozen
    round_.snapshot_sha256 = hashlib.sha256(
        json.dumps(frozen, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    round_.submitted_at = now
    round_.submitted_by_id = actor.id
    before = application.status
    # A resubmission after changes requested in moderation goes back to the same assessors.
    from qualitymark.models.reviews import Assignment

    returning = db.session().exec(select(Assignment.id).where(
        Assignment.application_id == application.id, Assignment.round_number == application.current_round,
        Assignment.status == "accepted")).first()
    application.status = "in_review" if returning else "submitted"
    application.submitted_at = now
    application.updated_at = now
    db.session().flush()
    audit.record("application.submitted", "application", application.id, actor_id=actor.id,
                 changes={"status": {"before": before, "after": application.status}, "round": round_.number,
                          "snapshot_sha256": round_.snapshot_sha256})
    organisation = db.session().get(Organisation, application.organisation_id)
    if application.renews_certificate_id is not None and round_.number == 1:
        from qualitymark.services.lifecycle import notify_renewal_submitted

        notify_renewal_submitted(application)
    _notify_office(
        f"{organisation.name} submitted its application" + (f" (round {round_.number})" if round_.number > 1 else ""),
        f"{organisation.name} submitted application {application.id} for the {application.scheme} mark "
        f"(round {round_.number}). It is waiting for assessors to be assigned.",
        key=f"application-{application.id}-round-{round_.number}-submitted",
    )
    return round_


def withdraw_application(application: Application, *, actor: User, reason: str) -> None:
    if not application.is_open:
        raise ApplicationError(_("Only an open application can be withdrawn."))
    before = application.status
    application.status = "withdrawn"
    application.withdrawn_at = utcnow()
    application.updated_at = application.withdrawn_at
    db.session().flush()
    audit.record("application.withdrawn", "application", application.id, actor_id=actor.id,
                 changes={"status": {"before": before, "after": "withdrawn"}, "reason": reason.strip()})
    if before != "draft":
        organisation = db.session().get(Organisation, application.organisation_id)
        _notify_office(f"{organisation.name} withdrew its application",
                       f"Application {application.id} was withdrawn. Reason given: {reason.strip() or '(none)'}",
                       key=f"application-{application.id}-withdrawn")


def request_changes(application: Application, requests: dict[str | None, str], *, actor: User) -> int:
    """Ask the co-op for changes (per criterion; the key None is about the application as a whole).
    Opens a new round that starts from the last one's answers."""
    if application.status not in ("submitted", "in_review", "moderation", "decision_pending"):
        raise ApplicationError(_("Changes can only be requested on a submitted application."))
    messages = {cid: message.strip() for cid, message in requests.items() if message and message.strip()}
    if not messages:
        raise ApplicationError(_("Write at least one request."))
    _version, rubric = rubric_for(application)
    known = {criterion.id for criterion in rubric.criteria()}
    unknown = [cid for cid in messages if cid is not None and cid not in known]
    if unknown:
        raise ApplicationError(_("Criterion %(criterion)s is not in this application's rubric.", criterion=unknown[0]))
    session = db.session()
    for criterion_id, message in messages.items():
        session.add(ChangeRequest(application_id=application.id, round_number=application.current_round,
                                  criterion_id=criterion_id, message=message, requested_by_id=actor.id))
    previous = application.current_round
    before = application.status
    application.current_round = previous + 1
    application.status = "changes_requested"
    application.updated_at = utcnow()
    session.add(ApplicationRound(application_id=application.id, number=application.current_round))
    session.flush()
    _ensure_responses(application, application.current_round, copy_from=previous)
    audit.record("application.changes_requested", "application", application.id, actor_id=actor.id,
                 changes={"status": {"before": before, "after": "changes_requested"},
                          "round": application.current_round, "criteria": sorted(str(c) for c in messages)})
    organisation = db.session().get(Organisation, application.organisation_id)
    from qualitymark.services.notifications import notify_organisation

    notify_organisation(organisation, "changes_requested",
                        key=f"application-{application.id}-round-{application.current_round}-changes",
                        link=f"/applications/{application.id}", application=application.id, count=len(messages))
    return application.current_round


def _notify_office(subject: str, body: str, *, key: str, link: str = "") -> None:
    """Every officer is told, in their notifications list and by email."""
    from qualitymark.services.notifications import notify_office

    notify_office("office_message", key=key, link=link, subject=subject, body=body)


# --- comparing rounds -------------------------------------------------------------------------------

@dataclass
class RoundChange:
    criterion_id: str
    level: tuple[int | None, int | None] | None
    narrative: tuple[str, str] | None
    evidence_added: list[str]
    evidence_removed: list[str]


def compare_rounds(earlier: dict, later: dict) -> list[RoundChange]:
    """What changed between two round snapshots, criterion by criterion."""
    changes = []
    names = {**earlier.get("evidence", {}), **later.get("evidence", {})}
    for criterion_id in sorted(set(earlier["responses"]) | set(later["responses"])):
        old = earlier["responses"].get(criterion_id, {"level": None, "narrative": ""})
        new = later["responses"].get(criterion_id, {"level": None, "narrative": ""})
        old_links = set(earlier.get("evidence_links", {}).get(criterion_id, []))
        new_links = set(later.get("evidence_links", {}).get(criterion_id, []))
        change = RoundChange(
            criterion_id,
            (old["level"], new["level"]) if old["level"] != new["level"] else None,
            (old["narrative"], new["narrative"]) if old["narrative"] != new["narrative"] else None,
            [names[str(i)]["name"] for i in sorted(new_links - old_links) if str(i) in names],
            [names[str(i)]["name"] for i in sorted(old_links - new_links) if str(i) in names],
        )
        if change.level or change.narrative or change.evidence_added or change.evidence_removed:
            changes.append(change)
    return changes


def current_snapshot_for_comparison(application: Application) -> dict:
    return snapshot(application)
