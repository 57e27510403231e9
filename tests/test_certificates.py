"""Certificates as the public meets them: issued once, signed, verifiable, and honest about their state."""
from __future__ import annotations

import json
import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import DatabaseError
from sqlmodel import select

from applicant_fixtures import signed_in
from helpers import post_form
from qualitymark.clock import set_clock, utcnow
from qualitymark.models.applications import Application
from qualitymark.models.certificates import Certificate, CertificateDocument, SigningKey
from qualitymark.models.reviews import Decision


@pytest.fixture
def decided(app, officer, second_officer, assessors, submitted):
    """A certify decision, taken through the services; returns the Decision (expunged)."""
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
        decision = reviews.record_decision(application, outcome="certify", rationale="Meets every rule.",
                                           actor=session.get(User, second_officer.id))
        db.commit()
        session.expunge(decision)
        return decision


@pytest.fixture
def certificate(app, decided, db_session):
    """The decision's job ran inline after the commit: the certificate exists."""
    return db_session.exec(select(Certificate)).one()


def issue_again(app, decision_id):
    from qualitymark import db
    from qualitymark.services.certificates import issue_certificate

    with app.app_context():
        result = issue_certificate(decision_id)
        db.commit()
        return result.public_code if result else None


# --- issuing ----------------------------------------------------------------------------------

def test_a_certify_decision_issues_exactly_one_certificate(app, decided, certificate, db_session, outbox):
    assert re.fullmatch(r"CQM-[0-9A-HJKMNP-TV-Z]{10}", certificate.public_code)
    assert certificate.award_id == "mark" and certificate.status == "active"
    assert (certificate.valid_until - certificate.valid_from).days in range(1093, 1097)  # 36 months less a day
    for _ in range(3):
        assert issue_again(app, decided.id) == certificate.public_code
    assert len(db_session.exec(select(Certificate)).all()) == 1
    assert any(m["Subject"] == "Your Care Quality Mark certificate" for m in outbox)


def test_two_workers_racing_still_give_one_certificate(app, decided, certificate, db_session):
    from qualitymark import db
    from qualitymark.services.certificates import issue_certificate

    # Remove the first certificate's row is impossible (FKs, audit); instead race on a fresh decision's app:
    barrier = threading.Barrier(2)
    results = []

    def work():
        with app.app_context():
            barrier.wait()
            try:
                results.append(issue_certificate(decided.id).public_code)
                db.commit()
            except Exception as error:  # SQLite may make the loser wait and fail: it must not issue
                db.session().rollback()
                results.append(type(error).__name__)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(db_session.exec(select(Certificate)).all()) == 1
    assert certificate.public_code in results


def test_the_database_allows_one_certificate_per_application(app, certificate, db_session):
    from sqlalchemy.exc import IntegrityError

    copy = Certificate(**{**certificate.model_dump(), "id": None, "public_code": "CQM-0000000000",
                          "revocation_index": certificate.revocation_index + 1,
                          "suspension_index": certificate.suspension_index + 1})
    db_session.add(copy)
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


def test_a_lost_issuing_job_is_sent_again_from_the_decision(app, decided, certificate, db_session):
    from qualitymark.jobs.periodic import issue_missing_certificates

    with app.app_context():
        assert issue_missing_certificates.__wrapped__() == 0


# --- the credential ---------------------------------------------------------------------------

def test_our_credentials_verify_and_any_changed_claim_makes_them_invalid(app, certificate):
    from qualitymark.services.certificates import verify_here

    credential = json.loads(certificate.credential_json)
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["id"].startswith("did:web:localhost")
    assert [p["cryptosuite"] for p in credential["proof"]] == ["eddsa-jcs-2022", "eddsa-rdfc-2022"]
    assert {s["statusPurpose"] for s in credential["credentialStatus"]} == {"revocation", "suspension"}
    with app.test_request_context():
        report = verify_here(credential)
        assert report.result == "valid", [c for c in report.checks if c.status != "passed"]
        for path in (("name",), ("credentialSubject", "name"), ("validUntil",),
                     ("credentialSubject", "achievement", "name")):
            tampered = json.loads(certificate.credential_json)
            target = tampered
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = target[path[-1]] + "x"
            report = verify_here(tampered)
            assert report.result == "invalid" and report.claims is None, path


