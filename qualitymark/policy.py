"""Who may do what: the one place that decides.

Views call `authorise(action, obj)` (404 for things a person may not even know exist, 403 for
things they can see but not do) or `can(user, action, obj)` to decide what to show. Every
action is listed in ACTIONS with a sentence, so the rules read as a table.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort
from flask_login import current_user
from sqlmodel import select

from qualitymark import db
from qualitymark.models.accounts import Membership, Organisation, User
from qualitymark.models.applications import Application


def _is_staff(user: User, *roles: str) -> bool:
    return any(user.has_role(role) for role in roles)


def membership_of(user: User | None, organisation_id: int) -> Membership | None:
    if user is None or not user.is_authenticated:
        return None
    for membership in user.memberships:
        if membership.organisation_id == organisation_id:
            return membership
    return None


def is_member(user, organisation_id: int) -> bool:
    return membership_of(user, organisation_id) is not None


def is_owner(user, organisation_id: int) -> bool:
    membership = membership_of(user, organisation_id)
    return membership is not None and membership.role == "owner"


def _office(user) -> bool:
    return user.is_authenticated and _is_staff(user, "officer", "admin")


def _org_id(obj: Any) -> int:
    if isinstance(obj, Organisation):
        return obj.id
    if isinstance(obj, Application):
        return obj.organisation_id
    raise TypeError(f"no organisation for {obj!r}")


def _application_reader(user, application: Application) -> bool:
    # Officers and admins administer; assigned assessors are added by the review feature.
    return user.is_authenticated and (is_member(user, application.organisation_id) or _office(user)
                                      or _assigned_assessor(user, application))


def _assigned_assessor(user, application: Application) -> bool:
    """An assessor who accepted (or submitted) a review of this application reads all of it."""
    if not (user.is_authenticated and user.has_role("assessor")):
        return False
    from qualitymark.models.reviews import Assignment

    return db.session().exec(select(Assignment.id).where(
        Assignment.application_id == application.id, Assignment.assessor_id == user.id,
        Assignment.status.in_(("accepted", "submitted")))).first() is not None


def _own_assignment(user, assignment) -> bool:
    return user.is_authenticated and assignment.assessor_id == user.id and user.has_role("assessor")


def _admin(user) -> bool:
    return user.is_authenticated and user.has_role("admin")


def _officer(user) -> bool:
    return user.is_authenticated and user.has_role("officer")

# action -> (sentence, rule(user, obj) -> bool, what to answer when refused: 404 or 403)
ACTIONS: dict[str, tuple[str, Callable[[Any, Any], bool], int]] = {
    "organisation.create": (
        "Anyone signed in can register a co-op (and becomes its owner).",
        lambda user, _obj: user.is_authenticated, 403),
    "organisation.view": (
        "Members of the co-op and the certification office see its profile page.",
        lambda user, org: user.is_authenticated and (is_member(user, _org_id(org)) or _office(user)), 404),
    "organisation.edit": (
        "Owners edit the co-op's profile.",
        lambda user, org: is_owner(user, _org_id(org)), 403),
    "organisation.manage_members": (
        "Owners invite, change the role of and remove members.",
        lambda user, org: is_owner(user, _org_id(org)), 403),
    "organisation.leave": (
        "Any member can leave a co-op.",
        lambda user, org: is_member(user, _org_id(org)), 403),
    "certificate.manage": (
        "Members of the co-op and the office see the co-op's own page for its certificate (renewal, declarations).",
        lambda user, org: user.is_authenticated and (is_member(user, _org_id(org)) or _office(user)), 404),
    "certificate.renew": (
        "Owners start the renewal and make the annual declarations of their co-op's certificate.",
        lambda user, org: is_owner(user, _org_id(org)), 403),
    "application.start": (
        "Members of the co-op start an application for it.",
        lambda user, org: is_member(user, _org_id(org)), 403),
    "application.view": (
        "Members of the co-op, the office and the application's assessors read an application.",
        lambda user, app: _application_reader(user, app), 404),
    "application.edit": (
        "Members of the co-op edit the self-assessment and evidence while the application is a draft "
        "or changes were requested.",
        lambda user, app: is_member(user, app.organisation_id) and app.is_editable, 403),
    "application.submit": (
        "Members of the co-op submit a draft or a revised application.",
        lambda user, app: is_member(user, app.organisation_id) and app.is_editable, 403),
    "application.withdraw": (
        "Members of the co-op withdraw an open application before a decision.",
        lambda user, app: is_member(user, app.organisation_id) and app.is_open, 403),
    "evidence.download": (
        "Whoever may read the application may download its evidence.",
        lambda user, app: _application_reader(user, app), 404),
    "application.request_changes": (
        "The certification office asks the co-op for changes to a submitted application.",
        lambda user, app: _office(user) and app.status in ("submitted", "in_review", "moderation", "decision_pending"),
        403),
    "office.view": (
        "Officers and admins see the office's lists.",
        lambda user, _obj: _office(user), 403),
    "office.assign": (
        "Officers and admins assign assessors to a submitted application.",
        lambda user, _app: _office(user), 403),
    "office.moderate": (
        "Officers moderate (the service also refuses anyone who assessed the application).",
        lambda user, _app: _office(user), 403),
    "office.decide": (
        "Certification officers decide (the service also refuses assessors and moderators of it).",
        lambda user, _app: _officer(user), 403),
    "appeal.lodge": (
        "Owners of the co-op appeal a decision on its application or the suspension of its certificate.",
        lambda user, org: is_owner(user, _org_id(org)), 403),
    "appeal.decide": (
        "Certification officers decide appeals (the service also refuses anyone involved in the case).",
        lambda user, _appeal: _officer(user), 403),
    "complaint.view": (
        "Officers and admins read complaints; nobody else may even know one exists.",
        lambda user, _complaint: _office(user), 404),
    "complaint.handle": (
        "Certification officers take and close complaints (the service also refuses anyone involved with the co-op).",
        lambda user, _complaint: _officer(user), 403),
    "admin.assessors": (
        "Scheme admins appoint assessors and change their details.",
        lambda user, _obj: _admin(user), 403),
    "admin.override_conflict": (
        "Only a scheme admin overrides a detected conflict, with a written reason.",
        lambda user, _app: _admin(user), 403),
    "admin.audit_export": (
        "Scheme admins export the whole audit trail for an auditor.",
        lambda user, _obj: _admin(user), 403),
    "admin.calibration": (
        "Scheme admins read the calibration report.",
        lambda user, _obj: _admin(user), 403),
    "review.queue": (
        "Assessors see their own review queue.",
        lambda user, _obj: user.is_authenticated and user.has_role("assessor"), 403),
    "review.work": (
        "An assessor answers, scores and submits only their own assignments.",
        lambda user, assignment: _own_assignment(user, assignment), 404),
}


def can(user, action: str, obj: Any = None) -> bool:
    try:
        _sentence, rule, _refusal = ACTIONS[action]
    except KeyError:
        raise KeyError(f"unknown action {action!r}: add it to policy.ACTIONS") from None
    return bool(rule(user, obj))


def authorise(action: str, obj: Any = None) -> None:
    """Stop the request unless the current user may do `action` on `obj`.

    Things a person may not see at all answer 404, so guessing ids reveals nothing.
    """
    if can(current_user, action, obj):
        return
    _sentence, _rule, refusal = ACTIONS[action]
    if refusal == 403:
        view = {Organisation: "organisation.view", Application: "application.view"}.get(type(obj))
        if view and not can(current_user, view, obj):
            abort(404)
    abort(refusal)


def organisations_of(user: User) -> list[Organisation]:
    ids = [membership.organisation_id for membership in user.memberships]
    if not ids:
        return []
    return list(db.session().exec(select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)).all())
