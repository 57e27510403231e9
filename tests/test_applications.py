"""Applications as the co-op lives them: start, self-assess, submit, revise, withdraw — and what
other people can never do to them."""
from __future__ import annotations

import threading

import pytest
from sqlmodel import select

from applicant_fixtures import complete_application, fill_section, locks, signed_in, upload
from helpers import post_form
from qualitymark.models.applications import AgreementAcceptance, Application, ApplicationRound, CriterionResponse
from qualitymark.models.audit import AuditEvent


def rubric_of(app, application):
    from qualitymark import db
    from qualitymark.services import applications

    with app.app_context():
        return applications.rubric_for(db.session().get(Application, application.id))[1]


def test_starting_pins_the_rubric_version_and_records_the_agreement(app, owner, rubric_version, db_session):
    auth = signed_in(app, owner)
    page = auth.client.get("/coops/gofal/apply").get_data(as_text=True)
    assert "scheme agreement (version 2026-1)" in page
    refused = post_form(auth.client, "/coops/gofal/apply", {"rubric_version": rubric_version.id,
                                                            "agreement_version": "2026-1"})
    assert "Tick the box to accept the scheme agreement" in refused.get_data(as_text=True)
    response = post_form(auth.client, "/coops/gofal/apply", {"rubric_version": rubric_version.id, "accept": "y",
                                                             "agreement_version": "2026-1"})
    assert response.status_code == 302
    application = db_session.exec(select(Application)).one()
    assert application.rubric_version_id == rubric_version.id and application.status == "draft"
    acceptance = db_session.exec(select(AgreementAcceptance)).one()
    assert (acceptance.accepted_by_id, acceptance.agreement_version) == (owner.id, "2026-1")
    assert len(acceptance.agreement_sha256) == 64


def test_a_co_op_has_at_most_one_open_application_per_scheme(app, owner, draft, rubric_version, db_session):
    auth = signed_in(app, owner)
    response = post_form(auth.client, "/coops/gofal/apply", {"rubric_version": rubric_version.id, "accept": "y",
                                                             "agreement_version": "2026-1"})
    assert "already has an open application" in response.get_data(as_text=True)
    assert len(db_session.exec(select(Application)).all()) == 1


def test_the_database_itself_refuses_a_second_open_application(app, draft, db_session):
    from sqlalchemy.exc import IntegrityError

    duplicate = Application(organisation_id=draft.organisation_id, rubric_version_id=draft.rubric_version_id,
                            scheme=draft.scheme, created_by_id=draft.created_by_id)
    db_session.add(duplicate)
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


def test_a_retired_version_cannot_be_started_on(app, owner, rubric_version, runner, db_session):
    runner.invoke(args=["rubrics", "retire", "care-quality-mark", "1.0.0"])
    auth = signed_in(app, owner)
    page = auth.client.get("/coops/gofal/apply").get_data(as_text=True)
    assert "No version of the criteria is open" in page
    response = post_form(auth.client, "/coops/gofal/apply", {"rubric_version": rubric_version.id, "accept": "y",
                                                             "agreement_version": "2026-1"},
                         token_from="/")
    assert response.status_code == 200 and "No version of the criteria is open" in response.get_data(as_text=True)
    assert db_session.exec(select(Application)).all() == []


def test_the_self_assessment_is_generated_from_the_rubric(app, owner, draft):
    auth = signed_in(app, owner)
    page = auth.client.get(f"/applications/{draft.id}/sections/A").get_data(as_text=True)
    for criterion_id in ("A1", "A2", "A3", "A4"):
        assert f'id="criterion-{criterion_id}"' in page
        assert f'name="level_{criterion_id}"' in page and f'id="narrative_{criterion_id}"' in page
    assert "Mandatory: at least level 2" in page and "Evidence we expect" in page
    assert "0 of 4 criteria in this section completed" in page
    assert "Section 1 of 10" in page


def test_saving_a_section_keeps_the_answers_and_shows_progress(app, owner, draft, db_session):
    auth = signed_in(app, owner)
    assert fill_section(auth.client, draft.id, "A", level="2", narrative="Our **rules** give votes.").status_code == 302
    page = auth.client.get(f"/applications/{draft.id}/sections/A").get_data(as_text=True)
    assert "4 of 4 criteria in this section completed" in page
    assert "Our **rules** give votes." in page
    rows = db_session.exec(select(CriterionResponse).where(CriterionResponse.criterion_id == "A1")).all()
    assert [(row.level, row.lock_version) for row in rows] == [(2, 2)]


