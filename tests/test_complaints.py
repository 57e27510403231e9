"""Complaints (ISO/IEC 17065 7.13) as the public and the office meet them: anyone can complain,
with or without an account; an officer with no part in that co-op's case takes and closes it;
the complainant is told, in the language they wrote in; every step is audited."""
from __future__ import annotations

import re

from sqlmodel import select

from applicant_fixtures import signed_in
from decision_helpers import awaiting_decision, decide, independent, notifications  # noqa: F401
from helpers import post_form
from qualitymark.models.audit import AuditEvent
from qualitymark.models.certificates import Certificate
from qualitymark.models.lifecycle import Complaint

WHAT_HAPPENED = "My mother's carer did not come on Tuesday and nobody rang to say so."


def complaints(db_session) -> list[Complaint]:
    db_session.expire_all()
    return list(db_session.exec(select(Complaint).order_by(Complaint.id)).all())


def fields_of(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input[^>]*id="(\w+)"[^>]*value="([^"]*)"', html))


def certify(app, awaiting_decision, second_officer, db_session) -> Certificate:
    decide(app, awaiting_decision.id, second_officer, "certify")
    return db_session.exec(select(Certificate)).one()


def test_an_anonymous_complaint_from_the_verification_page_to_its_outcome(
        app, client, officer, second_officer, independent, awaiting_decision, db_session, outbox):
    certificate = certify(app, awaiting_decision, second_officer, db_session)
    code = certificate.public_code

    # From the public verification page to the form, with the co-op filled in.
    page = client.get(f"/c/{code}").get_data(as_text=True)
    assert f'href="/complaints/new?certificate={code}"' in page
    form = client.get(f"/complaints/new?certificate={code}").get_data(as_text=True)
    assert fields_of(form).get("coop") == code and re.search(r'<input checked[^>]*value="coop"', form)
    response = post_form(client, f"/complaints/new?certificate={code}", {
        "about": "coop", "coop": code, "name": "Pat Public", "email": "pat@example.org", "text": WHAT_HAPPENED})
    assert response.status_code == 302 and response.headers["Location"] == "/complaints/received"
    [complaint] = complaints(db_session)
    assert (complaint.organisation_id, complaint.certificate_id, complaint.status, complaint.complainant_user_id) == \
        (certificate.organisation_id, certificate.id, "received", None)
    assert re.fullmatch(r"CMP-[0-9A-HJKMNP-TV-Z]{6}", complaint.reference)
    received = client.get("/complaints/received").get_data(as_text=True)
    assert complaint.reference in received and "within 30 days" in received

    # The acknowledgement, and the office told.
    [ack] = [m for m in outbox if m["To"] == "pat@example.org"]
    assert complaint.reference in ack["Subject"] and WHAT_HAPPENED in ack.get_content()
    assert "within 30 days" in ack.get_content()
    assert {n.user_id for n in notifications(db_session, "complaint_received")} == \
        {officer.id, second_officer.id, independent.id}

    # Officers who moderated or decided for this co-op are refused, and told why.
    for person, why in ((officer, "you moderated one of this co-op"), (second_officer, "you made a certification decision")):
        office = signed_in(app, person)
        assert complaint.reference in office.client.get("/office/complaints").get_data(as_text=True)
        refused = post_form(office.client, f"/office/complaints/{complaint.id}", {"action": "take"})
        assert why in refused.get_data(as_text=True)
        assert complaints(db_session)[0].status == "received"

    # An independent officer takes and closes it.
    office = signed_in(app, independent)
    assert post_form(office.client, f"/office/complaints/{complaint.id}", {"action": "take"}).status_code == 302
    taken = complaints(db_session)[0]
    assert (taken.status, taken.handler_id) == ("investigating", independent.id)
    missing = post_form(office.client, f"/office/complaints/{complaint.id}", {"action": "close", "outcome": "upheld"})
    assert "Write the reasons for the outcome." in missing.get_data(as_text=True)
    assert post_form(office.client, f"/office/complaints/{complaint.id}", {
        "action": "close", "outcome": "upheld",
        "reason": "The co-op confirmed the missed visit and has changed how it covers absences."}).status_code == 302
    closed = complaints(db_session)[0]
    assert (closed.status, closed.outcome) == ("closed", "upheld") and closed.closed_at is not None
    [outcome] = [m for m in outbox if m["To"] == "pat@example.org" and "closed" in m["Subject"]]
    assert "Outcome: upheld" in outcome.get_content()
    assert "changed how it covers absences" in outcome.get_content()

    actions = [e.action for e in db_session.exec(select(AuditEvent).where(AuditEvent.object_type == "complaint")
                                                 .order_by(AuditEvent.sequence)).all()]
    assert actions == ["complaint.received", "complaint.taken", "complaint.closed"]
    # Nothing identifying the complainant goes into the append-only trail.
    assert not any("pat@example.org" in str(e.data) or "Pat Public" in str(e.data)
                   for e in db_session.exec(select(AuditEvent)).all())


