"""Peer review: the assessor pool, conflicts of interest (blocked, not warned), assignment,
scoring, moderation and the certification decision.

Guards live here, not in views: a direct POST meets the same checks as the buttons.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func
from sqlmodel import select

from qualitymark import db
from qualitymark.clock import utcnow
from qualitymark.models.accounts import ConsortiumMembership, Membership, Organisation, User
from qualitymark.models.applications import Application, EvidenceItem
from qualitymark.models.reviews import (
    AssessorProfile,
    Assignment,
    ConflictDeclaration,
    ConflictOverride,
    Decision,
    DecisionCondition,
    ModeratedLevel,
    Score,
)
from qualitymark.rubrics import Rubric, Scorer
from qualitymark.services import accounts, audit
from qualitymark.services.applications import ApplicationError, rubric_for
from qualitymark.services.notifications import notify

DEFAULT_REVIEW_DAYS = 21
ACTIVE = ("invited", "accepted", "submitted")


class ReviewError(ApplicationError):
    """A review action that is not allowed or not possible; the message says why."""


# --- the pool ---------------------------------------------------------------------------------

@dataclass
class AssessorDetails:
    home_organisation_id: int | None
    regions: list[str]
    languages: list[str]
    expertise_sections: list[str]
    capacity_per_quarter: int
    active: bool


def profile_of(user_id: int) -> AssessorProfile | None:
    return db.session().exec(select(AssessorProfile).where(AssessorProfile.user_id == user_id)).first()


def appoint_assessor(user: User, details: AssessorDetails, *, actor: User) -> AssessorProfile:
    if not actor.has_role("admin"):
        raise ReviewError("Only a scheme admin appoints assessors.")
    profile = profile_of(user.id)
    before = None
    if profile is None:
        profile = AssessorProfile(user_id=user.id, appointed_by_id=actor.id)
        db.session().add(profile)
    else:
        before = _describe_profile(profile)
    profile.home_organisation_id = details.home_organisation_id
    profile.regions = ",".join(details.regions)
    profile.languages = ",".join(details.languages) or "en"
    profile.expertise_sections = ",".join(details.expertise_sections)
    profile.capacity_per_quarter = details.capacity_per_quarter
    profile.active = details.active
    db.session().flush()
    accounts.grant_role(user, "assessor", granted_by=actor)
    audit.record("assessor.appointed" if before is None else "assessor.updated", "user", user.id,
                 actor_id=actor.id, changes={"before": before, "after": _describe_profile(profile)})
    return profile


def _describe_profile(profile: AssessorProfile) -> dict:
    return {"home_organisation_id": profile.home_organisation_id, "regions": profile.regions,
            "languages": profile.languages, "expertise_sections": profile.expertise_sections,
            "capacity_per_quarter": profile.capacity_per_quarter, "active": profile.active}


def pool() -> list[tuple[AssessorProfile, User]]:
    return list(db.session().exec(
        select(AssessorProfile, User).join(User, User.id == AssessorProfile.user_id).order_by(User.name)).all())


# --- conflicts ----------------------------------------------------------------------------------

def N_(message: str) -> str:
    """Marks a message for the catalogue. Conflicts are recorded in English (audit, overrides) and
    translated only when shown to the assessor."""
    return message


HOME_CO_OP = N_("the applicant is the assessor's home co-op")
MEMBER_OF_IT = N_("the assessor is a member of the applicant co-op")
SHARED_CONSORTIUM = N_("the assessor's home co-op shares a consortium with the applicant")


def detect_conflicts(assessor_id: int, organisation_id: int) -> list[str]:
    """Every reason this assessor may not assess this co-op. Empty means no conflict found."""
    session = db.session()
    reasons = []
    profile = profile_of(assessor_id)
    if profile is not None and profile.home_organisation_id == organisation_id:
        reasons.append(HOME_CO_OP)
    if session.exec(select(Membership.id).where(Membership.user_id == assessor_id,
                                                Membership.organisation_id == organisation_id)).first():
        reasons.append(MEMBER_OF_IT)
    declared = session.exec(select(ConflictDeclaration).where(
        ConflictDeclaration.assessor_id == assessor_id,
        ConflictDeclaration.organisation_id == organisation_id)).first()
    if declared is not None:
        reasons.append(f"the assessor declared a conflict: {declared.reason}")
    if profile is not None and profile.home_organisation_id is not None:
        theirs = select(ConsortiumMembership.consortium_id).where(
            ConsortiumMembership.organisation_id == organisation_id)
        shared = session.exec(select(ConsortiumMembership.id).where(
            ConsortiumMembership.organisation_id == profile.home_organisation_id,
            ConsortiumMembership.consortium_id.in_(theirs))).first()
        if shared:
            reasons.append(SHARED_CONSORTIUM)
    return reasons


def override_for(assessor_id: int, application_id: int) -> ConflictOverride | None:
    return db.session().exec(select(ConflictOverride).where(
        ConflictOverride.assessor_id == assessor_id, ConflictOverride.application_id == application_id)).first()


def override_conflict(application: Application, assessor: User, reason: str, *, actor: User) -> ConflictOverride:
    if not actor.has_role("admin"):
        raise ReviewError("Only a scheme admin can override a conflict of interest.")
    reason = reason.strip()
    if len(reason) < 20:
        raise ReviewError("Write the reason for the override in full (at least 20 characters): it is kept on record.")
    conflicts = detect_conflicts(assessor.id, application.organisation_id)
    if not conflicts:
        raise ReviewError("There is no detected conflict to override.")
    if membership_conflict(assessor.id, application.organisation_id):
        raise ReviewError("An assessor can never assess a co-op they are a member of; this cannot be overridden.")
    override = ConflictOverride(assessor_id=assessor.id, application_id=application.id, reason=reason,
                                conflicts=conflicts, admin_id=actor.id)
    db.session().add(override)
    db.session().flush()
    audit.record("conflict.overridden", "application", application.id, actor_id=actor.id,
                 changes={"assessor_id": assessor.id, "conflicts": conflicts, "reason": reason})
    return override


def membership_conflict(assessor_id: int, organisation_id: int) -> bool:
    return db.session().exec(select(Membership.id).where(
        Membership.user_id == assessor_id, Membership.organisation_id == organisation_id)).first() is not None


def blocking_conflicts(assessor_id: int, application: Application) -> list[str]:
    """Conflicts that stop an assignment: all detected ones, unless a scheme admin overrode them
    (membership of the co-op can never be overridden)."""
    conflicts = detect_conflicts(assessor_id, application.organisation_id)
    if conflicts and override_for(assessor_id, application.id) is not None \
            and not membership_conflict(assessor_id, application.organisation_id):
        return []
    return conflicts


# --- assignment ---------------------------------------------------------------------------------

def assignments(application: Application, round_number: int | None = None, *, active_only: bool = False) -> list[Assignment]:
    query = select(Assignment).where(Assignment.application_id == application.id)
    if round_number is not None:
        query = query.where(Assignment.round_number == round_number)
    if active_only:
        query = query.where(Assignment.status.in_(ACTIVE))
    return list(db.session().exec(query.order_by(Assignment.id)).all())


def needed(application: Application) -> int:
    return rubric_for(application)[1].assessment.assessors_per_application


def _quarter_start(today: date) -> date:
    return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)


@dataclass
class Candidate:
    user: User
    profile: AssessorProfile
    open_reviews: int
    overdue_reviews: int
    this_quarter: int
    recent: int
    conflicts: list[str]
    overridden: bool
    speaks_language: bool

    @property
    def capacity_left(self) -> int:
        return max(self.profile.capacity_per_quarter - self.this_quarter, 0)

    @property
    def assignable(self) -> bool:
        return self.profile.active and not self.conflicts


def candidates(application: Application) -> list[Candidate]:
    """Every assessor in the pool with their load and conflict status, in a fixed number of queries."""
    session = db.session()
    today = utcnow().date()
    quarter = _quarter_start(today)
    rows = pool()
    ids = [user.id for _profile, user in rows]
    if not ids:
        return []
    open_counts = dict(session.exec(select(Assignment.assessor_id, func.count()).where(
        Assignment.assessor_id.in_(ids), Assignment.status.in_(("invited", "accepted")))
        .group_by(Assignment.assessor_id)).all())
    overdue_counts = dict(session.exec(select(Assignment.assessor_id, func.count()).where(
        Assignment.assessor_id.in_(ids), Assignment.status.in_(("invited", "accepted")), Assignment.due_date < today)
        .group_by(Assignment.assessor_id)).all())
    quarter_from = datetime.combine(quarter, time.min, tzinfo=timezone.utc)
    quarter_counts = dict(session.exec(select(Assignment.assessor_id, func.count()).where(
        Assignment.assessor_id.in_(ids), Assignment.status.in_(ACTIVE), Assignment.invited_at >= quarter_from)
        .group_by(Assignment.assessor_id)).all())
    since = utcnow() - timedelta(days=90)
    recent_counts = dict(session.exec(select(Assignment.assessor_id, func.count()).where(
        Assignment.assessor_id.in_(ids), Assignment.invited_at >= since).group_by(Assignment.assessor_id)).all())
    language = application_language(application)
    result = []
    for profile, user in rows:
        conflicts = detect_conflicts(user.id, application.organisation_id)
        overridden = bool(conflicts) and not blocking_conflicts(user.id, application)
        result.append(Candidate(
            user=user, profile=profile, open_reviews=open_counts.get(user.id, 0),
            overdue_reviews=overdue_counts.get(user.id, 0), this_quarter=quarter_counts.get(user.id, 0),
            recent=recent_counts.get(user.id, 0), conflicts=[] if overridden else conflicts,
            overridden=overridden, speaks_language=language in profile.language_list,
        ))
    return result


def application_language(application: Application) -> str:
    """The language the co-op works in: Welsh if most of its members chose Welsh."""
    locales = db.session().exec(select(User.locale).join(Membership, Membership.user_id == User.id).where(
        Membership.organisation_id == application.organisation_id)).all()
    return "cy" if locales and sum(1 for locale in locales if locale == "cy") * 2 > len(locales) else "en"


def assign(application: Application, assessor: User, *, actor: User, due_date: date | None = None) -> Assignment:
    if not (actor.has_role("officer") or actor.has_role("admin")):
        raise ReviewError("Only the certification office assigns assessors.")
    if application.status not in ("submitted", "in_review"):
        raise ReviewError("Assessors can be assigned only to a submitted application that is not yet moderated.")
    profile = profile_of(assessor.id)
    if profile is None or not assessor.has_role("assessor"):
        raise ReviewError(f"{assessor.name} is not an appointed assessor.")
    if not profile.active:
        raise ReviewError(f"{assessor.name} is paused and cannot take new reviews.")
    conflicts = blocking_conflicts(assessor.id, application)
    if conflicts:
        raise ReviewError(f"{assessor.name} cannot assess this application: " + "; ".join(conflicts) + ".")
    active = assignments(application, application.current_round, active_only=True)
    if any(a.assessor_id == assessor.id for a in active):
        raise ReviewError(f"{assessor.name} is already assigned to this round.")
    if len(active) >= needed(application):
        raise ReviewError(f"This application already has the {needed(application)} assessors the rubric asks for.")
    assignment = Assignment(
        application_id=application.id, assessor_id=assessor.id, round_number=application.current_round,
        due_date=due_date or (utcnow().date() + timedelta(days=DEFAULT_REVIEW_DAYS)), assigned_by_id=actor.id,
        override_id=(override.id if (override := override_for(assessor.id, application.id)) else None),
    )
    db.session().add(assignment)
    if application.status == "submitted":
        application.status = "in_review"
    db.session().flush()
    audit.record("assignment.invited", "application", application.id, actor_id=actor.id,
                 changes={"assessor_id": assessor.id, "round": assignment.round_number,
                          "due_date": assignment.due_date.isoformat(), "status": application.status})
    notify(assessor, "review_invitation", key=f"assignment-{assignment.id}-invited", link="/reviews",
           application=application.id, due_date=assignment.due_date)
    return assignment


def auto_assign(application: Application, *, actor: User) -> list[Assignment]:
    """Fill the remaining places, never with a conflicted or paused assessor or one at capacity:
    first those who speak the co-op's language, then the least loaded."""
    made = []
    missing = needed(application) - len(assignments(application, application.current_round, active_only=True))
    if missing <= 0:
        return made
    taken = {a.assessor_id for a in assignments(application, application.current_round)}
    options = [c for c in candidates(application)
               if c.assignable and c.capacity_left > 0 and c.user.id not in taken]
    options.sort(key=lambda c: (not c.speaks_language, c.open_reviews / max(c.profile.capacity_per_quarter, 1),
                                c.recent, c.user.id))
    for candidate in options[:missing]:
        made.append(assign(application, candidate.user, actor=actor))
    if len(made) < missing:
        raise ReviewError(f"Only {len(made)} of the {missing} missing assessors could be assigned: no other "
                          "assessor is free of conflicts, active and within capacity. Appoint more assessors or "
                          "assign by hand.")
    return made


