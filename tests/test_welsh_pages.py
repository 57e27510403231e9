"""The service in Welsh: the public pages and the applicant's pages come back in Welsh when the
browser asks for it or the person chose it, with Welsh dates; the language switch remembers the
choice (a cookie, and the signed-in person's saved language) and only ever sends people back to a
page of this site. English stays the default."""
from __future__ import annotations

import html

import pytest
from sqlmodel import select

from applicant_fixtures import signed_in
from catalogue import ensure_compiled
from helpers import post_form
from qualitymark.models.accounts import User

WELSH_MONTHS = ("Ionawr", "Chwefror", "Mawrth", "Ebrill", "Mai", "Mehefin", "Gorffennaf", "Awst", "Medi",
                "Hydref", "Tachwedd", "Rhagfyr")
CY = {"Accept-Language": "cy"}
RUBRIC = "/rubrics/care-quality-mark/1.0.0"


@pytest.fixture(autouse=True, scope="module")
def _welsh_compiled():
    ensure_compiled()


@pytest.fixture
def certificate(app, owner, officer, second_officer, assessors, submitted, db_session):
    """Gofal's application, certified through the services; the certificate the job issued."""
    from qualitymark import db
    from qualitymark.models.applications import Application
    from qualitymark.models.certificates import Certificate
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
        reviews.record_decision(application, outcome="certify", rationale="Meets every rule.",
                                actor=session.get(User, second_officer.id))
        db.commit()
    return db_session.exec(select(Certificate)).one()


def welsh_date(app, value) -> str:
    from flask_babel import force_locale

    from qualitymark.i18n import long_date

    with app.test_request_context(), force_locale("cy"):
        return long_date(value)


# --- English by default ------------------------------------------------------------------------

def test_english_is_the_default_and_the_switch_offers_welsh_in_welsh(client):
    page = client.get("/signin").get_data(as_text=True)
    assert '<html lang="en">' in page and "Sign in" in page and "Mewngofnodi" not in page
    assert '<a href="/language?lang=cy&amp;next=/signin" lang="cy" hreflang="cy">Cymraeg</a>' in page


def test_dates_in_welsh_use_welsh_month_names(app):
    import datetime

    assert welsh_date(app, datetime.date(2026, 11, 22)) == "22 Tachwedd 2026"
    assert welsh_date(app, datetime.datetime(2027, 1, 1, 23, 59)) == "1 Ionawr 2027"  # the UTC day, not shifted


# --- public pages ------------------------------------------------------------------------------

def test_the_verification_page_in_welsh(app, client, certificate):
    page = client.get(f"/c/{certificate.public_code}", headers=CY).get_data(as_text=True)
    assert '<html lang="cy">' in page
    for text in ("Dilys", "Yn ddilys tan", "Ystyr “dilys”", "Gwirio drosoch eich hun", "Neidio i'r prif gynnwys",
                 welsh_date(app, certificate.valid_until)):
        assert text in page, text
    assert any(month in page for month in WELSH_MONTHS)
    assert '<a href="/language?lang=en&amp;next=/c/' in page and 'lang="en" hreflang="en">English</a>' in page
    # The switch and the Accept-Language header change the page: caches must keep them apart.
    response = client.get(f"/c/{certificate.public_code}", headers=CY)
    assert {"Accept-Language", "Cookie"} <= set(response.vary)


def test_the_register_in_welsh_by_the_cookie(client, certificate):
    client.set_cookie("qm_lang", "cy")
    page = client.get("/register").get_data(as_text=True)
    assert '<html lang="cy">' in page
    assert "Cofrestr y cwmnïau cydweithredol ardystiedig" in page and "Daethpwyd o hyd i 1 cwmni cydweithredol." in page


def test_the_criteria_page_in_welsh_marks_untranslated_rubric_text(client, rubric_version):
    page = client.get(RUBRIC + "?lang=cy").get_data(as_text=True)
    assert '<html lang="cy">' in page and "Marc Ansawdd Gofal" in page
    assert "Y raddfa" in page and "Sut mae'r marc yn cael ei ddyfarnu" in page and "Mewn grym o" in page
    # The rule descriptions come from the scoring engine, in English: marked as English.
    assert '<ul lang="en">' in page


def test_sign_in_in_welsh_with_errors_in_welsh(client):
    page = client.get("/signin", headers=CY).get_data(as_text=True)
    assert '<html lang="cy">' in page and "<h1>Mewngofnodi</h1>" in page and "Cyfeiriad e-bost" in page
    response = post_form(client, "/signin", {"email": "", "password": ""}, headers=CY)
    page = response.get_data(as_text=True)
    assert "Mae problem wedi codi" in page and "Rhowch eich cyfeiriad e-bost." in page and "Gwall:" in page


def test_an_unknown_page_in_welsh(client):
    response = client.get("/no-such-page", headers=CY)
    assert response.status_code == 404
    assert "Heb ddod o hyd i'r dudalen" in response.get_data(as_text=True)


# --- the applicant's pages ------------------------------------------------------------------------

def test_the_applicants_pages_in_welsh_for_someone_who_chose_it(app, owner, draft, db_session):
    auth = signed_in(app, owner)
    client = auth.client
    assert client.get(f"/language?lang=cy&next=/applications/{draft.id}").status_code == 302
    page = client.get("/dashboard").get_data(as_text=True)
    assert '<html lang="cy">' in page and "Eich cwmnïau cydweithredol" in page and "Drafft" in page
    page = client.get(f"/applications/{draft.id}").get_data(as_text=True)
    assert f"Cais {draft.id}" in page and "Hunanasesiad" in page and "Gwirio a chyflwyno" in page
    page = client.get(f"/applications/{draft.id}/sections/A").get_data(as_text=True)
    assert "A1: eich lefel hunanasesu" in page and "Heb benderfynu eto" in page and "Cadw" in page
    page = client.get(f"/applications/{draft.id}/evidence").get_data(as_text=True)
    assert "Uwchlwytho ffeil" in page and "Math o dystiolaeth" in page
    page = client.get(f"/applications/{draft.id}/submit").get_data(as_text=True)
    assert "cyn i chi allu cyflwyno" in page
    page = client.get("/coops/gofal").get_data(as_text=True)
    assert "Aelodau a phleidleisiau" in page
    page = client.get("/account/").get_data(as_text=True)
    assert "Iaith y tudalennau a welwch" in page and 'id="language-cy" value="cy" checked' in page


