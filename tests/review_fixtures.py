"""Fixtures for the review queue: assessors, officers and a submitted application."""
from __future__ import annotations

import pytest

from applicant_fixtures import complete_application, signed_in
from helpers import post_form


@pytest.fixture
def admin(create_user):
    return create_user(email="admin@office.org", name="Ada Admin", roles=["admin"])


@pytest.fixture
def second_officer(create_user):
    return create_user(email="officer2@office.org", name="Nia Officer", roles=["officer"])


@pytest.fixture
def appoint(app, admin):
    """Factory: appoint an assessor with a home co-op (slug) and languages."""
    from qualitymark import db
    from qualitymark.models.accounts import Organisation, User
    from qualitymark.services import reviews
    from sqlmodel import select

    def factory(user, home=None, languages=("en",), capacity=4, active=True):
        with app.app_context():
            home_id = None
            if home:
                home_id = db.session().exec(select(Organisation.id).where(Organisation.slug == home)).one()
            reviews.appoint_assessor(db.session().get(User, user.id), reviews.AssessorDetails(
                home_organisation_id=home_id, regions=["Gwynedd"], languages=list(languages),
                expertise_sections=["A"], capacity_per_quarter=capacity, active=active),
                actor=db.session().get(User, admin.id))
            db.commit()
        return user

    return factory


@pytest.fixture
def assessors(create_user, appoint):
    first = appoint(create_user(email="aled@peer.coop", name="Aled Assessor", member_of="peer-one",
                                membership_role="owner"), home="peer-one")
    second = appoint(create_user(email="bethan@peer.coop", name="Bethan Assessor", member_of="peer-two",
                                 membership_role="owner"), home="peer-two")
    return first, second


@pytest.fixture
def submitted(app, owner, draft):
    """The owner's application, complete and submitted."""
    from qualitymark import db
    from qualitymark.models.applications import Application
    from qualitymark.services import applications

    auth = signed_in(app, owner)
    with app.app_context():
        rubric = applications.rubric_for(db.session().get(Application, draft.id))[1]
    complete_application(app, auth.client, draft.id, rubric)
    assert post_form(auth.client, f"/applications/{draft.id}/submit", {"confirm": "y"}).status_code == 302
    return draft