def test_form_errors_are_tied_to_their_fields_and_nothing_typed_is_lost(client, db_session):
    page = post_form(client, "/complaints/new", {
        "about": "coop", "coop": "Nowhere Care Co-op", "name": "Pat Public", "email": "not-an-email",
        "text": WHAT_HAPPENED}).get_data(as_text=True)
    assert 'href="#email"' in page and 'href="#coop"' in page
    assert 'id="email-error"' in page and 'aria-describedby="email-hint email-error"' in page
    assert "We could not find a certified co-op" in page and 'id="coop-error"' in page
    assert fields_of(page)["name"] == "Pat Public" and fields_of(page)["coop"] == "Nowhere Care Co-op"
    assert WHAT_HAPPENED.replace("'", "&#39;") in page
    empty = post_form(client, "/complaints/new", {}).get_data(as_text=True)
    for message in ("Choose what your complaint is about.", "Give your name.", "Tell us what happened."):
        assert message in empty
    too_long = post_form(client, "/complaints/new", {"about": "scheme", "name": "Pat", "email": "pat@example.org",
                                                     "text": "x" * 10_001}).get_data(as_text=True)
    assert "Keep it under 10,000 characters" in too_long
    assert complaints(db_session) == []


def test_complaints_are_limited_per_address(make_app, db_session):
    app = make_app(QUALITYMARK_COMPLAINT_LIMIT="2 per hour")
    client = app.test_client()
    body = {"about": "scheme", "name": "Pat Public", "email": "pat@example.org", "text": WHAT_HAPPENED}
    # A form sent back with errors does not use up the allowance.
    assert post_form(client, "/complaints/new", {**body, "email": ""}).status_code == 200
    for _ in range(2):
        assert post_form(client, "/complaints/new", body).status_code == 302
    refused = post_form(client, "/complaints/new", body)
    assert refused.status_code == 429 and "Too many attempts" in refused.get_data(as_text=True)
    from qualitymark.db import database

    with database(app).new_session() as session:
        assert len(session.exec(select(Complaint)).all()) == 2


def test_the_officer_who_suspended_the_certificate_is_refused_but_may_take_a_complaint_about_the_scheme(
        app, client, owner, second_officer, independent, awaiting_decision, db_session, create_user):
    certificate = certify(app, awaiting_decision, second_officer, db_session)
    suspender = signed_in(app, independent)
    post_form(suspender.client, f"/office/certificates/{certificate.public_code}",
              {"reason": "A safeguarding concern is being looked into.", "action": "suspend"})
    register = client.get("/register/gofal").get_data(as_text=True)
    assert 'href="/complaints/new?organisation=gofal"' in register
    form = client.get("/complaints/new?organisation=gofal").get_data(as_text=True)
    post_form(client, "/complaints/new", {"about": "coop", "coop": fields_of(form)["coop"], "name": "Pat Public",
                                          "email": "pat@example.org", "text": WHAT_HAPPENED})
    post_form(client, "/complaints/new", {"about": "scheme", "name": "Pat Public", "email": "pat@example.org",
                                          "text": "The register is hard to use on a phone."})
    about_coop, about_scheme = complaints(db_session)
    assert about_coop.organisation_id == certificate.organisation_id and about_scheme.organisation_id is None
    page = suspender.client.get(f"/office/complaints/{about_coop.id}").get_data(as_text=True)
    assert "you suspended or withdrew this co-op" in page and "I will handle this" not in page
    refused = post_form(suspender.client, f"/office/complaints/{about_coop.id}", {"action": "take"})
    assert "you suspended or withdrew this co-op" in refused.get_data(as_text=True)
    # The decider of gofal's application may handle a complaint about the scheme.
    decider = signed_in(app, second_officer)
    assert post_form(decider.client, f"/office/complaints/{about_scheme.id}", {"action": "take"}).status_code == 302
    assert complaints(db_session)[1].handler_id == second_officer.id


def test_a_signed_in_complainant_is_prefilled_and_told_in_their_list_and_their_language(
        app, create_user, independent, db_session, outbox):
    person = create_user(email="sian@example.org", name="Siân Service-User")
    auth = signed_in(app, person)
    form = auth.client.get("/complaints/new").get_data(as_text=True)
    assert fields_of(form)["email"] == "sian@example.org" and fields_of(form)["name"] == "Siân Service-User"
    post_form(auth.client, "/complaints/new?lang=cy", {"about": "scheme", "name": "Siân Service-User",
                                                       "email": "sian@example.org", "text": WHAT_HAPPENED})
    [complaint] = complaints(db_session)
    assert complaint.complainant_user_id == person.id and complaint.locale == "cy"
    office = signed_in(app, independent)
    post_form(office.client, f"/office/complaints/{complaint.id}", {"action": "take"})
    post_form(office.client, f"/office/complaints/{complaint.id}",
              {"action": "close", "outcome": "not_upheld", "reason": "The register works on phones."})
    [told] = notifications(db_session, "complaint_closed")
    assert told.user_id == person.id and told.params["outcome"] == "not_upheld"
    # One email with the reasons, not a second one from the notification.
    assert sum(m["To"] == "sian@example.org" for m in outbox) == 2  # received + closed


def test_nobody_outside_the_office_sees_complaints(app, client, owner, independent, db_session):
    post_form(client, "/complaints/new", {"about": "scheme", "name": "Pat Public", "email": "pat@example.org",
                                          "text": WHAT_HAPPENED})
    [complaint] = complaints(db_session)
    coop = signed_in(app, owner)
    assert coop.client.get("/office/complaints").status_code == 404
    assert coop.client.get(f"/office/complaints/{complaint.id}").status_code == 404
    # The reference page belongs to the sender's session only.
    assert coop.client.get("/complaints/received").status_code == 302
