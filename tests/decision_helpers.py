"""Shared by the appeal and complaint tests: an application assessed and moderated (waiting for a
decision), a decision on it through the services, and an officer with no part in any of it.

Who did what: `assessors` assessed, `officer` assigned and moderated, `second_officer` decides."""
from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from qualitymark.models.applications import Application
from qualitymark.models.lifecycle import Notification
from qualitymark.models.reviews import Decision


@pytest.fixture
def awaiting_decision(app, officer, assessors, submitted):
    """The owner's application, assessed by both assessors and moderated by `officer`."""
    from qualitymark import db
    from qualitymark.models.accounts import User
    from qualitymark.services import applications, reviews

    with app.app_context():
        session = db.session()
        application = session.get(Application, submitted.id)
        rubric = applications.rubric_for(application)[1]
        office = session.get(User, officer.id)
        for assessor in assessors:
            person = session.get(User, assessor.id)
            assignment = reviews.assign(application, person, actor=office)
            reviews.respond(assignment, actor=person, accept=True, no_conflict=True)
            reviews.save_scores(assignment, {c.id: reviews.ScoreInput(3, "Seen.") for c in rubric.criteria()},
                                actor=person)
            reviews.submit_review(assignment, actor=person)
        reviews.moderate(application, {c.id: (3, "") for c in rubric.criteria()}, actor=office)
        reviews.complete_moderation(application, actor=office)
        db.commit()
    return submitted


def decide(app, application_id: int, decider, outcome: str = "decline",
           conditions: list[tuple[str, date]] | None = None) -> int:
    """A decision through the services (its issuing job runs inline after the commit); its id."""
    from qualitymark import db
    from qualitymark.models.accounts import User
    from qualitymark.services import reviews

    with app.app_context():
        session = db.session()
        application = session.get(Application, application_id)
        current = reviews.current_decision(application)
        decision = reviews.record_decision(application, outcome=outcome, rationale=f"Reasons for {outcome}.",
                                           actor=session.get(User, decider.id), conditions=conditions,
                                           replaces=current)
        db.commit()
        return decision.id


@pytest.fixture
def independent(create_user):
    """An officer who took no part in anything about gofal."""
    return create_user(email="iolo@office.org", name="Iolo Independent", roles=["officer"])


def notifications(db_session, kind: str) -> list[Notification]:
    db_session.expire_all()
    return list(db_session.exec(select(Notification).where(Notification.kind == kind)).all())


def decisions(db_session, application_id: int) -> list[Decision]:
    db_session.expire_all()
    return list(db_session.exec(select(Decision).where(Decision.application_id == application_id)
                                .order_by(Decision.id)).all())