def respond(assignment: Assignment, *, actor: User, accept: bool, no_conflict: bool = False,
            conflict_reason: str = "", decline_reason: str = "") -> None:
    """The assessor answers an invitation: accept (with an explicit no-conflict declaration),
    declare a conflict (which withdraws them), or decline with a reason."""
    if actor.id != assignment.assessor_id:
        raise ReviewError(_("Only the invited assessor can answer this invitation."))
    if assignment.status != "invited":
        raise ReviewError(_("This invitation has already been answered."))
    application = db.session().get(Application, assignment.application_id)
    now = utcnow()
    assignment.responded_at = now
    if conflict_reason.strip():
        db.session().add(ConflictDeclaration(assessor_id=actor.id, organisation_id=application.organisation_id,
                                             reason=conflict_reason.strip()))
        assignment.status = "withdrawn"
        action = "assignment.conflict_declared"
    elif accept:
        if not no_conflict:
            raise ReviewError(_("Tick the box to declare that you have no conflict of interest, or describe the "
                                "conflict you have."))
        conflicts = blocking_conflicts(actor.id, application)
        if conflicts:
            raise ReviewError(_("You cannot accept: %(reasons)s.", reasons="; ".join(_(c) for c in conflicts)))
        assignment.status = "accepted"
        assignment.no_conflict_declared_at = now
        action = "assignment.accepted"
    else:
        if not decline_reason.strip():
            raise ReviewError(_("Say briefly why you are declining, so the office can plan."))
        assignment.status = "declined"
        assignment.decline_reason = decline_reason.strip()
        action = "assignment.declined"
    db.session().flush()
    audit.record(action, "application", application.id, actor_id=actor.id,
                 changes={"assignment_id": assignment.id, "status": assignment.status,
                          "reason": conflict_reason.strip() or decline_reason.strip() or None})
    if assignment.status != "accepted":
        _notify_office(f"An assessor could not take application {application.id}",
                       f"{actor.name} {'declared a conflict' if conflict_reason.strip() else 'declined'} "
                       f"for application {application.id}. A place is open again.",
                       key=f"assignment-{assignment.id}-{assignment.status}")