def test_a_failed_validation_keeps_everything_typed(app, owner, draft):
    auth = signed_in(app, owner)
    path = f"/applications/{draft.id}/sections/A"
    lock_values = locks(auth.client, path)
    data = {"save": "Save"}
    for criterion_id, lock in lock_values.items():
        data.update({f"level_{criterion_id}": "2", f"narrative_{criterion_id}": f"Typed for {criterion_id}",
                     f"lock_{criterion_id}": lock})
    data["narrative_A2"] = "x" * 20_001
    response = post_form(auth.client, path, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Keep it under 20,000 characters" in page
    assert "Typed for A1" in page and "Typed for A3" in page


def test_a_second_save_from_an_old_page_is_told_about_the_conflict_and_sees_both(app, owner, member, draft,
                                                                                   db_session):
    first, second = signed_in(app, owner), signed_in(app, member)
    path = f"/applications/{draft.id}/sections/A"
    old_locks = locks(second.client, path)  # the member opens the page...
    fill_section(first.client, draft.id, "A", narrative="The owner's text")  # ...the owner saves first
    response = fill_section(second.client, draft.id, "A", narrative="The member's text", lock_values=old_locks)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Someone else saved changes while you were editing" in page
    assert "The owner&#39;s text" in page or "The owner's text" in page
    assert "The member&#39;s text" in page or "The member's text" in page
    assert "Saved by Olwen Owner" in page
    rows = db_session.exec(select(CriterionResponse).where(CriterionResponse.round_number == 1,
                                                           CriterionResponse.criterion_id == "A1")).one()
    assert rows.narrative == "The owner's text"
    # Saving again from the conflict page is a deliberate choice, and it goes through.
    new_locks = dict(__import__("re").findall(r'id="lock_(\w+)" name="lock_\w+" type="hidden" value="(\d+)"', page))
    assert fill_section(second.client, draft.id, "A", narrative="Merged text", lock_values=new_locks).status_code == 302
    db_session.expire_all()
    assert db_session.get(CriterionResponse, rows.id).narrative == "Merged text"


def test_two_saves_at_the_same_instant_never_both_win(app, owner, member, draft, db_session):
    """Both start from the same lock version; the database's compare-and-set lets one through."""
    from qualitymark import db
    from qualitymark.models.accounts import User
    from qualitymark.services import applications

    rubric = rubric_of(app, draft)
    section = rubric.sections[0]
    barrier = threading.Barrier(2)
    outcomes = []

    def save(user_id, text):
        with app.app_context():
            application = db.session().get(Application, draft.id)
            actor = db.session().get(User, user_id)
            answers = {c.id: applications.Answer(2, text, 1) for c in section.criteria}
            barrier.wait()
            try:
                result = applications.save_section(application, section, answers, actor=actor)
                db.commit()
                outcomes.append((text, len(result.saved), len(result.conflicts)))
            except Exception as error:  # SQLite may report the loser as "database is locked"
                db.session().rollback()
                outcomes.append((text, 0, type(error).__name__))

    threads = [threading.Thread(target=save, args=(owner.id, "owner")),
               threading.Thread(target=save, args=(member.id, "member"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [outcome for outcome in outcomes if outcome[1] == len(section.criteria)]
    assert len(winners) == 1, outcomes
    narratives = set(db_session.exec(select(CriterionResponse.narrative).where(
        CriterionResponse.criterion_id.in_([c.id for c in section.criteria]))).all())
    assert narratives == {winners[0][0]}


def test_the_completeness_check_lists_exactly_what_is_missing(app, owner, draft):
    auth = signed_in(app, owner)
    fill_section(auth.client, draft.id, "A")
    page = auth.client.get(f"/applications/{draft.id}/submit").get_data(as_text=True)
    rubric = rubric_of(app, draft)
    assert f"{len(rubric.criteria()) - 3} criteria need something before you can submit" in page
    # A1 is answered but mandatory without evidence; B1 is not answered at all.
    assert "A1 " in page and "attach at least one piece of evidence (this criterion is mandatory)" in page
    assert "choose a self-assessed level; write what you do (the narrative)" in page
    assert "A2 " not in page.split("before you can submit")[1].split("</ul>")[0]
    response = post_form(auth.client, f"/applications/{draft.id}/submit", {"confirm": "y"})
    assert response.status_code == 200
    from qualitymark import db

    with app.app_context():
        assert db.session().get(Application, draft.id).status == "draft"


def test_submitting_freezes_the_round_records_who_and_when_and_tells_the_office(app, owner, officer, draft,
                                                                               outbox, db_session):
    auth = signed_in(app, owner)
    complete_application(app, auth.client, draft.id, rubric_of(app, draft))
    response = post_form(auth.client, f"/applications/{draft.id}/submit", {"confirm": "y"})
    assert response.status_code == 302
    application = db_session.get(Application, draft.id)
    assert application.status == "submitted" and application.submitted_at is not None
    round_ = db_session.exec(select(ApplicationRound)).one()
    assert round_.submitted_by_id == owner.id and len(round_.snapshot_sha256) == 64
    assert round_.snapshot["responses"]["A1"] == {"level": 3, "narrative": "We do this well."}
    assert any(m["To"] == officer.email and "submitted its application" in m["Subject"] for m in outbox)
    assert db_session.exec(select(AuditEvent.action).where(AuditEvent.action == "application.submitted")).all()


def test_a_submitted_round_cannot_be_edited(app, owner, draft, db_session):
    auth = signed_in(app, owner)
    complete_application(app, auth.client, draft.id, rubric_of(app, draft))
    post_form(auth.client, f"/applications/{draft.id}/submit", {"confirm": "y"})
    page = auth.client.get(f"/applications/{draft.id}/sections/A").get_data(as_text=True)
    assert "you can read it, but not change it" in page and "disabled" in page
    assert fill_section(auth.client, draft.id, "A", narrative="changed after submitting").status_code == 403
    assert upload(auth.client, draft.id, b"%PDF-1.4 late").status_code == 403
    assert db_session.exec(select(CriterionResponse).where(
        CriterionResponse.narrative == "changed after submitting")).all() == []


def test_changes_requested_opens_a_new_round_and_earlier_rounds_stay_readable(app, owner, officer, draft,
                                                                            outbox, db_session):
    auth = signed_in(app, owner)
    complete_application(app, auth.client, draft.id, rubric_of(app, draft))
    post_form(auth.client, f"/applications/{draft.id}/submit", {"confirm": "y"})

    office = signed_in(app, officer)
    response = post_form(office.client, f"/office/applications/{draft.id}/request-changes",
                         {"request_B2": "Please add a support plan written with the person.", "overall": ""})
    assert response.status_code == 302
    application = db_session.get(Application, draft.id)
    assert (application.status, application.current_round) == ("changes_requested", 2)
    assert any("Changes requested" in m["Subject"] and m["To"] == owner.email for m in outbox)

    page = auth.client.get(f"/applications/{draft.id}/sections/B").get_data(as_text=True)
    assert "Please add a support plan written with the person." in page
    assert "We do this well." in page  # the new round starts from the last answers
    fill_section(auth.client, draft.id, "B", level="4", narrative="Support plans are now co-written.")
    changes = auth.client.get(f"/applications/{draft.id}/changes").get_data(as_text=True)
    assert "B2" in changes and "Support plans are now co-written." in changes and "3 → 4" in changes
    assert "change-A1" not in changes  # (a bare "A1" can appear inside a random CSRF token)
    assert post_form(auth.client, f"/applications/{draft.id}/submit", {"confirm": "y"}).status_code == 302
    round_one = auth.client.get(f"/applications/{draft.id}/rounds/1").get_data(as_text=True)
    assert "We do this well." in round_one and "Support plans are now co-written." not in round_one
    round_two = auth.client.get(f"/applications/{draft.id}/rounds/2").get_data(as_text=True)
    assert "Support plans are now co-written." in round_two


def test_only_the_office_can_request_changes(app, owner, member, draft):
    for user in (owner, member):
        assert signed_in(app, user).client.get(f"/office/applications/{draft.id}/request-changes").status_code == 403


def test_an_applicant_withdraws_before_a_decision(app, owner, draft, db_session):
    auth = signed_in(app, owner)
    response = post_form(auth.client, f"/applications/{draft.id}/withdraw", {"reason": "Not ready", "confirm": "y"})
    assert response.status_code == 302
    application = db_session.get(Application, draft.id)
    assert application.status == "withdrawn" and application.withdrawn_at is not None
    assert auth.client.get(f"/applications/{draft.id}/withdraw").status_code == 403


@pytest.mark.parametrize("path", [
    "/applications/{id}", "/applications/{id}/sections/A", "/applications/{id}/evidence",
    "/applications/{id}/submit", "/applications/{id}/withdraw", "/applications/{id}/changes",
    "/applications/{id}/rounds/1", "/applications/{id}/evidence/1/download",
])
def test_a_member_of_another_co_op_never_reaches_an_application_even_by_guessing(app, owner, outsider, draft, path):
    auth = signed_in(app, owner)
    upload(auth.client, draft.id)
    intruder = signed_in(app, outsider)
    assert intruder.client.get(path.format(id=draft.id)).status_code == 404
    assert intruder.client.get(path.format(id=draft.id + 1000)).status_code == 404


def test_a_member_of_another_co_op_cannot_change_an_application_by_posting(app, owner, outsider, draft, db_session):
    intruder = signed_in(app, outsider)
    response = post_form(intruder.client, f"/applications/{draft.id}/sections/A",
                         {"level_A1": "4", "narrative_A1": "hijacked", "lock_A1": "1", "save": "Save"},
                         token_from="/dashboard")
    assert response.status_code == 404
    response = upload(intruder.client, draft.id) if False else post_form(
        intruder.client, f"/applications/{draft.id}/evidence", {"description": "x", "evidence_type": "policy"},
        token_from="/dashboard")
    assert response.status_code == 404
    response = post_form(intruder.client, f"/applications/{draft.id}/withdraw", {"confirm": "y"},
                         token_from="/dashboard")
    assert response.status_code == 404
    assert db_session.get(Application, draft.id).status == "draft"
    assert db_session.exec(select(CriterionResponse).where(CriterionResponse.narrative == "hijacked")).all() == []


def test_the_dashboard_shows_each_co_op_with_status_and_next_step(app, owner, draft):
    page = signed_in(app, owner).client.get("/dashboard").get_data(as_text=True)
    assert "Gofal" in page and f"Application {draft.id}" in page
    assert "Complete the self-assessment and attach evidence, then submit." in page


def test_anonymous_people_are_sent_to_sign_in(client, draft):
    response = client.get(f"/applications/{draft.id}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/signin")