def test_the_json_is_served_by_url_and_by_content_negotiation(client, certificate):
    by_url = client.get(f"/c/{certificate.public_code}.json")
    assert by_url.status_code == 200 and by_url.mimetype == "application/vc+ld+json"
    assert json.loads(by_url.data)["id"].endswith(certificate.public_code)
    negotiated = client.get(f"/c/{certificate.public_code}", headers={"Accept": "application/ld+json"})
    assert negotiated.data == by_url.data
    html = client.get(f"/c/{certificate.public_code}", headers={"Accept": "text/html,*/*;q=0.8"})
    assert html.mimetype == "text/html"


def test_keys_rotate_and_old_certificates_keep_verifying(app, runner, certificate, client, db_session):
    from qualitymark.services.certificates import verify_here

    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    keys = db_session.exec(select(SigningKey).order_by(SigningKey.id)).all()
    assert len(keys) == 2 and keys[0].retired_at is not None and keys[1].retired_at is None
    document = client.get("/.well-known/did.json").get_json()
    methods = {m["id"].split("#")[1]: m for m in document["verificationMethod"]}
    assert "revoked" in methods["key-1"] and "revoked" not in methods["key-2"]
    with app.test_request_context():
        report = verify_here(json.loads(certificate.credential_json))
        assert report.result == "valid", [(c.name, c.message) for c in report.checks if c.status != "passed"]
    key_file = Path(keys[1].private_key_file)
    assert key_file.stat().st_mode & 0o777 == 0o600


# --- status -----------------------------------------------------------------------------------

def status_bits(client, purpose):
    from qualitymark.credentials import StatusBits

    response = client.get(f"/status/{purpose}/1")
    assert response.status_code == 200
    document = json.loads(response.data)
    return StatusBits.decode(document["credentialSubject"]["encodedList"]), response


def test_suspend_reinstate_withdraw_show_everywhere(app, client, officer, certificate, tmp_path, outbox):
    from click.testing import CliRunner

    office = signed_in(app, officer)
    code = certificate.public_code
    assert "Valid" in client.get(f"/c/{code}").get_data(as_text=True)

    assert post_form(office.client, f"/office/certificates/{code}",
                     {"reason": "A safeguarding concern is being looked into.", "action": "suspend"}).status_code == 302
    page = client.get(f"/c/{code}").get_data(as_text=True)
    assert "Suspended" in page and "state-suspended" in page
    bits, response = status_bits(client, "suspension")
    assert bits.get(certificate.suspension_index)
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert json.loads(response.data)["credentialSubject"]["ttl"] == 3_600_000
    assert response.headers["ETag"]

    # The command line says so too, from the credential file alone plus the lists.
    report = _verify_cli(app, client, certificate, tmp_path)
    assert report.exit_code == 1 and "suspend" in report.output.lower()

    post_form(office.client, f"/office/certificates/{code}", {"reason": "Concern resolved.", "action": "reinstate"})
    assert "Valid" in client.get(f"/c/{code}").get_data(as_text=True)
    bits, _ = status_bits(client, "suspension")
    assert not bits.get(certificate.suspension_index)
    assert _verify_cli(app, client, certificate, tmp_path).exit_code == 0

    refused = post_form(office.client, f"/office/certificates/{code}", {"reason": "Left the scheme.",
                                                                          "action": "withdraw"})
    assert "Tick the box to confirm" in refused.get_data(as_text=True)
    post_form(office.client, f"/office/certificates/{code}",
              {"reason": "Left the scheme.", "action": "withdraw", "confirm": "yes"})
    assert "Withdrawn" in client.get(f"/c/{code}").get_data(as_text=True)
    bits, _ = status_bits(client, "revocation")
    assert bits.get(certificate.revocation_index)
    # Final: nothing brings it back.
    again = post_form(office.client, f"/office/certificates/{code}", {"reason": "x", "action": "reinstate"})
    assert "Withdrawal is final" in again.get_data(as_text=True)
    assert any("withdrawn" in m["Subject"] for m in outbox)