# --- scoring ------------------------------------------------------------------------------------

@dataclass
class ScoreInput:
    level: int | None
    rationale: str
    evidence_ids: list[int] = field(default_factory=list)


def scores_of(assignment: Assignment) -> dict[str, Score]:
    return {s.criterion_id: s for s in db.session().exec(select(Score).where(Score.assignment_id == assignment.id)).all()}


def save_scores(assignment: Assignment, inputs: dict[str, ScoreInput], *, actor: User) -> None:
    if actor.id != assignment.assessor_id:
        raise ReviewError(_("Only the assigned assessor can score this application."))
    if assignment.status != "accepted":
        raise ReviewError(_("Scores can be changed only on an accepted review that is not yet submitted."))
    application = db.session().get(Application, assignment.application_id)
    _version, rubric = rubric_for(application)
    levels = set(rubric.scale_levels())
    known = {criterion.id for criterion in rubric.criteria()}
    evidence = set(db.session().exec(select(EvidenceItem.id).where(
        EvidenceItem.application_id == application.id)).all())
    existing = scores_of(assignment)
    for criterion_id, value in inputs.items():
        if criterion_id not in known:
            raise ReviewError(f"Criterion {criterion_id} is not in this rubric.")
        if value.level is not None and value.level not in levels:
            raise ReviewError(_("%(criterion)s: choose a level from the scale.", criterion=criterion_id))
        if set(value.evidence_ids) - evidence:
            raise ReviewError(_("%(criterion)s: that evidence is not part of this application.", criterion=criterion_id))
    for criterion_id, value in inputs.items():
        row = existing.get(criterion_id)
        if row is None:
            row = Score(assignment_id=assignment.id, criterion_id=criterion_id)
            db.session().add(row)
        row.level = value.level
        row.rationale = value.rationale.strip()
        row.evidence_ids = sorted(set(value.evidence_ids))
        row.updated_at = utcnow()
    db.session().flush()


