"""Privacy: your own data, deleting your account, and evidence kept only as long as needed."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from applicant_fixtures import PDF, signed_in, upload
from helpers import PASSWORD, post_form
from qualitymark.clock import set_clock, utcnow
from qualitymark.models.accounts import Membership, User
from qualitymark.models.applications import Application, EvidenceItem
from qualitymark.models.audit import AuditEvent


def test_a_person_downloads_their_data(app, owner, draft):
    response = signed_in(app, owner).client.get("/account/data")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["account"]["email"] == owner.email
    assert data["co_ops"][0]["role"] == "owner"
    assert any(item["action"] == "application.started" for item in data["actions_recorded"])


def test_deleting_an_account_keeps_the_trail_under_a_pseudonym(app, owner, member, draft, db_session, runner):
    auth = signed_in(app, member)
    wrong = post_form(auth.client, "/account/delete", {"password": "not my password", "confirm": "y"})
    assert "Your password is not right" in wrong.get_data(as_text=True)
    response = post_form(auth.client, "/account/delete", {"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    db_session.expire_all()
    person = db_session.get(User, member.id)
    assert person.name == f"Former user {member.id}" and member.email not in person.email and not person.is_active
    assert db_session.exec(select(Membership).where(Membership.user_id == member.id)).all() == []
    assert db_session.exec(select(AuditEvent).where(AuditEvent.actor_id == member.id,
                                                    AuditEvent.action == "user.deleted")).one()
    # Signing in again is impossible; the chain still verifies.
    again = app.test_client()
    page = post_form(again, "/signin", {"email": member.email, "password": PASSWORD}).get_data(as_text=True)
    assert "is not right" in page
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_the_last_owner_cannot_delete_their_account_and_leave_the_co_op_ownerless(app, owner, draft, db_session):
    auth = signed_in(app, owner)
    page = post_form(auth.client, "/account/delete", {"password": PASSWORD, "confirm": "y"}).get_data(as_text=True)
    assert "only owner of Gofal" in page
    assert db_session.get(User, owner.id).is_active


def test_evidence_files_are_deleted_after_the_retention_period_and_their_hash_kept(app, owner, draft, db_session):
    from qualitymark import db
    from qualitymark.jobs.periodic import delete_expired_evidence
    from qualitymark.services import applications

    auth = signed_in(app, owner)
    upload(auth.client, draft.id, PDF, "minutes.pdf")
    with app.app_context():
        applications.withdraw_application(db.session().get(Application, draft.id),
                                          actor=db.session().get(User, owner.id), reason="")
        db.commit()
    item = db_session.exec(select(EvidenceItem)).one()
    key, sha = item.storage_key, item.sha256
    evidence_dir = app.config["SETTINGS"].evidence_dir
    with app.app_context():
        assert delete_expired_evidence.__wrapped__() == 0  # not yet
    later = utcnow() + timedelta(days=app.config["SETTINGS"].evidence_retention_days + 1)
    set_clock(lambda: later)
    with app.app_context():
        assert delete_expired_evidence.__wrapped__() == 1
    assert not list(evidence_dir.rglob(key))
    db_session.expire_all()
    kept = db_session.exec(select(EvidenceItem)).one()
    assert kept.sha256 == sha and kept.file_deleted_at is not None
    response = auth.client.get(f"/applications/{draft.id}/evidence/{kept.id}/download")
    assert response.status_code == 410 and sha in response.get_data(as_text=True)



def test_deleting_an_account_keeps_complaints_on_record_without_the_person(app, create_user, db_session, outbox):
    from qualitymark.models.lifecycle import Complaint, Notification

    person = create_user(email="sian@example.org", name="Siân Service-User")
    officer = create_user(email="iolo@office.org", name="Iolo Independent", roles=["officer"])
    auth = signed_in(app, person)
    said = "My mother's carer did not come on Tuesday and nobody rang to say so."
    post_form(auth.client, "/complaints/new", {"about": "scheme", "name": "Siân Service-User",
                                               "email": "sian@example.org", "text": said})
    # The same person, signed out, with their address typed differently.
    post_form(app.test_client(), "/complaints/new", {"about": "scheme", "name": "Siân",
                                                     "email": "Sian@Example.org", "text": said + " Again."})
    exported = json.loads(auth.client.get("/account/data").data)
    assert len(exported["complaints"]) == 2 and exported["complaints"][0]["text"] == said
    with app.app_context():
        from qualitymark import db
        from qualitymark.services.notifications import notify

        notify(db.session().get(User, person.id), "complaint_closed", key="test-before-deletion", email=False,
               reference="CMP-TEST", outcome="not_upheld")
        db.commit()
    assert len(db_session.exec(select(Notification).where(Notification.user_id == person.id)).all()) == 1

    assert post_form(auth.client, "/account/delete", {"password": PASSWORD, "confirm": "y"}).status_code == 302
    db_session.expire_all()
    kept = db_session.exec(select(Complaint).order_by(Complaint.id)).all()
    assert len(kept) == 2 and kept[0].text == said  # the record stays
    for complaint in kept:
        assert complaint.complainant_name == f"Former user {person.id}"
        assert "sian" not in complaint.complainant_email.lower() and complaint.complainant_user_id == person.id
    assert db_session.exec(select(Notification).where(Notification.user_id == person.id)).all() == []
    # Closing it later writes to no one.
    before = len(outbox)
    office = signed_in(app, officer)
    post_form(office.client, f"/office/complaints/{kept[0].id}", {"action": "take"})
    closed = post_form(office.client, f"/office/complaints/{kept[0].id}",
                       {"action": "close", "outcome": "not_upheld", "reason": "Checked the rota."})
    assert closed.status_code == 302
    db_session.expire_all()
    assert db_session.get(Complaint, kept[0].id).status == "closed"
    assert not any("deleted.invalid" in m["To"] for m in outbox[before:])
