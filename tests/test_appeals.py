"""Appeals (ISO/IEC 17065 7.13) as the co-op and the office meet them: within the appeal period
only, one per decision and per suspension, decided by an officer who took no part in the case;
upheld (the decision is made again by someone else, or the suspension lifted) or dismissed."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from sqlmodel import select

from applicant_fixtures import signed_in
from decision_helpers import awaiting_decision, decide, decisions, independent, notifications  # noqa: F401
from helpers import PASSWORD, enable_two_factor_for_tests, post_form
from qualitymark.clock import set_clock, utcnow
from qualitymark.models.applications import Application
from qualitymark.models.audit import AuditEvent
from qualitymark.models.certificates import Certificate
from qualitymark.models.lifecycle import Appeal

GROUNDS = "Section B's scores missed the minutes we uploaded for B2; please look again."


def long(day) -> str:
    return f"{day.day} {day:%B %Y}"


def appeal(db_session) -> Appeal | None:
    db_session.expire_all()
    return db_session.exec(select(Appeal)).first()


def subjects(outbox) -> list[str]:
    return [m["Subject"] for m in outbox]


def test_an_appeal_is_decided_by_an_independent_officer_and_the_new_decision_by_someone_else(
        app, owner, member, officer, second_officer, independent, assessors, awaiting_decision, db_session, outbox,
        create_user):
    application_id = awaiting_decision.id
    first = decide(app, application_id, second_officer, "decline")
    decided_on = decisions(db_session, application_id)[0].decided_at.date()

    # The co-op sees the decision and until when it may appeal it.
    coop = signed_in(app, owner)
    page = coop.client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert f"you can appeal until {long(decided_on + timedelta(days=30))}" in page
    response = post_form(coop.client, f"/applications/{application_id}/appeal", {"grounds": GROUNDS})
    assert response.status_code == 302
    lodged = appeal(db_session)
    assert (lodged.subject, lodged.decision_id, lodged.status, lodged.lodged_by_id) == \
        ("decision", first, "lodged", owner.id)
    # Officers who may decide it are asked to; the decider and the moderator are not.
    assert {n.user_id for n in notifications(db_session, "appeal_lodged")} == {independent.id}
    # One appeal per decision.
    again = post_form(coop.client, f"/applications/{application_id}/appeal", {"grounds": "Once more."})
    assert "This decision has been appealed" in again.get_data(as_text=True)
    assert len(db_session.exec(select(Appeal)).all()) == 1

    # The officer who made the decision, and the one who moderated, may not decide the appeal.
    for person, why in ((second_officer, "you made the decision that is appealed"),
                        (officer, "you moderated the application")):
        office = signed_in(app, person)
        assert why in office.client.get(f"/office/appeals/{lodged.id}").get_data(as_text=True)
        refused = post_form(office.client, f"/office/appeals/{lodged.id}", {"outcome": "upheld", "reason": "Agreed."})
        assert why in refused.get_data(as_text=True)
        assert appeal(db_session).status == "lodged"

    # Nor may an officer who assessed the application (refused in the service itself).
    from qualitymark import db
    from qualitymark.models.accounts import User
    from qualitymark.services import accounts, appeals

    with app.app_context():
        assessor = db.session().get(User, assessors[0].id)
        accounts.grant_role(assessor, "officer", granted_by=None)
        try:
            appeals.decide(db.session().get(Appeal, lodged.id), upheld=True, reason="Agreed.", actor=assessor)
        except appeals.AppealError as error:
            assert "you assessed the application" in str(error)
        else:
            raise AssertionError("an assessor decided the appeal")
        db.session().rollback()

    # An independent officer upholds it: the application waits for a new decision.
    office = signed_in(app, independent)
    response = post_form(office.client, f"/office/appeals/{lodged.id}",
                         {"outcome": "upheld", "reason": "The B2 minutes were not read."})
    assert response.status_code == 302
    decided = appeal(db_session)
    assert (decided.status, decided.handler_id, decided.outcome_reason) == \
        ("upheld", independent.id, "The B2 minutes were not read.")
    assert db_session.get(Application, application_id).status == "decision_pending"
    assert {n.user_id for n in notifications(db_session, "appeal_decided")} == {owner.id, member.id}
    assert "Your appeal has been decided" in subjects(outbox)
    page = coop.client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Appeal upheld" in page and "The B2 minutes were not read." in page
    asked = notifications(db_session, "office_decision_after_appeal")
    assert second_officer.id not in {n.user_id for n in asked} and asked

    # The officer whose decision was appealed may not make the new one, even as a "correction".
    original = signed_in(app, second_officer)
    page = original.client.get(f"/office/applications/{application_id}/decide").get_data(as_text=True)
    assert "your decision was appealed and the appeal upheld" in page
    refused = post_form(original.client, f"/office/applications/{application_id}/decide",
                        {"outcome": "certify", "rationale": "Fine after all."})
    assert "your decision was appealed" in refused.get_data(as_text=True)
    assert len(decisions(db_session, application_id)) == 1

    # Another officer makes it: it replaces the appealed decision, is linked from the appeal, and
    # the certificate is issued as usual.
    response = post_form(office.client, f"/office/applications/{application_id}/decide",
                         {"outcome": "certify", "rationale": "With the B2 minutes read, the mark is met."})
    assert response.status_code == 302
    old, new = decisions(db_session, application_id)
    assert new.replaces_id == old.id == first and new.decided_by_id == independent.id
    assert appeal(db_session).new_decision_id == new.id
    assert db_session.get(Application, application_id).status == "certified"
    assert db_session.exec(select(Certificate).where(Certificate.application_id == application_id)).one()
    actions = [e.action for e in db_session.exec(select(AuditEvent).where(AuditEvent.object_type == "appeal")
                                                 .order_by(AuditEvent.sequence)).all()]
    assert actions == ["appeal.lodged", "appeal.decided", "appeal.new_decision"]


def test_an_appeal_is_refused_after_the_appeal_period(app, owner, second_officer, awaiting_decision, db_session):
    application_id = awaiting_decision.id
    decide(app, application_id, second_officer, "certify_with_conditions",
           conditions=[("Publish the complaints procedure", utcnow().date() + timedelta(days=60))])
    decided_on = decisions(db_session, application_id)[0].decided_at.date()
    coop = signed_in(app, owner)

    # The last day of the period still counts...
    last_day = datetime.combine(decided_on + timedelta(days=30), time(23, 0), tzinfo=timezone.utc)
    set_clock(lambda: last_day)
    page = coop.client.get(f"/applications/{application_id}/appeal").get_data(as_text=True)
    assert f"You can appeal until {long(last_day.date())}" in page and 'name="grounds"' in page

    # ...the day after does not.
    set_clock(lambda: last_day + timedelta(hours=2))
    page = coop.client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert f"The time to appeal this decision ended on {long(last_day.date())}" in page
    refused = post_form(coop.client, f"/applications/{application_id}/appeal", {"grounds": GROUNDS},
                        token_from=f"/applications/{application_id}")
    assert refused.status_code == 200
    assert "The time to appeal this decision ended" in refused.get_data(as_text=True)
    assert appeal(db_session) is None


def test_only_an_owner_appeals(app, member, second_officer, awaiting_decision, db_session):
    decide(app, awaiting_decision.id, second_officer, "decline")
    coop = signed_in(app, member)
    page = coop.client.get(f"/applications/{awaiting_decision.id}/appeal").get_data(as_text=True)
    assert "An owner of the co-op can appeal" in page
    refused = post_form(coop.client, f"/applications/{awaiting_decision.id}/appeal", {"grounds": GROUNDS})
    assert refused.status_code == 403 and appeal(db_session) is None


def test_grounds_are_required_and_tied_to_their_field(app, owner, second_officer, awaiting_decision, db_session):
    decide(app, awaiting_decision.id, second_officer, "decline")
    coop = signed_in(app, owner)
    page = post_form(coop.client, f"/applications/{awaiting_decision.id}/appeal", {"grounds": "  "}).get_data(as_text=True)
    assert 'href="#grounds"' in page and 'id="grounds-error"' in page and "Write your grounds for appeal." in page
    assert appeal(db_session) is None


def test_a_dismissed_appeal_changes_nothing_and_the_co_op_is_told(
        app, owner, member, second_officer, independent, awaiting_decision, db_session, outbox):
    application_id = awaiting_decision.id
    first = decide(app, application_id, second_officer, "decline")
    coop = signed_in(app, owner)
    post_form(coop.client, f"/applications/{application_id}/appeal", {"grounds": GROUNDS})
    lodged = appeal(db_session)
    office = signed_in(app, independent)
    page = post_form(office.client, f"/office/appeals/{lodged.id}", {"outcome": "dismissed", "reason": ""})
    assert "Write the reasons for the outcome." in page.get_data(as_text=True)
    assert appeal(db_session).status == "lodged"
    response = post_form(office.client, f"/office/appeals/{lodged.id}",
                         {"outcome": "dismissed", "reason": "The B2 minutes were read and scored."})
    assert response.status_code == 302
    assert appeal(db_session).status == "dismissed"
    assert db_session.get(Application, application_id).status == "declined"
    assert [d.id for d in decisions(db_session, application_id)] == [first]
    told = notifications(db_session, "appeal_decided")
    assert {n.user_id for n in told} == {owner.id, member.id}
    assert all(n.params["outcome"] == "dismissed" for n in told)
    assert sum(s == "Your appeal has been decided" for s in subjects(outbox)) == 2
    page = coop.client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "Appeal dismissed" in page and "The B2 minutes were read and scored." in page
    # Deciding again is refused.
    again = post_form(office.client, f"/office/appeals/{lodged.id}", {"outcome": "upheld", "reason": "Changed my mind."})
    assert appeal(db_session).status == "dismissed" and again.status_code == 200


def test_an_upheld_suspension_appeal_reinstates_the_certificate(
        app, client, owner, officer, second_officer, independent, awaiting_decision, db_session, outbox):
    application_id = awaiting_decision.id
    decide(app, application_id, second_officer, "certify")
    certificate = db_session.exec(select(Certificate)).one()
    code = certificate.public_code

    # `independent` suspends here, so `officer` (who moderated) cannot decide; use a fourth officer.
    suspender = signed_in(app, independent)
    assert post_form(suspender.client, f"/office/certificates/{code}",
                     {"reason": "A safeguarding concern is being looked into.", "action": "suspend"}).status_code == 302
    mail = [m for m in outbox if m["Subject"] == "Your Care Quality Mark certificate is suspended"]
    assert mail and "You can appeal the suspension within 30 days" in mail[0].get_content()
    assert f"/coops/gofal/certificates/{code}" in mail[0].get_content()

    coop = signed_in(app, owner)
    page = coop.client.get(f"/coops/gofal/certificates/{code}/appeal").get_data(as_text=True)
    db_session.expire_all()
    suspended_on = db_session.get(Certificate, certificate.id).status_changed_at.date()
    assert f"You can appeal until {long(suspended_on + timedelta(days=30))}" in page
    assert post_form(coop.client, f"/coops/gofal/certificates/{code}/appeal",
                     {"grounds": "The concern was about another provider."}).status_code == 302
    lodged = appeal(db_session)
    assert lodged.subject == "suspension" and lodged.certificate_id == certificate.id
    again = post_form(coop.client, f"/coops/gofal/certificates/{code}/appeal", {"grounds": "Again."})
    assert "This suspension has been appealed" in again.get_data(as_text=True)

    # The officer who suspended may not decide it.
    refused = post_form(suspender.client, f"/office/appeals/{lodged.id}", {"outcome": "upheld", "reason": "Yes."})
    assert "you suspended the certificate" in refused.get_data(as_text=True)

    fourth = signed_in(app, _officer(app, "gwen@office.org"))
    assert post_form(fourth.client, f"/office/appeals/{lodged.id}",
                     {"outcome": "upheld", "reason": "The concern named another provider."}).status_code == 302
    db_session.expire_all()
    reinstated = db_session.get(Certificate, certificate.id)
    assert reinstated.status == "active"
    assert reinstated.status_reason == "Appeal upheld: The concern named another provider."
    assert "Valid" in client.get(f"/c/{code}").get_data(as_text=True)
    assert "Your Care Quality Mark certificate is reinstated" in subjects(outbox)
    event = db_session.exec(select(AuditEvent).where(AuditEvent.action == "certificate.reinstated")).one()
    assert event.actor_id != independent.id


def _officer(app, email):
    from qualitymark import db
    from qualitymark.services.accounts import create_staff_user

    with app.app_context():
        user = create_staff_user(email, "Gwen Officer", PASSWORD, ["officer"], confirmed=True)
        enable_two_factor_for_tests(user)
        db.commit()
        return user


def test_a_withdrawal_points_to_complaints_not_to_an_appeal(app, officer, second_officer, awaiting_decision,
                                                            db_session, outbox):
    decide(app, awaiting_decision.id, second_officer, "certify")
    code = db_session.exec(select(Certificate)).one().public_code
    office = signed_in(app, officer)
    post_form(office.client, f"/office/certificates/{code}",
              {"reason": "Left the scheme.", "action": "withdraw", "confirm": "yes"})
    mail = [m for m in outbox if m["Subject"] == "Your Care Quality Mark certificate is withdrawn"]
    body = mail[0].get_content()
    assert "cannot be appealed" in body and "/complaints/new?organisation=gofal" in body
    assert "You can appeal" not in body