def missing_scores(assignment: Assignment, rubric: Rubric) -> list[str]:
    existing = scores_of(assignment)
    return [c.id for c in rubric.criteria()
            if (s := existing.get(c.id)) is None or s.level is None or not s.rationale.strip()]


def submit_review(assignment: Assignment, *, actor: User) -> None:
    if actor.id != assignment.assessor_id:
        raise ReviewError(_("Only the assigned assessor can submit this review."))
    if assignment.status != "accepted":
        raise ReviewError(_("Only an accepted review that is not yet submitted can be submitted."))
    application = db.session().get(Application, assignment.application_id)
    _version, rubric = rubric_for(application)
    missing = missing_scores(assignment, rubric)
    if missing:
        raise ReviewError(_("Every criterion needs a level and a rationale before you submit. Still missing: "
                            "%(criteria)s.", criteria=", ".join(missing)))
    assignment.status = "submitted"
    assignment.submitted_at = utcnow()
    db.session().flush()
    audit.record("assignment.submitted", "application", application.id, actor_id=actor.id,
                 changes={"assignment_id": assignment.id})
    active = assignments(application, application.current_round, active_only=True)
    if len(active) >= needed(application) and all(a.status == "submitted" for a in active):
        before = application.status
        application.status = "moderation"
        db.session().flush()
        audit.record("application.reviews_complete", "application", application.id, actor_id=None,
                     changes={"status": {"before": before, "after": "moderation"}})
        _notify_office(f"Application {application.id} is ready for moderation",
                       f"All reviews of application {application.id} are in.",
                       key=f"application-{application.id}-round-{application.current_round}-moderation")


