"""The life of a certificate after issuing, with an injected clock: annual declarations, a
suspension and reinstatement, renewal on a newer rubric version, expiry; and periodic jobs that
send nothing twice, however often they run."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from sqlmodel import select

from applicant_fixtures import signed_in
from helpers import post_form
from qualitymark.clock import set_clock
from qualitymark.models.applications import Application, CriterionResponse, EvidenceItem
from qualitymark.models.certificates import Certificate
from qualitymark.models.lifecycle import AnnualDeclaration, NoticeSent, Notification
from test_certificates import certificate, decided  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parents[1]


def at(day: date, hour: int = 9) -> None:
    moment = datetime.combine(day, time(hour), tzinfo=timezone.utc)
    set_clock(lambda: moment)


def run_jobs(app) -> dict:
    from qualitymark.jobs.periodic import run_all

    with app.app_context():
        return run_all()


def notices(db_session, kind: str | None = None) -> list[Notification]:
    db_session.expire_all()
    query = select(Notification)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db_session.exec(query).all())


def subjects(outbox) -> list[str]:
    return [message["Subject"] for message in outbox]


@pytest.fixture
def newer_rubric(app, tmp_path):
    """Version 1.1.0 of the criteria: A1's guidance reworded and B-something's minimum raised."""
    source = (REPO / "criteria" / "care-quality-mark" / "1.0.0.yaml").read_text()
    folder = tmp_path / "criteria" / "care-quality-mark"
    folder.mkdir(parents=True)
    changed = source.replace("version: 1.0.0", "version: 1.1.0").replace(
        "The co-op has a co-operative legal form, and its rules let",
        "The co-op has a co-operative legal form, and its written rules let", 1)
    assert changed.count("1.1.0") >= 1 and "its written rules let" in changed
    (folder / "1.1.0.yaml").write_text(changed)
    result = app.test_cli_runner().invoke(args=["rubrics", "publish", str(tmp_path / "criteria")])
    assert result.exit_code == 0, result.output


def test_three_year_life(app, client, owner, member, officer, certificate, newer_rubric, db_session, outbox):
    code = certificate.public_code
    issued = certificate.valid_from
    until = certificate.valid_until
    assert until.year == issued.year + 3
    base = f"/coops/gofal/certificates/{code}"

    # --- year 1: the declaration opens 30 days before the anniversary and is made in time ------
    first_due = date(issued.year + 1, issued.month, issued.day)
    at(first_due - timedelta(days=31))
    run_jobs(app)
    assert notices(db_session, "declaration_due") == []
    at(first_due - timedelta(days=30))
    run_jobs(app)
    run_jobs(app)  # twice: nothing more
    due = notices(db_session, "declaration_due")
    assert {n.user_id for n in due} == {owner.id, member.id} and len(due) == 2
    assert sum("annual declaration is due" in s for s in subjects(outbox)) == 2

    co_op = signed_in(app, owner)
    page = co_op.client.get(base).get_data(as_text=True)
    assert "Make the year 1 declaration" in page
    form = co_op.client.get(f"{base}/declarations/1").get_data(as_text=True)
    assert "Has anything material changed" in form
    # The member can see it but only an owner declares.
    assert "An owner of the co-op makes the declaration" in signed_in(app, member).client.get(
        f"{base}/declarations/1").get_data(as_text=True)
    missing = post_form(co_op.client, f"{base}/declarations/1", {"outcome": "changes_reported", "confirm": "y"})
    assert missing.status_code == 200 and "Describe what has changed" in missing.get_data(as_text=True)
    done = post_form(co_op.client, f"{base}/declarations/1", {"outcome": "no_change", "confirm": "y"})
    assert done.status_code == 302
    row = db_session.exec(select(AnnualDeclaration)).one()
    assert (row.year_number, row.outcome, row.due_date) == (1, "no_change", first_due)
    at(first_due + timedelta(days=40))
    run_jobs(app)
    assert notices(db_session, "declaration_overdue") == [] and notices(db_session, "office_declaration_missing") == []

    # --- a suspension and a reinstatement, shown at once ------------------------------------------
    at(first_due + timedelta(days=60))
    office = signed_in(app, officer)
    assert post_form(office.client, f"/office/certificates/{code}",
                     {"reason": "A safeguarding concern is being looked into.", "action": "suspend"}).status_code == 302
    assert "Suspended" in client.get(f"/c/{code}").get_data(as_text=True)
    assert post_form(office.client, f"/office/certificates/{code}",
                     {"reason": "The concern was resolved.", "action": "reinstate"}).status_code == 302
    assert "state-valid" in client.get(f"/c/{code}").get_data(as_text=True)

    # --- year 2: the declaration is not made; reminder, then the office is alerted, each once -----
    second_due = date(issued.year + 2, issued.month, issued.day)
    at(second_due + timedelta(days=14))
    run_jobs(app)
    run_jobs(app)
    assert len(notices(db_session, "declaration_overdue")) == 2
    # Catching up after the job was down: the "due" notice is not sent late once "overdue" went.
    assert len(notices(db_session, "declaration_due")) == 2
    at(second_due + timedelta(days=45))
    run_jobs(app)
    run_jobs(app)
    alerts = [n.user_id for n in notices(db_session, "office_declaration_missing")]
    assert officer.id in alerts and len(alerts) == len(set(alerts)) == 2  # both officers, once each

    # --- renewal: nothing before the window; the 6-month reminder; after downtime only the latest --
    at(until - timedelta(days=200))
    run_jobs(app)
    assert notices(db_session, "renewal_open") == []
    assert "The renewal opens on" in signed_in(app, owner).client.get(base).get_data(as_text=True)
    at(until - timedelta(days=85))  # the job was down from before 6 months until under 3 months
    run_jobs(app)
    run_jobs(app)
    assert notices(db_session, "renewal_open") == []
    assert len(notices(db_session, "renewal_reminder")) == 2  # the 3-month one, to both members

    co_op = signed_in(app, owner)
    assert "Start the renewal" in co_op.client.get(base).get_data(as_text=True)
    refused = post_form(signed_in(app, member).client, f"{base}/renew", {"accept": "y", "agreement_version": "x"})
    assert refused.status_code == 403
    from qualitymark.agreements import CURRENT_VERSION

    started = post_form(co_op.client, f"{base}/renew", {"accept": "y", "agreement_version": CURRENT_VERSION})
    assert started.status_code == 302, started.get_data(as_text=True)
    renewal_id = int(re.search(r"/applications/(\d+)", started.headers["Location"]).group(1))
    db_session.expire_all()
    renewal = db_session.get(Application, renewal_id)
    assert renewal.renews_certificate_id == certificate.id
    from qualitymark.models.rubrics import RubricVersion

    assert db_session.get(RubricVersion, renewal.rubric_version_id).version == "1.1.0"
    # Pre-filled with the certified round's answers, evidence reused by reference.
    answers = db_session.exec(select(CriterionResponse).where(CriterionResponse.application_id == renewal_id)).all()
    assert answers and all(a.level == 3 and a.narrative == "We do this well." for a in answers)
    old_items = db_session.exec(select(EvidenceItem).where(
        EvidenceItem.application_id == certificate.application_id)).all()
    new_items = db_session.exec(select(EvidenceItem).where(EvidenceItem.application_id == renewal_id)).all()
    assert sorted(i.storage_key for i in new_items) == sorted(i.storage_key for i in old_items)
    assert all(i.reused_from_id and i.reuse_confirmed_at is None for i in new_items)
    # What changed in the criteria is shown next to the criterion.
    overview = co_op.client.get(f"/applications/{renewal_id}").get_data(as_text=True)
    assert f"This application renews certificate {code}" in overview
    assert "1 criterion changed since your last certificate" in overview
    section = co_op.client.get(f"/applications/{renewal_id}/sections/A").get_data(as_text=True)
    assert "Changed since your last certificate" in section and "guidance" in section
    # A reused file can be downloaded (same stored file) and must be confirmed before submitting.
    item = new_items[0]
    assert co_op.client.get(f"/applications/{renewal_id}/evidence/{item.id}").status_code == 200
    blocked = post_form(co_op.client, f"/applications/{renewal_id}/submit", {"confirm": "y"})
    assert "not confirmed yet" in blocked.get_data(as_text=True)
    post_form(co_op.client, f"/applications/{renewal_id}/evidence/confirm", {"evidence_id": "all"})
    submitted = post_form(co_op.client, f"/applications/{renewal_id}/submit", {"confirm": "y"})
    assert submitted.status_code == 302, submitted.get_data(as_text=True)
    told = [n.user_id for n in notices(db_session, "office_renewal_submitted")]
    assert officer.id in told and len(told) == len(set(told))

    # No more renewal reminders once the renewal is in.
    at(until - timedelta(days=20))
    run_jobs(app)
    assert len(notices(db_session, "renewal_reminder")) == 2

    # --- past expiry, the renewal is still being decided: "renewal in progress", not lapsed -------
    at(until + timedelta(days=1))
    run_jobs(app)
    page = client.get(f"/c/{code}").get_data(as_text=True)
    assert "Renewal in progress" in page and "state-renewal_in_progress" in page
    assert notices(db_session, "certificate_expired") == []
    register = client.get("/api/v1/certificates/" + code)
    assert register.status_code == 200 and "renewal_in_progress" in register.get_data(as_text=True)
    listing = client.get("/register").get_data(as_text=True)
    assert "pill-renewal_in_progress" in listing and "pill-expired" not in listing
    assert "Renewal in progress" in client.get(f"/c/{code}/badge.svg").get_data(as_text=True)

    # --- after the grace period it shows as expired, and the co-op is told once ----------------------
    grace = app.config["SETTINGS"].renewal_grace_days
    at(until + timedelta(days=grace + 1))
    run_jobs(app)
    run_jobs(app)
    page = client.get(f"/c/{code}").get_data(as_text=True)
    assert "Expired" in page and "state-expired" in page
    listing = client.get("/register").get_data(as_text=True)
    assert "pill-expired" in listing and "pill-renewal_in_progress" not in listing
    assert "Renewal in progress" not in client.get(f"/c/{code}/badge.svg").get_data(as_text=True)
    assert len(notices(db_session, "certificate_expired")) == 2
    sent = subjects(outbox)
    assert sent.count("Your Care Quality Mark has expired") == 2
    # Every scheduled notice was claimed exactly once.
    keys = db_session.exec(select(NoticeSent.key)).all()
    assert len(keys) == len(set(keys))


def test_a_certificate_that_is_not_renewed_expires_and_the_jobs_catch_up_without_duplicates(
        app, client, owner, member, certificate, db_session, outbox):
    code = certificate.public_code
    until = certificate.valid_until
    # The periodic jobs did not run for the whole three years; they run twice after expiry.
    at(until + timedelta(days=3))
    first = run_jobs(app)
    second = run_jobs(app)
    assert first["send_lifecycle_notices"] > 0 and second["send_lifecycle_notices"] == 0
    page = client.get(f"/c/{code}").get_data(as_text=True)
    assert "state-expired" in page
    assert len(notices(db_session, "certificate_expired")) == 2
    # No renewal reminders sent after the expiry they were about.
    assert notices(db_session, "renewal_reminder") == [] and notices(db_session, "renewal_open") == []
    # Year 1 and 2 declarations are no longer asked for once the certificate has expired.
    assert notices(db_session, "declaration_due") == []
    co_op = signed_in(app, owner)
    assert co_op.client.get(f"/coops/gofal/certificates/{code}/renew").status_code == 200
    assert sorted(subjects(outbox)).count("Your Care Quality Mark has expired") == 2


def test_notifications_list_reads_in_the_readers_language_and_marks_read(
        app, owner, member, certificate, db_session):
    from qualitymark import db
    from qualitymark.models.accounts import User
    from qualitymark.services import notifications

    at(certificate.valid_until - timedelta(days=10))
    run_jobs(app)
    co_op = signed_in(app, owner)
    page = co_op.client.get("/notifications/").get_data(as_text=True)
    assert "Reminder: your Care Quality Mark expires on" in page and 'class="count"' in page
    until = certificate.valid_until
    assert f"expires on {until.day} {until:%B} {until.year}" in page  # the service's date style, not "May 3, 2029"
    with app.app_context():
        me = db.session().get(User, owner.id)
        # The decision, the certificate and the renewal reminder.
        assert notifications.unread_count(me) == 3
        assert sorted(n.kind for n in notifications.for_user(me)) == [
            "certificate_issued", "decision_made", "renewal_reminder"]
    # Someone else's notification id changes nothing.
    theirs = next(n for n in notices(db_session, "renewal_reminder") if n.user_id == member.id)
    post_form(co_op.client, f"/notifications/{theirs.id}/read", {}, token_from="/notifications/")
    db_session.expire_all()
    assert db_session.get(Notification, theirs.id).read_at is None
    mine = next(n for n in notices(db_session, "renewal_reminder") if n.user_id == owner.id)
    opened = post_form(co_op.client, f"/notifications/{mine.id}/read", {"next": mine.link},
                       token_from="/notifications/")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(mine.link)
    db_session.expire_all()
    assert db_session.get(Notification, mine.id).read_at is not None
    # An outside "next" is refused.
    elsewhere = post_form(co_op.client, f"/notifications/{mine.id}/read", {"next": "https://evil.example/"},
                          token_from="/notifications/")
    assert "evil" not in elsewhere.headers["Location"]
    # In Welsh for a reader who chose Welsh (the email too).
    with app.app_context():
        me = db.session().get(User, owner.id)
        me.locale = "cy"
        db.commit()
    welsh = co_op.client.get("/notifications/").get_data(as_text=True)
    assert '<html lang="cy"' in welsh


def test_declarations_with_changes_go_to_the_office_for_review(app, owner, officer, certificate, db_session):
    code = certificate.public_code
    first_due = date(certificate.valid_from.year + 1, certificate.valid_from.month, certificate.valid_from.day)
    at(first_due - timedelta(days=5))
    co_op = signed_in(app, owner)
    base = f"/coops/gofal/certificates/{code}"
    early = co_op.client.get(f"{base}/declarations/2").get_data(as_text=True)
    assert "This declaration opens on" in early
    assert co_op.client.get(f"{base}/declarations/3").status_code == 404  # year 3 ends in the renewal
    response = post_form(co_op.client, f"{base}/declarations/1", {
        "outcome": "changes_reported", "changes": "We merged with Gofal Môn.", "confirm": "y"})
    assert response.status_code == 302
    declaration = db_session.exec(select(AnnualDeclaration)).one()
    assert officer.id in [n.user_id for n in notices(db_session, "office_declaration_changes")]
    office = signed_in(app, officer)
    dashboard = office.client.get("/office/").get_data(as_text=True)
    assert "Annual declarations reporting changes, to review: 1" in dashboard and 'href="/office/declarations"' in dashboard
    listed = office.client.get("/office/declarations").get_data(as_text=True)
    assert "Gofal" in listed and f"/office/declarations/{declaration.id}" in listed
    empty = post_form(office.client, f"/office/declarations/{declaration.id}", {"note": ""})
    assert "Write what the reported changes mean" in empty.get_data(as_text=True)
    post_form(office.client, f"/office/declarations/{declaration.id}", {"note": "Merger checked; the mark stands."})
    db_session.expire_all()
    assert db_session.get(AnnualDeclaration, declaration.id).reviewed_by_id == officer.id
    assert "to review: 0" in office.client.get("/office/").get_data(as_text=True)
    # The co-op cannot declare year 1 twice.
    again = post_form(co_op.client, f"{base}/declarations/1", {"outcome": "no_change", "confirm": "y"})
    assert again.status_code == 200 and db_session.exec(select(AnnualDeclaration)).one().id == declaration.id
    # Nobody outside the co-op or the office sees the co-op's certificate page.
    assert co_op.client.get("/office/declarations").status_code in (403, 404)


def test_grace_ends_for_a_renewal_submitted_after_expiry(app, client, owner, certificate, db_session):
    """A renewal submitted after the last valid day does not earn "renewal in progress"."""
    from qualitymark import db
    from qualitymark.agreements import CURRENT_VERSION
    from qualitymark.models.accounts import User
    from qualitymark.services import lifecycle

    at(certificate.valid_until - timedelta(days=30))
    with app.app_context():
        cert = db.session().get(Certificate, certificate.id)
        renewal = lifecycle.start_renewal(cert, actor=db.session().get(User, owner.id),
                                          agreement_version=CURRENT_VERSION, agreement_accepted=True)
        db.commit()
        renewal_id = renewal.id
    at(certificate.valid_until + timedelta(days=2))
    with app.app_context():
        cert = db.session().get(Certificate, certificate.id)
        assert lifecycle.public_state(cert) == "expired"
        application = db.session().get(Application, renewal_id)
        assert application.renews_certificate_id == cert.id and application.status == "draft"


def test_a_condition_of_the_decision_is_reminded_then_the_office_checks_it(
        app, owner, member, officer, second_officer, certificate, db_session):
    """Certified with a condition (here by a correction of the decision): the co-op is reminded 14
    days before it is due, the office is asked to check it once the day has passed; each once."""
    from qualitymark import db
    from qualitymark.models.accounts import User
    from qualitymark.services import reviews

    due = certificate.valid_from + timedelta(days=120)
    with app.app_context():
        application = db.session().get(Application, certificate.application_id)
        reviews.record_decision(
            application, outcome="certify_with_conditions", rationale="Meets every rule; one thing to finish.",
            conditions=[("Publish the members' complaints procedure on the website.", due)],
            actor=db.session().get(User, second_officer.id), replaces=reviews.current_decision(application))
        db.commit()
    at(due - timedelta(days=20))
    run_jobs(app)
    assert notices(db_session, "condition_due") == []
    at(due - timedelta(days=14))
    run_jobs(app)
    run_jobs(app)
    reminded = notices(db_session, "condition_due")
    assert sorted(n.user_id for n in reminded) == sorted([owner.id, member.id])
    co_op = signed_in(app, owner)
    page = co_op.client.get("/notifications/").get_data(as_text=True)
    assert "Publish the members&#39; complaints procedure" in page and f"{due.day} {due:%B} {due.year}" in page
    at(due)
    run_jobs(app)
    assert notices(db_session, "office_condition_due") == []  # due today: not yet late
    at(due + timedelta(days=1))
    run_jobs(app)
    at(due + timedelta(days=9))  # days later, run again: nothing new
    run_jobs(app)
    alerted = [n.user_id for n in notices(db_session, "office_condition_due")]
    assert officer.id in alerted and len(alerted) == len(set(alerted))
    assert len(notices(db_session, "condition_due")) == 2
