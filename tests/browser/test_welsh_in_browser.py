"""The service in Welsh, in a real browser: the language switch in the header is a plain link (no
JavaScript needed), the Welsh pages pass axe, and the Welsh verification page fits a phone."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from applicant_fixtures import complete_application, signed_in
from catalogue import ensure_compiled
from helpers import PASSWORD, post_form

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what to install
    expect = None

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True, scope="module")
def _welsh_compiled():
    ensure_compiled()


def certified(live_server) -> str:
    """A co-op certified through the services (the journey test does it by hand); its public code."""
    from sqlmodel import select

    from qualitymark import db
    from qualitymark.models.accounts import Organisation, User
    from qualitymark.models.applications import Application
    from qualitymark.models.certificates import Certificate
    from qualitymark.services import applications, reviews
    from qualitymark.services.accounts import create_staff_user

    app = live_server.app
    live_server.create_person("perchennog@gofal.coop", "Perchennog")
    slug, application_id = live_server.create_coop_with_application("Gofal Gwynedd", "perchennog@gofal.coop")
    with app.app_context():
        for email, roles in (("swyddog@office.org", ["officer"]), ("swyddog2@office.org", ["officer"]),
                             ("admin@office.org", ["admin"])):
            create_staff_user(email, email.split("@")[0].title(), PASSWORD, roles, confirmed=True)
        db.commit()
    client = signed_in(app, SimpleNamespace(email="perchennog@gofal.coop")).client
    with app.app_context():
        rubric = applications.rubric_for(db.session().get(Application, application_id))[1]
    complete_application(app, client, application_id, rubric)
    assert post_form(client, f"/applications/{application_id}/submit", {"confirm": "y"}).status_code == 302
    with app.app_context():
        session = db.session()
        user = lambda email: session.exec(select(User).where(User.email == email)).one()  # noqa: E731
        assessors = []
        for number in (1, 2):
            person = create_staff_user(f"asesydd{number}@peer.coop", f"Asesydd {number}", PASSWORD, [], confirmed=True)
            home = Organisation(name=f"Peer {number}", slug=f"peer-{number}")
            session.add(home)
            session.flush()
            reviews.appoint_assessor(person, reviews.AssessorDetails(
                home_organisation_id=home.id, regions=["Gwynedd"], languages=["en", "cy"], expertise_sections=["A"],
                capacity_per_quarter=4, active=True), actor=user("admin@office.org"))
            assessors.append(person)
        application = session.get(Application, application_id)
        office = user("swyddog@office.org")
        for person in assessors:
            assignment = reviews.assign(application, person, actor=office)
            reviews.respond(assignment, actor=person, accept=True, no_conflict=True)
            reviews.save_scores(assignment, {c.id: reviews.ScoreInput(3, "Seen.") for c in rubric.criteria()},
                                actor=person)
            reviews.submit_review(assignment, actor=person)
        reviews.moderate(application, {c.id: (3, "") for c in rubric.criteria()}, actor=office)
        reviews.complete_moderation(application, actor=office)
        reviews.record_decision(application, outcome="certify", rationale="Meets every rule.",
                                actor=user("swyddog2@office.org"))
        db.commit()
    with app.app_context():
        return db.session().exec(select(Certificate.public_code)).one()


def test_the_switch_turns_the_verification_page_welsh_and_it_passes_axe(live_server, page, axe_check):
    code = certified(live_server)
    page.goto(f"/c/{code}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    switch = page.get_by_role("link", name="Cymraeg")
    expect(switch).to_have_attribute("lang", "cy")
    expect(switch).to_have_attribute("hreflang", "cy")
    switch.click()
    # Back on the same page, now in Welsh, and the choice is remembered.
    assert page.url.endswith(f"/c/{code}")
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(page.locator(".state-word")).to_have_text("Dilys")
    expect(page.get_by_role("heading", name="Gwirio drosoch eich hun")).to_be_visible()
    axe_check(page)
    page.goto("/register")
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cofrestr y cwmnïau cydweithredol ardystiedig")
    axe_check(page)
    # And back to English with the link named in English.
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_the_switch_works_without_javascript(live_server, browser):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/signin")
        page.get_by_role("link", name="Cymraeg").click()
        expect(page.locator("html")).to_have_attribute("lang", "cy")
        expect(page.get_by_role("heading", level=1)).to_have_text("Mewngofnodi")
        assert page.url.endswith("/signin")
    finally:
        context.close()


def test_welsh_sign_in_and_criteria_pages_pass_axe(live_server, page, axe_check):
    page.goto("/language?lang=cy&next=/signin")
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    axe_check(page)
    page.get_by_role("button", name="Mewngofnodi").click()  # empty: the errors, in Welsh
    expect(page.locator(".error-summary")).to_contain_text("Rhowch eich cyfeiriad e-bost.")
    axe_check(page)
    page.goto("/rubrics/care-quality-mark/1.0.0")
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    axe_check(page)


def test_the_welsh_verification_page_fits_a_phone(live_server, mobile_page, screens_dir, axe_check):
    code = certified(live_server)
    mobile_page.goto(f"/language?lang=cy&next=/c/{code}")
    expect(mobile_page.locator("html")).to_have_attribute("lang", "cy")
    mobile_page.wait_for_load_state("load")
    mobile_page.screenshot(path=str(screens_dir / "verification-cy-360.png"), full_page=True)
    widths = mobile_page.evaluate("() => ({scroll: document.scrollingElement.scrollWidth, "
                                  "inner: document.documentElement.clientWidth})")
    assert widths["scroll"] <= widths["inner"], f"The Welsh verification page scrolls sideways at 360 px: {widths}"
    axe_check(mobile_page)