def may_see_other_scores(assignment: Assignment) -> bool:
    """Assessors see each other's scores only after submitting their own."""
    return assignment.status == "submitted"


# --- moderation ---------------------------------------------------------------------------------

@dataclass
class CriterionModeration:
    criterion_id: str
    levels: list[int]
    median: float | None
    spread: int | None
    divergent: bool
    moderated: ModeratedLevel | None

    @property
    def suggested(self) -> int | None:
        # With an even number of assessors the median can fall between levels: suggest the lower,
        # so a moderator raises a level deliberately rather than by rounding.
        return None if self.median is None else int(self.median)


def submitted_scores(application: Application, round_number: int | None = None) -> dict[str, list[tuple[Assignment, Score]]]:
    number = round_number or application.current_round
    rows = db.session().exec(
        select(Assignment, Score).join(Score, Score.assignment_id == Assignment.id)
        .where(Assignment.application_id == application.id, Assignment.round_number == number,
               Assignment.status == "submitted")
        .order_by(Assignment.id)
    ).all()
    grouped: dict[str, list[tuple[Assignment, Score]]] = defaultdict(list)
    for assignment, score in rows:
        grouped[score.criterion_id].append((assignment, score))
    return grouped


def moderated_levels(application: Application, round_number: int | None = None) -> dict[str, ModeratedLevel]:
    number = round_number or application.current_round
    return {m.criterion_id: m for m in db.session().exec(select(ModeratedLevel).where(
        ModeratedLevel.application_id == application.id, ModeratedLevel.round_number == number)).all()}