def _verify_cli(app, client, certificate, tmp_path):
    from click.testing import CliRunner

    from qualitymark.verify_cli import verify

    files = {"credential.json": client.get(f"/c/{certificate.public_code}.json").data,
             "did.json": client.get("/.well-known/did.json").data,
             "revocation.json": client.get("/status/revocation/1").data,
             "suspension.json": client.get("/status/suspension/1").data}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    return CliRunner().invoke(verify, [str(tmp_path / "credential.json"), "--did", str(tmp_path / "did.json"),
                                       "--status", str(tmp_path / "revocation.json"),
                                       "--status", str(tmp_path / "suspension.json")])


def test_expiry_is_by_date(app, client, certificate):
    later = utcnow() + timedelta(days=3 * 366 + 1)
    set_clock(lambda: later)
    page = client.get(f"/c/{certificate.public_code}").get_data(as_text=True)
    assert "Expired" in page
    assert client.get(f"/api/v1/certificates/{certificate.public_code}").get_json()["state"] == "expired"


def test_only_the_office_changes_a_certificate(app, owner, assessors, certificate):
    for user in (owner, assessors[0]):
        auth = signed_in(app, user)
        assert auth.client.get(f"/office/certificates/{certificate.public_code}").status_code == 403


# --- pages ------------------------------------------------------------------------------------

def test_the_verification_page_puts_the_state_first_then_the_facts(client, certificate):
    page = client.get(f"/c/{certificate.public_code}").get_data(as_text=True)
    body = page.split('<main id="main"')[1]
    assert body.index("state-word") < body.index("<h1")
    for text in ("Gofal", "Care Quality Mark", "version 1.0.0", "Valid until", certificate.public_code,
                 "What “valid” means", "Check it yourself", "badge.svg", "linkedin.com/profile/add", "<svg"):
        assert text in page, text


def test_codes_are_forgiving_when_typed_and_unknown_codes_get_a_helpful_404(client, certificate):
    typed = certificate.public_code.lower().replace("0", "o")
    assert client.get(f"/c/{typed}").status_code == 200
    missing = client.get("/c/CQM-ZZZZZZZZZZ")
    assert missing.status_code == 404
    assert "No certificate has the code CQM-ZZZZZZZZZZ" in missing.get_data(as_text=True)


def test_the_page_costs_one_certificate_lookup(app, client, certificate):
    from sqlalchemy import event

    from qualitymark.db import database

    statements = []
    engine = database(app).engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        client.get(f"/c/{certificate.public_code}")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert sum("FROM certificate" in s for s in statements) == 1
    assert len(statements) <= 3, statements