# --- the switch --------------------------------------------------------------------------------

def test_the_switch_sets_a_year_long_cookie_and_goes_back_to_the_page(client):
    response = client.get("/language?lang=cy&next=/register?q=gofal")
    assert response.status_code == 302 and response.headers["Location"] == "/register?q=gofal"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("qm_lang=cy;")
    assert "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie and "HttpOnly" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # served over http in the tests
    assert '<html lang="cy">' in client.get("/register").get_data(as_text=True)
    client.get("/language?lang=en&next=/register")
    assert '<html lang="en">' in client.get("/register").get_data(as_text=True)


def test_the_cookie_is_secure_when_the_service_is_served_over_https(make_app):
    app = make_app(QUALITYMARK_BASE_URL="https://quality.example")
    response = app.test_client().get("/language?lang=cy&next=/")
    assert "Secure" in response.headers["Set-Cookie"]


def test_the_switch_saves_the_language_of_someone_signed_in(app, owner, db_session):
    auth = signed_in(app, owner)
    response = auth.client.get("/language?lang=cy&next=/dashboard")
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    db_session.expire_all()
    assert db_session.get(User, owner.id).locale == "cy"
    # The saved language wins on another device with no cookie, and over the browser's wish.
    other = signed_in(app, owner).client
    assert '<html lang="cy">' in other.get("/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/path", "/\\evil.example", "javascript:alert(1)", "evil.example",
])
def test_the_switch_never_sends_anyone_to_another_site(client, target):
    response = client.get("/language", query_string={"lang": "cy", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_an_unknown_language_changes_nothing(client):
    response = client.get("/language?lang=fr&next=/register")
    assert response.status_code == 302 and "Set-Cookie" not in response.headers


def test_the_account_page_saves_the_language(app, owner, db_session):
    client = signed_in(app, owner).client
    response = post_form(client, "/account/language", {"language": "cy"}, token_from="/account/")
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    assert "qm_lang=cy" in response.headers["Set-Cookie"]
    db_session.expire_all()
    assert db_session.get(User, owner.id).locale == "cy"
    page = html.unescape(client.get("/account/").get_data(as_text=True))
    assert '<html lang="cy">' in page and "Mae eich iaith wedi'i chadw." in page
    response = post_form(client, "/account/language", {"language": "fr"}, token_from="/account/")
    db_session.expire_all()
    assert db_session.get(User, owner.id).locale == "cy"


def test_the_account_page_names_staff_roles_in_welsh(app, create_user):
    person = create_user(email="asesydd@peer.coop", roles=("assessor",))
    client = signed_in(app, person).client
    client.get("/language?lang=cy&next=/account/")
    page = client.get("/account/").get_data(as_text=True)
    assert "asesydd cymheiriaid" in page


def test_someone_who_signs_up_in_welsh_keeps_welsh(client, db_session):
    client.set_cookie("qm_lang", "cy")
    response = post_form(client, "/signup", {"name": "Siân Jones", "email": "sian@example.coop",
                                             "password": "mynydd glas afon hir"})
    assert response.status_code == 302
    user = db_session.exec(select(User).where(User.email == "sian@example.coop")).one()
    assert user.locale == "cy"


def test_an_assessor_reviews_in_welsh(app, officer, assessors, submitted, db_session):
    """Peer assessors are care workers from other co-ops: their queue, invitation and scoring form
    come in Welsh too, with the rubric's Welsh level names and errors in Welsh."""
    from qualitymark import db
    from qualitymark.models.applications import Application
    from qualitymark.models.accounts import User as Account
    from qualitymark.services import reviews

    with app.app_context():
        assignment = reviews.assign(db.session().get(Application, submitted.id),
                                    db.session().get(Account, assessors[0].id),
                                    actor=db.session().get(Account, officer.id))
        assignment_id = assignment.id
        db.commit()
    auth = signed_in(app, assessors[0])
    # Their saved language is English; they use the switch, which is remembered for their next pages.
    assert auth.client.get("/language?lang=cy&next=/reviews").status_code == 302
    queue = auth.client.get("/reviews").get_data(as_text=True)
    assert '<html lang="cy"' in queue and "Eich adolygiadau" in queue
    assert '<main id="main" class="wrap" tabindex="-1">' in queue  # not marked as English
    invitation = auth.client.get(f"/reviews/{assignment_id}").get_data(as_text=True)
    assert "Derbyn yr adolygiad" in invitation and any(month in invitation for month in WELSH_MONTHS)
    refused = post_form(auth.client, f"/reviews/{assignment_id}", {"accept": "1"}).get_data(as_text=True)
    assert "Ticiwch y blwch i ddatgan nad oes gennych wrthdaro buddiannau" in html.unescape(refused)
    accepted = post_form(auth.client, f"/reviews/{assignment_id}", {"accept": "1", "no_conflict": "y"})
    assert accepted.status_code == 302
    scoring = html.unescape(auth.client.get(f"/reviews/{assignment_id}/score").get_data(as_text=True))
    assert "Cadw'r drafft" in scoring and "Dim tystiolaeth" in scoring and "Not evidenced" not in scoring