def moderation_table(application: Application) -> list[CriterionModeration]:
    _version, rubric = rubric_for(application)
    threshold = rubric.assessment.divergence_threshold
    scores = submitted_scores(application)
    moderated = moderated_levels(application)
    table = []
    for criterion in rubric.criteria():
        levels = [score.level for _a, score in scores.get(criterion.id, []) if score.level is not None]
        spread = (max(levels) - min(levels)) if levels else None
        table.append(CriterionModeration(
            criterion.id, levels, statistics.median(levels) if levels else None, spread,
            spread is not None and spread >= threshold, moderated.get(criterion.id)))
    return table


def assessor_ids(application: Application) -> set[int]:
    return set(db.session().exec(select(Assignment.assessor_id).where(
        Assignment.application_id == application.id, Assignment.status.in_(("accepted", "submitted")))).all())


def moderator_ids(application: Application) -> set[int]:
    return set(db.session().exec(select(ModeratedLevel.moderator_id).where(
        ModeratedLevel.application_id == application.id)).all())


def _require_moderator(application: Application, actor: User) -> None:
    if not (actor.has_role("officer") or actor.has_role("admin")):
        raise ReviewError("Only an officer moderates.")
    if actor.id in assessor_ids(application):
        raise ReviewError("You assessed this application, so you cannot moderate it.")
    if application.status != "moderation":
        raise ReviewError("This application is not waiting for moderation.")


def moderate(application: Application, decisions: dict[str, tuple[int, str]], *, actor: User) -> None:
    """Set moderated levels. A divergent criterion needs a note saying why the level was chosen."""
    _require_moderator(application, actor)
    _version, rubric = rubric_for(application)
    levels = set(rubric.scale_levels())
    table = {row.criterion_id: row for row in moderation_table(application)}
    existing = moderated_levels(application)
    # Check every criterion before writing any, so a refusal leaves nothing half-saved.
    for criterion_id, (level, note) in decisions.items():
        row = table.get(criterion_id)
        if row is None:
            raise ReviewError(f"Criterion {criterion_id} is not in this rubric.")
        if level not in levels:
            raise ReviewError(f"{criterion_id}: choose a level from the scale.")
        if row.divergent and not note.strip():
            raise ReviewError(f"{criterion_id}: the assessors diverged here, so write a note explaining the "
                              "moderated level.")
    for criterion_id, (level, note) in decisions.items():
        moderated = existing.get(criterion_id)
        if moderated is None:
            moderated = ModeratedLevel(application_id=application.id, round_number=application.current_round,
                                       criterion_id=criterion_id, level=level, moderator_id=actor.id)
            db.session().add(moderated)
        moderated.level = level
        moderated.note = note.strip()
        moderated.moderator_id = actor.id
        moderated.moderated_at = utcnow()
    db.session().flush()
    audit.record("application.moderated", "application", application.id, actor_id=actor.id,
                 changes={"levels": {cid: level for cid, (level, _note) in sorted(decisions.items())}})


def complete_moderation(application: Application, *, actor: User) -> None:
    _require_moderator(application, actor)
    missing = [row.criterion_id for row in moderation_table(application) if row.moderated is None]
    if missing:
        raise ReviewError(f"Set a moderated level for every criterion first. Missing: {', '.join(missing)}.")
    application.status = "decision_pending"
    db.session().flush()
    audit.record("application.moderation_completed", "application", application.id, actor_id=actor.id,
                 changes={"status": {"before": "moderation", "after": "decision_pending"}})
    _notify_office(f"Application {application.id} is ready for a decision",
                   "Moderation is complete. An officer who neither assessed nor moderated it must decide.",
                   key=f"application-{application.id}-round-{application.current_round}-decision")


def request_changes_in_moderation(application: Application, requests: dict[str | None, str], *, actor: User) -> None:
    """The moderator asks the co-op for changes: a new round, the same assessors."""
    from qualitymark.services.applications import request_changes

    _require_moderator(application, actor)
    previous = [a for a in assignments(application, application.current_round) if a.status == "submitted"]
    request_changes(application, requests, actor=actor)
    for old in previous:
        db.session().add(Assignment(
            application_id=application.id, assessor_id=old.assessor_id, round_number=application.current_round,
            status="accepted", no_conflict_declared_at=old.no_conflict_declared_at, responded_at=utcnow(),
            due_date=utcnow().date() + timedelta(days=DEFAULT_REVIEW_DAYS), assigned_by_id=actor.id,
            override_id=old.override_id,
        ))
    db.session().flush()