def test_pdf_is_rendered_once_and_cached(app, client, certificate, db_session):
    first = client.get(f"/c/{certificate.public_code}.pdf")
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    assert len(db_session.exec(select(CertificateDocument)).all()) == 1
    again = client.get(f"/c/{certificate.public_code}.pdf", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_badge_shows_the_current_state(client, officer, app, certificate):
    svg = client.get(f"/c/{certificate.public_code}/badge.svg")
    assert svg.mimetype == "image/svg+xml" and "valid" in svg.get_data(as_text=True).lower()
    post_form(signed_in(app, officer).client, f"/office/certificates/{certificate.public_code}",
              {"reason": "Concern.", "action": "suspend"})
    assert "suspended" in client.get(f"/c/{certificate.public_code}/badge.svg").get_data(as_text=True).lower()


def test_verify_page_checks_a_pasted_credential_and_explains(client, certificate):
    page = post_form(client, "/verify", {"credential": certificate.credential_json}).get_data(as_text=True)
    assert "Valid" in page and "Passed" in page and "What the credential says" in page
    tampered = certificate.credential_json.replace("Gofal", "Gofal Ffug")
    page = post_form(client, "/verify", {"credential": tampered}).get_data(as_text=True)
    assert "Not valid" in page and "What the credential says" not in page
    assert "nothing the credential says is shown here as true" in page
    page = post_form(client, "/verify", {"credential": "{not json"}).get_data(as_text=True)
    assert "not valid JSON (line 1, column 2" in page


def test_verify_page_does_not_fetch_other_issuers(client, certificate):
    credential = json.loads(certificate.credential_json)
    credential["issuer"]["id"] = "did:web:evil.example"
    page = post_form(client, "/verify", {"credential": json.dumps(credential)}).get_data(as_text=True)
    assert "Not valid" in page or "Could not be checked" in page
    assert "does not fetch other issuers" in page or "Failed" in page


def test_register_search_and_history(client, certificate):
    page = client.get("/register?q=gof").get_data(as_text=True)
    assert "1 co-op found" in page and certificate.public_code in page or "/register/gofal" in page
    assert "0 co-ops found" in client.get("/register?q=nothing-like-it").get_data(as_text=True)
    history = client.get("/register/gofal").get_data(as_text=True)
    assert certificate.public_code in history
    assert client.get("/register/no-such-coop").status_code == 404


def test_register_shows_no_personal_data(client, certificate, owner):
    for path in ("/register", "/register/gofal", f"/c/{certificate.public_code}",
                 f"/api/v1/certificates/{certificate.public_code}", "/api/v1/register"):
        text = client.get(path).get_data(as_text=True)
        assert owner.email not in text and owner.name not in text, path


def test_the_json_api_and_its_openapi_document(client, certificate):
    listing = client.get("/api/v1/register?q=Gofal").get_json()
    assert listing["total"] == 1 and listing["results"][0]["code"] == certificate.public_code
    one = client.get(f"/api/v1/certificates/{certificate.public_code}").get_json()
    assert one["state"] == "valid" and one["valid_until"] == certificate.valid_until.isoformat()
    assert client.get("/api/v1/certificates/CQM-NOPE").status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1") and "/api/v1/certificates/{code}" in spec["paths"]
    for key in one:
        assert key in spec["components"]["schemas"]["RegisterEntry"]["properties"]


def test_decisions_stay_append_only_with_certificates_around(app, certificate):
    from sqlalchemy import text as sql

    from qualitymark.db import database

    with pytest.raises(DatabaseError):
        with database(app).engine.begin() as connection:
            connection.execute(sql("DELETE FROM decision"))


def test_demo_issues_a_certificate_and_prints_its_url(app, runner, db_session):
    from applicant_fixtures import REPO

    runner.invoke(args=["rubrics", "publish", str(REPO / "criteria")])
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    match = re.search(r"Demo certificate: http://localhost(/c/CQM-\w+)", result.output)
    assert match, result.output
    assert len(db_session.exec(select(Decision)).all()) == 1


def test_a_status_index_clash_is_retried_not_recorded_as_issued(app, decided, certificate, monkeypatch):
    """Two workers picking the same free index: the loser must fail (and be retried), never
    report success without a certificate."""
    from qualitymark import db
    from qualitymark.models.certificates import Certificate as CertificateRow
    from qualitymark.services import certificates as service

    with app.app_context():
        row = db.session().get(CertificateRow, certificate.id)
        taken = row.revocation_index
        # Pretend this application has no certificate yet, and force the taken index.
        monkeypatch.setattr(service, "certificate_for_application",
                            lambda application_id, _real=service.certificate_for_application: None)
        monkeypatch.setattr(service, "_free_index", lambda status_list: taken)
        with pytest.raises(RuntimeError, match="clashed on a status index"):
            service.issue_certificate(decided.id)
        db.session().rollback()


# --- the public pages' cache (with Redis, as in production) ----------------------------------------

@pytest.fixture
def public_cache(app):
    """The verification page's cache, on a generation key of this test's own."""
    import uuid

    from redis import Redis

    from helpers import REDIS_URL, need
    from qualitymark import public_cache as module

    if not REDIS_URL:
        need("Redis", "QUALITYMARK_TEST_REDIS_URL")
    connection = Redis.from_url(REDIS_URL)
    app.config["PUBLIC_CACHE_GENERATION_KEY"] = f"qualitymark-test:public-generation:{uuid.uuid4().hex}"
    module.init_app(app, connection)
    yield module.cache(app)
    connection.delete(app.config["PUBLIC_CACHE_GENERATION_KEY"])
    connection.close()


def _statements(app):
    from sqlalchemy import event

    from qualitymark import db

    seen = []
    engine = db.database(app).engine
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    return seen, lambda: event.remove(engine, "before_cursor_execute", listener)


def test_a_cached_verification_page_changes_at_once_on_suspend_reinstate_withdraw(
        app, client, officer, certificate, public_cache):
    office = signed_in(app, officer)
    code = certificate.public_code
    first = client.get(f"/c/{code}")
    assert "Valid" in first.get_data(as_text=True) and first.headers["ETag"]
    seen, stop = _statements(app)
    again = client.get(f"/c/{code}")
    stop()
    assert again.data == first.data and seen == [], "a second anonymous view is served from the cache"
    assert client.get(f"/c/{code}", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304

    before = first.headers["ETag"]
    for action, form, shown in (("suspend", {}, "Suspended"), ("reinstate", {}, "Valid"),
                                 ("withdraw", {"confirm": "yes"}, "Withdrawn")):
        assert client.get(f"/c/{code}").status_code == 200  # the page before the change is cached
        assert post_form(office.client, f"/office/certificates/{code}",
                         {"reason": "Checked.", "action": action, **form}).status_code == 302
        page = client.get(f"/c/{code}")
        assert f'<p class="state-word">{shown}</p>' in page.get_data(as_text=True), \
            f"after {action} the page says {shown} at once"
        stale = client.get(f"/c/{code}", headers={"If-None-Match": before})
        assert stale.status_code == 200, "the ETag of the page before the change no longer matches"
        before = page.headers["ETag"]


def test_the_cached_page_is_kept_per_language_and_never_for_a_signed_in_officer(
        app, client, officer, certificate, public_cache):
    code = certificate.public_code
    english = client.get(f"/c/{code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    welsh = client.get(f"/c/{code}", headers={"Accept-Language": "cy"}).get_data(as_text=True)
    assert '<html lang="en">' in english and '<html lang="cy">' in welsh
    assert '<html lang="en">' in client.get(f"/c/{code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    office = signed_in(app, officer)
    page = office.client.get(f"/c/{code}").get_data(as_text=True)
    assert "Sign out" in page or "Allan" in page, "an officer sees their own page, not the public copy"


def _another_process(app):
    """What another worker holds: a cache of the same generation, with its own Redis connection."""
    from redis import Redis

    from helpers import REDIS_URL
    from qualitymark.public_cache import PublicCache

    return PublicCache(Redis.from_url(REDIS_URL), app.config["PUBLIC_CACHE_GENERATION_KEY"])


def _count_reads(cache) -> list:
    reads, read = [], cache.redis.get
    cache.redis.get = lambda *args, **kwargs: reads.append(args) or read(*args, **kwargs)
    return reads


def test_a_change_recorded_by_one_process_reaches_every_other_before_its_next_request(app, public_cache):
    worker, officer_worker = _another_process(app), _another_process(app)
    before = worker.generation()
    worker.put("page", before, "the page before the change")
    reads = _count_reads(worker)
    for _ in range(20):
        assert worker.get("page", worker.generation()) == "the page before the change"
    assert reads == [], "without news of a change a request does not wait for Redis"

    officer_worker.bump()  # what the commit of a suspension does, in another process
    after = worker.generation()
    assert after != before and worker.get("page", after) is None, "the very next request renders afresh"
    assert officer_worker.generation() == after == public_cache.generation()


def test_a_change_made_while_a_process_was_not_listening_still_reaches_it(app, public_cache):
    from redis import Redis

    from helpers import REDIS_URL

    worker, officer_worker = _another_process(app), _another_process(app)
    before = worker.generation()
    # Redis drops the worker's subscription (a restart, a killed client); the change is published
    # while nobody is listening on its behalf.
    subscription = worker._subscription[1].connection
    with Redis.from_url(REDIS_URL) as admin:
        admin.client_kill("%s:%s" % subscription._sock.getsockname())
    officer_worker.bump()
    assert worker.generation() != before
    officer_worker.bump()
    assert worker.generation() == officer_worker.generation(), "and it listens again"


def test_an_expired_certificate_page_is_cached_and_a_withdrawn_renewal_shows_at_once(
        app, client, owner, certificate, public_cache):
    from datetime import datetime, time, timezone

    from qualitymark.agreements import CURRENT_VERSION

    def on(day):
        moment = datetime.combine(day, time(9), tzinfo=timezone.utc)
        set_clock(lambda: moment)

    code, until = certificate.public_code, certificate.valid_until
    co_op = signed_in(app, owner)
    on(until - timedelta(days=20))
    started = post_form(co_op.client, f"/coops/gofal/certificates/{code}/renew",
                        {"accept": "y", "agreement_version": CURRENT_VERSION})
    renewal = int(re.search(r"/applications/(\d+)", started.headers["Location"]).group(1))
    post_form(co_op.client, f"/applications/{renewal}/evidence/confirm", {"evidence_id": "all"})
    assert post_form(co_op.client, f"/applications/{renewal}/submit", {"confirm": "y"}).status_code == 302

    on(until + timedelta(days=1))
    first = client.get(f"/c/{code}")
    assert '<p class="state-word">Renewal in progress</p>' in first.get_data(as_text=True)
    seen, stop = _statements(app)
    assert client.get(f"/c/{code}").data == first.data
    stop()
    assert seen == [], "an expired certificate's page is served from the cache too"

    assert post_form(co_op.client, f"/applications/{renewal}/withdraw", {"confirm": "y"}).status_code == 302
    page = client.get(f"/c/{code}").get_data(as_text=True)
    assert '<p class="state-word">Expired</p>' in page, "the withdrawn renewal shows at once"


def test_the_credential_is_read_once_per_process(app, client, certificate):
    code = certificate.public_code
    first = client.get(f"/c/{code}.json")
    seen, stop = _statements(app)
    again = client.get(f"/c/{code.lower()}.json")
    stop()
    assert again.data == first.data and seen == []
    assert client.get(f"/c/{code}.json", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_the_register_uses_the_same_queries_for_3_or_30_co_ops_and_stops_counting_at_its_limit(
        app, client, certificate, create_user, start_application, monkeypatch):
    from qualitymark import db
    from qualitymark.services import certificates as service

    def add_certified(numbers):
        # Copies of the issued certificate for new co-ops (their own application, code and indices).
        for number in numbers:
            owner = create_user(email=f"reg{number}@c.coop", member_of=f"register-coop-{number:02d}",
                                membership_role="owner")
            application = start_application(owner, slug=f"register-coop-{number:02d}")
            with app.app_context():
                source = db.session().get(Certificate, certificate.id)
                copy = Certificate(**{name: getattr(source, name) for name in (
                    "decision_id", "rubric_version_id", "award_id", "award_name", "award_name_cy", "services",
                    "valid_from", "valid_until", "revocation_list_id", "suspension_list_id", "signing_key_id",
                    "credential_json")})
                copy.public_code = f"CQM-TEST{number:06d}"
                copy.application_id, copy.organisation_id = application.id, application.organisation_id
                copy.revocation_index = copy.suspension_index = 50_000 + number
                db.session().add(copy)
                db.commit()

    def queries_for(path):
        seen, stop = _statements(app)
        try:
            assert client.get(path).status_code == 200
        finally:
            stop()
        return len(seen)

    paths = ("/register", "/register?q=register-coop", "/register?q=coop&page=2", "/api/v1/register?q=coop")
    add_certified(range(3))
    few = [queries_for(path) for path in paths]
    add_certified(range(3, 30))
    assert few == [queries_for(path) for path in paths]

    import functools

    monkeypatch.setattr(service, "register_page", functools.partial(service.register_page, count_limit=10))
    page = client.get("/register?q=register-coop").get_data(as_text=True)
    assert "More than 10 co-ops found" in page and "Next page" in page and "Page 1 of" not in page
    assert "Register-Coop-00" in page and "Register-Coop-20" not in page
    last = client.get("/register?q=register-coop&page=2").get_data(as_text=True)
    assert "Register-Coop-29" in last and "Next page" not in last
    assert client.get("/api/v1/register?q=register-coop").get_json()["total"] == 30
