"""The peer review queue, from invitation to decision, and the rules nobody can get round."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import text as sql
from sqlalchemy.exc import DatabaseError
from sqlmodel import select

from applicant_fixtures import signed_in
from helpers import post_form
from qualitymark.clock import set_clock, utcnow
from qualitymark.models.applications import Application
from qualitymark.models.audit import AuditEvent
from qualitymark.models.reviews import Assignment, ConflictOverride, Decision, ModeratedLevel


def rubric(app, application_id):
    from qualitymark import db
    from qualitymark.services import applications

    with app.app_context():
        return applications.rubric_for(db.session().get(Application, application_id))[1]


def assign(client, application_id, assessor):
    return post_form(client, f"/office/applications/{application_id}/assign",
                     {"assign-assessor_id": assessor.id}, follow_redirects=True)


def accept(app, assessor, assignment_id):
    auth = signed_in(app, assessor)
    response = post_form(auth.client, f"/reviews/{assignment_id}", {"no_conflict": "y", "accept": "Accept"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return auth


def score_all(auth, app, assignment_id, application_id, level=3, submit=True, overrides=None):
    data = {"submit_review" if submit else "save": "1"}
    for criterion in rubric(app, application_id).criteria():
        value = (overrides or {}).get(criterion.id, level)
        data[f"level_{criterion.id}"] = str(value)
        data[f"rationale_{criterion.id}"] = f"Seen in the evidence for {criterion.id}."
    return post_form(auth.client, f"/reviews/{assignment_id}/score", data, follow_redirects=True)


def assignment_ids(db_session, application_id):
    db_session.expire_all()
    return {a.assessor_id: a.id for a in db_session.exec(select(Assignment).where(
        Assignment.application_id == application_id).order_by(Assignment.id)).all()}


@pytest.fixture
def reviewed(app, officer, assessors, submitted, db_session):
    """Two assessors assigned, accepted and submitted; the second diverges by 2 levels on B1 and C1."""
    office = signed_in(app, officer)
    for assessor in assessors:
        assert "is invited" in assign(office.client, submitted.id, assessor).get_data(as_text=True)
    ids = assignment_ids(db_session, submitted.id)
    first = accept(app, assessors[0], ids[assessors[0].id])
    second = accept(app, assessors[1], ids[assessors[1].id])
    score_all(first, app, ids[assessors[0].id], submitted.id, level=3)
    score_all(second, app, ids[assessors[1].id], submitted.id, level=3, overrides={"B1": 1, "C1": 1})
    return submitted


# --- conflicts ------------------------------------------------------------------------------

def test_an_assessor_is_never_assignable_to_their_home_co_op(app, officer, appoint, create_user, submitted, db_session):
    insider = appoint(create_user(email="insider@x.coop", name="Ian Insider"), home="gofal")
    page = assign(signed_in(app, officer).client, submitted.id, insider).get_data(as_text=True)
    assert "cannot assess this application" in page and "home co-op" in page
    assert db_session.exec(select(Assignment)).all() == []


def test_a_member_of_the_applicant_co_op_is_never_assignable(app, officer, appoint, member, submitted, db_session):
    appoint(member)
    page = assign(signed_in(app, officer).client, submitted.id, member).get_data(as_text=True)
    assert "member of the applicant co-op" in page
    assert db_session.exec(select(Assignment)).all() == []


def test_sharing_a_consortium_with_the_applicant_blocks_the_assessor(app, officer, owner, appoint, create_user,
                                                                     submitted, db_session):
    from qualitymark import db
    from qualitymark.models.accounts import Consortium, ConsortiumMembership, Organisation

    peer = appoint(create_user(email="peer@x.coop", name="Pat Peer", member_of="neighbour"), home="neighbour")
    with app.app_context():
        session = db.session()
        consortium = Consortium(name="North Wales Care Co-ops")
        session.add(consortium)
        session.flush()
        for slug in ("gofal", "neighbour"):
            org = session.exec(select(Organisation).where(Organisation.slug == slug)).one()
            session.add(ConsortiumMembership(organisation_id=org.id, consortium_id=consortium.id))
        db.commit()
    page = assign(signed_in(app, officer).client, submitted.id, peer).get_data(as_text=True)
    assert "shares a consortium" in page
    assert db_session.exec(select(Assignment)).all() == []


def test_a_declared_conflict_withdraws_the_assessor_and_blocks_them_later(app, officer, assessors, submitted,
                                                                          db_session):
    office = signed_in(app, officer)
    assign(office.client, submitted.id, assessors[0])
    assignment_id = assignment_ids(db_session, submitted.id)[assessors[0].id]
    auth = signed_in(app, assessors[0])
    response = post_form(auth.client, f"/reviews/{assignment_id}",
                         {"conflict_reason": "I advised this co-op on its rules last year.", "declare": "1"})
    assert response.status_code == 302
    assert db_session.get(Assignment, assignment_id).status == "withdrawn"
    page = assign(office.client, submitted.id, assessors[0]).get_data(as_text=True)
    assert "declared a conflict: I advised this co-op" in page


def test_a_blank_is_not_a_declaration(app, officer, assessors, submitted, db_session):
    assign(signed_in(app, officer).client, submitted.id, assessors[0])
    assignment_id = assignment_ids(db_session, submitted.id)[assessors[0].id]
    auth = signed_in(app, assessors[0])
    response = post_form(auth.client, f"/reviews/{assignment_id}", {"accept": "Accept"})
    assert "Tick the box to declare that you have no conflict" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Assignment, assignment_id).status == "invited"
    # ...and the database agrees: an accepted assignment without a declaration cannot exist.
    from sqlalchemy.exc import IntegrityError

    row = db_session.get(Assignment, assignment_id)
    row.status = "accepted"
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


def test_conflicts_cannot_be_bypassed_by_a_direct_service_call(app, officer, appoint, create_user, submitted):
    from qualitymark import db
    from qualitymark.models.accounts import User
    from qualitymark.services import reviews

    insider = appoint(create_user(email="insider@x.coop", name="Ian Insider"), home="gofal")
    with app.app_context():
        with pytest.raises(reviews.ReviewError, match="home co-op"):
            reviews.assign(db.session().get(Application, submitted.id), db.session().get(User, insider.id),
                           actor=db.session().get(User, officer.id))


def test_only_a_scheme_admin_overrides_a_conflict_with_a_reason_and_it_is_recorded(
        app, officer, admin, appoint, create_user, submitted, db_session):
    insider = appoint(create_user(email="insider@x.coop", name="Ian Insider"), home="gofal")
    office = signed_in(app, officer)
    response = post_form(office.client, f"/office/applications/{submitted.id}/assign",
                         {"override-assessor_id": insider.id, "override-reason": "x" * 30})
    assert response.status_code == 403
    admin_auth = signed_in(app, admin)
    short = post_form(admin_auth.client, f"/office/applications/{submitted.id}/assign",
                      {"override-assessor_id": insider.id, "override-reason": "because"}, follow_redirects=True)
    assert "at least 20 characters" in short.get_data(as_text=True)
    post_form(admin_auth.client, f"/office/applications/{submitted.id}/assign",
              {"override-assessor_id": insider.id,
               "override-reason": "Only Welsh-speaking assessor with expertise in section F this quarter."})
    override = db_session.exec(select(ConflictOverride)).one()
    assert override.admin_id == admin.id and "home co-op" in override.conflicts[0]
    assert "is invited" in assign(office.client, submitted.id, insider).get_data(as_text=True)
    assert db_session.exec(select(AuditEvent).where(AuditEvent.action == "conflict.overridden")).one()


def test_membership_of_the_applicant_can_never_be_overridden(app, admin, appoint, member, submitted):
    from qualitymark import db
    from qualitymark.models.accounts import User
    from qualitymark.services import reviews

    appoint(member)
    with app.app_context():
        with pytest.raises(reviews.ReviewError, match="can never assess a co-op they are a member of"):
            reviews.override_conflict(db.session().get(Application, submitted.id), db.session().get(User, member.id),
                                      "A long enough reason to be recorded here.", actor=db.session().get(User, admin.id))


# --- assignment -----------------------------------------------------------------------------

def test_auto_assignment_fills_the_places_without_conflicts_preferring_the_co_ops_language(
        app, officer, owner, appoint, create_user, submitted, db_session):
    from qualitymark import db
    from qualitymark.models.accounts import User

    with app.app_context():
        db.session().get(User, owner.id).locale = "cy"
        db.commit()
    appoint(create_user(email="insider@x.coop", name="Ian Insider"), home="gofal", languages=("cy",))
    english = appoint(create_user(email="en@x.coop", name="Eng Only"), languages=("en",))
    welsh = appoint(create_user(email="cy@x.coop", name="Cymraeg Speaker"), languages=("en", "cy"))
    paused = appoint(create_user(email="paused@x.coop", name="Paused"), languages=("cy",), active=False)
    full = appoint(create_user(email="full@x.coop", name="Full Up"), languages=("cy",), capacity=0)
    response = post_form(signed_in(app, officer).client, f"/office/applications/{submitted.id}/assign", {"auto": "1"},
                         token_from=f"/office/applications/{submitted.id}/assign", follow_redirects=True)
    assert "2 assessor(s) invited" in response.get_data(as_text=True)
    chosen = set(assignment_ids(db_session, submitted.id))
    assert chosen == {welsh.id, english.id}
    assert paused.id not in chosen and full.id not in chosen


def test_a_decline_reopens_the_place(app, officer, assessors, appoint, create_user, submitted, db_session):
    office = signed_in(app, officer)
    for assessor in assessors:
        assign(office.client, submitted.id, assessor)
    third = appoint(create_user(email="third@x.coop", name="Third"))
    assert "already has the 2 assessors" in assign(office.client, submitted.id, third).get_data(as_text=True)
    assignment_id = assignment_ids(db_session, submitted.id)[assessors[0].id]
    auth = signed_in(app, assessors[0])
    response = post_form(auth.client, f"/reviews/{assignment_id}", {"decline_reason": "Away in May", "decline": "1"})
    assert response.status_code == 302
    assert "is invited" in assign(office.client, submitted.id, third).get_data(as_text=True)


def test_the_assign_page_shows_load_and_conflicts_per_candidate(app, officer, assessors, appoint, create_user,
                                                                submitted):
    appoint(create_user(email="insider@x.coop", name="Ian Insider"), home="gofal")
    page = signed_in(app, officer).client.get(f"/office/applications/{submitted.id}/assign").get_data(as_text=True)
    assert "Ian Insider" in page and "Blocked:" in page and "Aled Assessor" in page and "None found" in page


# --- scoring and the full flow ----------------------------------------------------------------

def test_others_scores_stay_hidden_until_you_submit_your_own(app, officer, assessors, submitted, db_session):
    office = signed_in(app, officer)
    for assessor in assessors:
        assign(office.client, submitted.id, assessor)
    ids = assignment_ids(db_session, submitted.id)
    first, second = accept(app, assessors[0], ids[assessors[0].id]), accept(app, assessors[1], ids[assessors[1].id])
    score_all(first, app, ids[assessors[0].id], submitted.id, level=2)
    page = second.client.get(f"/reviews/{ids[assessors[1].id]}/score").get_data(as_text=True)
    assert "Other assessors" not in page and "Aled Assessor" not in page
    page = score_all(second, app, ids[assessors[1].id], submitted.id, level=3).get_data(as_text=True)
    assert "Other assessors" in page and "Aled Assessor: level 2" in page


def test_submission_needs_every_criterion_scored_with_a_rationale(app, officer, assessors, submitted, db_session):
    assign(signed_in(app, officer).client, submitted.id, assessors[0])
    assignment_id = assignment_ids(db_session, submitted.id)[assessors[0].id]
    auth = accept(app, assessors[0], assignment_id)
    page = post_form(auth.client, f"/reviews/{assignment_id}/score",
                     {"level_A1": "3", "rationale_A1": "fine", "submit_review": "1"}, follow_redirects=True)
    assert "Still missing: A2" in page.get_data(as_text=True)
    assert db_session.get(Assignment, assignment_id).status == "accepted"
    assert "A1" in page.get_data(as_text=True)  # the draft was kept


def test_another_assessor_cannot_open_or_post_to_someone_elses_review(app, officer, assessors, submitted, db_session):
    assign(signed_in(app, officer).client, submitted.id, assessors[0])
    assignment_id = assignment_ids(db_session, submitted.id)[assessors[0].id]
    intruder = signed_in(app, assessors[1])
    assert intruder.client.get(f"/reviews/{assignment_id}").status_code == 404
    response = post_form(intruder.client, f"/reviews/{assignment_id}", {"no_conflict": "y", "accept": "1"},
                         token_from="/reviews")
    assert response.status_code == 404
    assert intruder.client.get(f"/applications/{submitted.id}").status_code == 404


def test_a_full_two_assessor_flow_with_divergence_moderation_and_an_independent_decision(
        app, officer, second_officer, assessors, reviewed, owner, db_session, outbox):
    application = db_session.get(Application, reviewed.id)
    assert application.status == "moderation"
    office = signed_in(app, officer)
    page = office.client.get(f"/office/applications/{reviewed.id}/moderate").get_data(as_text=True)
    assert page.count('class="divergent"') == 2 and "B1" in page

    # A divergent criterion needs a note.
    form = {f"level_{c.id}": "3" for c in rubric(app, reviewed.id).criteria()}
    refused = post_form(office.client, f"/office/applications/{reviewed.id}/moderate", {**form, "complete": "1"},
                        follow_redirects=True)
    assert "B1: the assessors diverged here, so write a note" in refused.get_data(as_text=True)
    form.update({"note_B1": "Support plans are partly co-written; 2 reflects that.", "level_B1": "2",
                 "note_C1": "Co-design happens but is new.", "complete": "1"})
    assert post_form(office.client, f"/office/applications/{reviewed.id}/moderate", form).status_code == 302
    db_session.expire_all()
    assert db_session.get(Application, reviewed.id).status == "decision_pending"

    # The moderator cannot decide...
    page = office.client.get(f"/office/applications/{reviewed.id}/decide").get_data(as_text=True)
    assert "you moderated this application" in page
    refused = post_form(office.client, f"/office/applications/{reviewed.id}/decide",
                        {"outcome": "certify", "rationale": "Good."})
    assert "you moderated this application" in refused.get_data(as_text=True)
    # ...an independent officer does, seeing the engine's explanation.
    decider = signed_in(app, second_officer)
    page = decider.client.get(f"/office/applications/{reviewed.id}/decide").get_data(as_text=True)
    assert "every mandatory criterion" in page.lower()
    response = post_form(decider.client, f"/office/applications/{reviewed.id}/decide",
                         {"outcome": "certify", "rationale": "Meets every rule; strong co-production."})
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(Application, reviewed.id).status == "certified"
    decision = db_session.exec(select(Decision)).one()
    assert decision.award_id == "mark" and decision.decided_by_id == second_officer.id
    assert decision.verdict["award"] == "mark"

    # The co-op sees the outcome, the explanation and the rationale, but not the assessors' names.
    page = signed_in(app, owner).client.get(f"/applications/{reviewed.id}").get_data(as_text=True)
    assert "Certified" in page and "strong co-production" in page and "every mandatory criterion" in page.lower()
    assert "Aled Assessor" not in page and "Bethan Assessor" not in page
    assert any(m["Subject"] == "The decision on your Care Quality Mark application" for m in outbox)


def test_the_decider_can_never_be_an_assessor_of_the_application(app, appoint, officer, assessors, submitted,
                                                                 db_session):
    from qualitymark import db
    from qualitymark.models.accounts import User
    from qualitymark.services import accounts, reviews

    from helpers import enable_two_factor_for_tests

    with app.app_context():
        person = db.session().get(User, assessors[0].id)
        accounts.grant_role(person, "officer", granted_by=None)
        enable_two_factor_for_tests(person)  # officers must sign in with a second factor
        db.commit()
    office = signed_in(app, officer)
    for assessor in assessors:
        assign(office.client, submitted.id, assessor)
    ids = assignment_ids(db_session, submitted.id)
    first, second = accept(app, assessors[0], ids[assessors[0].id]), accept(app, assessors[1], ids[assessors[1].id])
    score_all(first, app, ids[assessors[0].id], submitted.id)
    score_all(second, app, ids[assessors[1].id], submitted.id)
    # An assessor-officer cannot moderate it either.
    refused = post_form(first.client, f"/office/applications/{submitted.id}/moderate",
                        {f"level_{c.id}": "3" for c in rubric(app, submitted.id).criteria()}, follow_redirects=True)
    assert "You assessed this application" in refused.get_data(as_text=True)
    with app.app_context():
        application = db.session().get(Application, submitted.id)
        reviews.moderate(application, {c.id: (3, "") for c in rubric(app, submitted.id).criteria()},
                         actor=db.session().get(User, officer.id))
        reviews.complete_moderation(application, actor=db.session().get(User, officer.id))
        db.commit()
        with pytest.raises(reviews.ReviewError, match="you assessed this application"):
            reviews.record_decision(application, outcome="certify", rationale="x",
                                    actor=db.session().get(User, assessors[0].id))


def test_certify_is_refused_when_the_scores_meet_no_award(app, officer, second_officer, assessors, submitted,
                                                          db_session):
    from qualitymark import db
    from qualitymark.models.accounts import User
    from qualitymark.services import reviews

    office = signed_in(app, officer)
    for assessor in assessors:
        assign(office.client, submitted.id, assessor)
    ids = assignment_ids(db_session, submitted.id)
    for assessor in assessors:
        score_all(accept(app, assessor, ids[assessor.id]), app, ids[assessor.id], submitted.id, level=1)
    with app.app_context():
        application = db.session().get(Application, submitted.id)
        reviews.moderate(application, {c.id: (1, "") for c in rubric(app, submitted.id).criteria()},
                         actor=db.session().get(User, officer.id))
        reviews.complete_moderation(application, actor=db.session().get(User, officer.id))
        db.commit()
    decider = signed_in(app, second_officer)
    page = post_form(decider.client, f"/office/applications/{submitted.id}/decide",
                     {"outcome": "certify", "rationale": "Looks fine."}).get_data(as_text=True)
    assert "do not meet any award" in page
    assert post_form(decider.client, f"/office/applications/{submitted.id}/decide",
                     {"outcome": "decline", "rationale": "Mandatory criteria not met."}).status_code == 302


def test_decisions_are_append_only_and_a_correction_points_at_what_it_replaces(
        app, officer, second_officer, reviewed, db_session):
    from qualitymark import db
    from qualitymark.models.accounts import User
    from qualitymark.services import reviews

    with app.app_context():
        application = db.session().get(Application, reviewed.id)
        actor = db.session().get(User, officer.id)
        reviews.moderate(application, {c.id: (3, "moderated") for c in rubric(app, reviewed.id).criteria()}, actor=actor)
        reviews.complete_moderation(application, actor=actor)
        first = reviews.record_decision(application, outcome="decline", rationale="Typed the wrong outcome.",
                                        actor=db.session().get(User, second_officer.id))
        db.commit()
        second = reviews.record_decision(application, outcome="certify", rationale="Corrected: meets all rules.",
                                         actor=db.session().get(User, second_officer.id), replaces=first)
        db.commit()
        assert second.replaces_id == first.id
        assert reviews.current_decision(application).id == second.id
        assert application.status == "certified"
        # Corrected back to a decline, the certificate the certify decision issued is withdrawn.
        from qualitymark.services.certificates import certificate_for_application

        issued = certificate_for_application(application.id)
        assert issued is not None and issued.status == "active"
        third = reviews.record_decision(application, outcome="decline", rationale="A mandatory rule was misread.",
                                        actor=db.session().get(User, second_officer.id), replaces=second)
        db.commit()
        assert third.replaces_id == second.id and application.status == "declined"
        db.session().refresh(issued)
        assert issued.status == "withdrawn" and "A mandatory rule was misread." in issued.status_reason
    engine = db.database(app).engine
    for statement in ("UPDATE decision SET rationale = 'rewritten'", "DELETE FROM decision"):
        with pytest.raises(DatabaseError):
            with engine.begin() as connection:
                connection.execute(sql(statement))
    assert len(db_session.exec(select(Decision)).all()) == 3


def test_changes_requested_in_moderation_keeps_the_same_assessors_who_see_what_changed(
        app, officer, owner, assessors, reviewed, db_session):
    office = signed_in(app, officer)
    response = post_form(office.client, f"/office/applications/{reviewed.id}/request-changes",
                         {"request_B1": "Show a support plan written with the person.", "overall": ""})
    assert response.status_code == 302
    db_session.expire_all()
    application = db_session.get(Application, reviewed.id)
    assert (application.status, application.current_round) == ("changes_requested", 2)
    round_two = db_session.exec(select(Assignment).where(Assignment.round_number == 2)).all()
    assert {a.assessor_id for a in round_two} == {a.id for a in assessors}
    assert all(a.status == "accepted" for a in round_two)

    co_op = signed_in(app, owner)
    from applicant_fixtures import fill_section

    fill_section(co_op.client, reviewed.id, "B", level="4", narrative="Plans are now co-written with each person.")
    assert post_form(co_op.client, f"/applications/{reviewed.id}/submit", {"confirm": "y"}).status_code == 302
    db_session.expire_all()
    assert db_session.get(Application, reviewed.id).status == "in_review"
    page = signed_in(app, assessors[0]).client.get(f"/reviews/{round_two[0].id}/score").get_data(as_text=True)
    assert "Changed since the last round: level 3 → 4" in page


# --- reminders ------------------------------------------------------------------------------

def test_the_reminder_schedule(app, officer, assessors, submitted, db_session, outbox):
    from qualitymark import db
    from qualitymark.services import reviews

    office = signed_in(app, officer)
    start = utcnow()
    for assessor in assessors:
        assign(office.client, submitted.id, assessor)
    ids = assignment_ids(db_session, submitted.id)
    accept(app, assessors[1], ids[assessors[1].id])
    due = db_session.get(Assignment, ids[assessors[1].id]).due_date

    def run(at):
        set_clock(lambda: at)
        with app.app_context():
            sent = reviews.send_reminders()
            db.commit()
        return sorted(kind for _id, kind in sent)

    assert run(start + timedelta(days=1)) == []
    assert run(start + timedelta(days=3, hours=1)) == ["invitation-3d"]
    assert run(start + timedelta(days=3, hours=2)) == []  # never twice
    assert run(start + timedelta(days=5, hours=1)) == ["invitation-5d"]
    seven_before = start.replace(year=due.year, month=due.month, day=due.day) - timedelta(days=7)
    assert run(seven_before + timedelta(hours=1)) == ["due-7d"]
    assert run(seven_before + timedelta(days=4, hours=1)) == ["due-3d"]
    assert run(seven_before + timedelta(days=8, hours=1)) == ["overdue", "overdue"]
    assert run(seven_before + timedelta(days=9)) == []
    subjects = [m["Subject"] for m in outbox]
    assert subjects.count("Reminder: please answer your review invitation") == 2
    assert any(s.startswith("Review overdue") for s in subjects)


def test_no_reminders_for_closed_items(app, officer, assessors, submitted, db_session):
    from qualitymark import db
    from qualitymark.services import reviews

    assign(signed_in(app, officer).client, submitted.id, assessors[0])
    assignment_id = assignment_ids(db_session, submitted.id)[assessors[0].id]
    post_form(signed_in(app, assessors[0]).client, f"/reviews/{assignment_id}",
              {"decline_reason": "Away", "decline": "1"})
    later = utcnow() + timedelta(days=60)
    set_clock(lambda: later)
    with app.app_context():
        assert reviews.send_reminders() == []


# --- the office's lists -----------------------------------------------------------------------

def test_the_dashboard_filters_and_searches(app, officer, assessors, submitted, draft, start_application, outsider):
    start_application(outsider, slug="other-coop")
    office = signed_in(app, officer)
    unassigned = office.client.get("/office/?filter=unassigned").get_data(as_text=True)
    assert "Gofal" in unassigned and "Other-Coop" not in unassigned
    assert "Other-Coop" in office.client.get("/office/?q=other").get_data(as_text=True)
    assign(office.client, submitted.id, assessors[0])
    assert "Gofal" in office.client.get("/office/?filter=understaffed").get_data(as_text=True)
    assert "Gofal" not in office.client.get("/office/?filter=unassigned").get_data(as_text=True)
    csv_text = office.client.get("/office/export.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("application,co-op,status")


def test_the_dashboard_uses_the_same_number_of_queries_whatever_the_data(app, officer, create_user,
                                                                         start_application, rubric_version):
    from sqlalchemy import event

    from qualitymark.db import database

    office = signed_in(app, officer)
    engine = database(app).engine
    statements = []

    def count(*_args):
        statements.append(1)

    def queries_for(path):
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert office.client.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    for number in range(3):
        owner = create_user(email=f"o{number}@c.coop", member_of=f"coop-{number}", membership_role="owner")
        start_application(owner, slug=f"coop-{number}")
    few = [queries_for(path) for path in ("/office/", "/office/?filter=understaffed", "/office/?filter=divergent")]
    for number in range(3, 30):
        owner = create_user(email=f"o{number}@c.coop", member_of=f"coop-{number}", membership_role="owner")
        start_application(owner, slug=f"coop-{number}")
    many = [queries_for(path) for path in ("/office/", "/office/?filter=understaffed", "/office/?filter=divergent")]
    assert few == many
    assert "Page 1 of 2" in office.client.get("/office/").get_data(as_text=True)


def test_csv_export_neutralises_spreadsheet_formulas(app, officer, create_user, start_application):
    owner = create_user(email="f@c.coop", member_of="formula", membership_role="owner")
    from qualitymark import db
    from qualitymark.models.accounts import Organisation

    with app.app_context():
        db.session().exec(select(Organisation).where(Organisation.slug == "formula")).one().name = "=HYPERLINK(1)"
        db.commit()
    start_application(owner, slug="formula")
    text = signed_in(app, officer).client.get("/office/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK(1)" in text


@pytest.mark.parametrize("path", ["/office/", "/office/export.csv", "/office/assessors", "/office/calibration"])
def test_office_pages_are_closed_to_co_ops_and_assessors(app, owner, assessors, path):
    for user in (owner, assessors[0]):
        assert signed_in(app, user).client.get(path).status_code == 403


def test_calibration_report_for_scheme_admins(app, admin, officer, reviewed):
    from qualitymark import db
    from qualitymark.models.accounts import User
    from qualitymark.services import reviews

    with app.app_context():
        application = db.session().get(Application, reviewed.id)
        reviews.moderate(application, {c.id: (3, "ok") for c in rubric(app, reviewed.id).criteria()},
                         actor=db.session().get(User, officer.id))
        db.commit()
    page = signed_in(app, admin).client.get("/office/calibration").get_data(as_text=True)
    assert "Agreement by criterion" in page and "Bethan Assessor" in page
    assert re.search(r"Bethan Assessor</th><td>\d+</td><td>0\.\d\d</td><td>[+-]0\.\d\d</td>", page)


def test_admins_appoint_assessors(app, admin, create_user, db_session):
    person = create_user(email="new@peer.coop", name="Newydd", member_of="peer-three")
    response = post_form(signed_in(app, admin).client, "/office/assessors",
                         {"email": person.email, "home_coop": "peer-three", "languages": "en, cy",
                          "capacity": "6", "active": "y"})
    assert response.status_code == 302
    from qualitymark.models.reviews import AssessorProfile

    profile = db_session.exec(select(AssessorProfile)).one()
    assert profile.languages == "en,cy" and profile.capacity_per_quarter == 6
    db_session.expire_all()
    from qualitymark.models.accounts import User

    assert db_session.get(User, person.id).has_role("assessor")