# --- the decision -----------------------------------------------------------------------------

def verdict_for(application: Application):
    _version, rubric = rubric_for(application)
    levels = {cid: m.level for cid, m in moderated_levels(application).items()}
    return Scorer(rubric).score(levels)


def decisions(application: Application) -> list[Decision]:
    return list(db.session().exec(select(Decision).where(Decision.application_id == application.id)
                                  .order_by(Decision.id)).all())


def current_decision(application: Application) -> Decision | None:
    replaced = {d.replaces_id for d in decisions(application) if d.replaces_id}
    live = [d for d in decisions(application) if d.id not in replaced]
    return live[-1] if live else None


def decider_conflicts(application: Application, actor: User) -> list[str]:
    """Why this person may not decide (ISO/IEC 17065 7.6): empty when they may."""
    reasons = []
    if not actor.has_role("officer"):
        reasons.append("only a certification officer decides")
    if actor.id in assessor_ids(application):
        reasons.append("you assessed this application")
    if actor.id in moderator_ids(application):
        reasons.append("you moderated this application")
    if membership_conflict(actor.id, application.organisation_id):
        reasons.append("you are a member of the applicant co-op")
    from qualitymark.services import appeals

    # ISO/IEC 17065 7.13: after an upheld appeal the decision is made again by someone else; and
    # while an appeal is waiting, the decision it names is not changed around it.
    upheld = appeals.upheld_awaiting_decision(application)
    if upheld is not None and appeals.appealed_decision(upheld).decided_by_id == actor.id:
        reasons.append("your decision was appealed and the appeal upheld, so another officer makes the new one")
    if appeals.lodged_against(application) is not None:
        reasons.append("an appeal against the current decision is waiting to be decided")
    return reasons


def record_decision(application: Application, *, outcome: str, rationale: str, actor: User,
                    conditions: list[tuple[str, date]] | None = None, replaces: Decision | None = None) -> Decision:
    reasons = decider_conflicts(application, actor)
    if reasons:
        raise ReviewError("You cannot decide on this application: " + "; ".join(reasons) + ".")
    if replaces is None and application.status != "decision_pending":
        raise ReviewError("This application is not waiting for a decision.")
    if replaces is not None:
        if replaces.application_id != application.id or current_decision(application) != replaces:
            raise ReviewError("Only the current decision of this application can be corrected.")
    if outcome not in ("certify", "certify_with_conditions", "decline"):
        raise ReviewError("Choose an outcome.")
    if not rationale.strip():
        raise ReviewError("Write the rationale for the decision: the co-op will read it.")
    conditions = conditions or []
    if outcome == "certify_with_conditions" and not conditions:
        raise ReviewError("Add at least one condition with a due date, or choose another outcome.")
    verdict = verdict_for(application)
    if outcome != "decline" and verdict.award is None:
        raise ReviewError("The moderated scores do not meet any award's rules, so the mark cannot be granted. "
                          "Decline, or ask for changes during moderation.")
    decision = Decision(
        application_id=application.id, round_number=application.current_round, outcome=outcome,
        award_id=verdict.award if outcome != "decline" else None, rationale=rationale.strip(),
        verdict=verdict.to_dict(), decided_by_id=actor.id, replaces_id=replaces.id if replaces else None,
    )
    db.session().add(decision)
    db.session().flush()
    if replaces is not None:
        from qualitymark.services import appeals

        appeals.decision_replaced(replaces, decision)
    if outcome == "decline":
        # A decision to certify replaced by a decline (a correction, or a new decision after an
        # upheld appeal): the certificate the first one issued must not stay valid. Withdrawn, with
        # the reason on record; the co-op is told, and the status list changes in the same commit.
        from qualitymark.services import certificates

        issued = certificates.certificate_for_application(application.id)
        if issued is not None and issued.status != "withdrawn":
            certificates.withdraw(issued, f"The decision to certify was replaced by a decision to decline: "
                                          f"{rationale.strip()}", actor=actor)
    for text, due in conditions:
        db.session().add(DecisionCondition(decision_id=decision.id, text=text.strip(), due_date=due))
    before = application.status
    application.status = "declined" if outcome == "decline" else "certified"
    application.updated_at = utcnow()
    db.session().flush()
    audit.record("decision.recorded", "application", application.id, actor_id=actor.id,
                 changes={"decision_id": decision.id, "outcome": outcome, "award": decision.award_id,
                          "replaces": decision.replaces_id,
                          "status": {"before": before, "after": application.status}})
    organisation = db.session().get(Organisation, application.organisation_id)
    from qualitymark.services.notifications import notify_organisation

    # In the co-op's list and by email, in each member's language, with the appeal period.
    notify_organisation(organisation, "decision_made", key=f"decision-{decision.id}",
                        link=f"/applications/{application.id}", application=application.id,
                        days=current_app.config["SETTINGS"].appeal_days)
    from qualitymark.jobs.outbox import TASKS

    # Issuing is the certificates feature's job; the decision is recorded either way.
    if outcome != "decline" and "issue_certificate" in TASKS:
        from qualitymark.jobs import enqueue

        enqueue("issue_certificate", key=f"issue-certificate-{application.id}-{decision.id}",
                decision_id=decision.id)
    return decision


# --- reminders --------------------------------------------------------------------------------

INVITATION_REMINDER_DAYS = (3, 5)
DUE_REMINDER_DAYS = (7, 3)


def send_reminders() -> list[tuple[int, str]]:
    """Remind what is waiting, once per kind: unanswered invitations after 3 and 5 days, reviews
    7 and 3 days before their due date, and overdue reviews escalated to the office. Nothing is
    sent about closed items or closed applications. Safe to run as often as you like."""
    from qualitymark.models.applications import OPEN_STATES
    from qualitymark.models.reviews import ReminderSent

    now = utcnow()
    today = now.date()
    session = db.session()
    rows = session.exec(
        select(Assignment, User).join(User, User.id == Assignment.assessor_id)
        .join(Application, Application.id == Assignment.application_id)
        .where(Assignment.status.in_(("invited", "accepted")), Application.status.in_(OPEN_STATES))
    ).all()
    already = {(r.assignment_id, r.kind) for r in session.exec(select(ReminderSent).where(
        ReminderSent.assignment_id.in_([a.id for a, _u in rows] or [-1]))).all()}
    sent = []

    def once(assignment: Assignment, kind: str, send) -> None:
        if (assignment.id, kind) in already:
            return
        session.add(ReminderSent(assignment_id=assignment.id, kind=kind))
        send()
        sent.append((assignment.id, kind))

    for assignment, assessor in rows:
        if assignment.status == "invited":
            waited = (now - assignment.invited_at).days
            # Only the latest reminder due is sent: a job that did not run for a week sends one, not two.
            due_kinds = [days for days in INVITATION_REMINDER_DAYS if waited >= days]
            if due_kinds:
                days = due_kinds[-1]
                once(assignment, f"invitation-{days}d", lambda a=assignment, u=assessor, d=days: notify(
                    u, "review_invitation_reminder", key=f"reminder-{a.id}-invitation-{d}d", link="/reviews",
                    days=d, application=a.application_id))
        if assignment.due_date < today:
            once(assignment, "overdue", lambda a=assignment, u=assessor: _notify_office(
                f"Review overdue: application {a.application_id}",
                f"{u.name}'s review of application {a.application_id} was due on {a.due_date:%-d %B %Y}.",
                key=f"reminder-{a.id}-overdue"))
        elif assignment.status == "accepted":
            left = (assignment.due_date - today).days
            due_kinds = [days for days in DUE_REMINDER_DAYS if left <= days]
            if due_kinds:
                days = due_kinds[-1]
                once(assignment, f"due-{days}d", lambda a=assignment, u=assessor, d=days: notify(
                    u, "review_due_reminder", key=f"reminder-{a.id}-due-{d}d", link="/reviews",
                    days=d, application=a.application_id, due_date=a.due_date))
    session.flush()
    return sent


# --- mail -------------------------------------------------------------------------------------

def _notify_office(subject: str, body: str, *, key: str) -> None:
    from qualitymark.services.applications import _notify_office as notify

    notify(subject, body, key=key)
