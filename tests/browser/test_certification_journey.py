"""From a submitted application to a public certificate, done in a real browser the way people do it.

A co-op owner fills in section A and uploads evidence (the rest of the self-assessment is arranged
through the services), then submits. An officer signs in with a password and a recovery code and
assigns two peer assessors by hand; each assessor accepts the invitation (declaring no conflict),
scores every criterion — partly with the keyboard alone — and submits, the second diverging by two
levels on one criterion. The office's "Divergent scores to moderate" filter finds the application;
the officer moderates it (a divergent criterion needs a note), but may then not decide, so a second
officer certifies it. The owner sees the decision and the certificate, a member of the public checks
it at /c/<code>, the first officer suspends it and the public page says so. axe-core and the ARIA
reference check run on every page on the way.

A second test certifies a co-op through the services and checks that a 360 px phone shows the
verification page (valid and suspended) and the register without sideways scrolling.
"""
from __future__ import annotations

import io
import re

import pytest

from helpers import PASSWORD

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what to install
    expect = None

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

COOP = "Gofal Cymuned Co-operative"
OWNER = ("olwen@gofal-cymuned.coop", "Olwen Pritchard")
FIRST_OFFICER = ("ffion@office.example.org", "Ffion Officer")
SECOND_OFFICER = ("nia@office.example.org", "Nia Officer")
ADMIN = ("ada@office.example.org", "Ada Admin")
# Peer assessors, each from their own home co-op; Carys's home co-op is the applicant.
ALED = ("aled@peer-one.coop", "Aled Assessor", "Peer One Co-operative")
BETHAN = ("bethan@peer-two.coop", "Bethan Assessor", "Peer Two Co-operative")
CARYS = ("carys@gofal-cymuned.coop", "Carys Conflicted", None)

# Section A, as the owner answers it in the browser.
SECTION_A = {
    "A1": (3, "Every member has one vote at our general meeting."),
    "A2": (3, "People using our services chair the quality committee."),
    "A3": (3, "Our board has six places for people using services; all are filled."),
    "A4": (3, "We ask members what to change each spring, and report back."),
}
LEVEL = 3                 # what both assessors give every criterion ...
DIVERGENT = ("C2", 1)     # ... except that the second gives this one 1: two levels apart
KEYBOARD = {"Aled Assessor": "A1", "Bethan Assessor": "C2"}  # scored with the keyboard alone
MODERATION_NOTE = "Minutes show the practice exists but is not yet consistent: level 2, the median."
DECISION_RATIONALE = ("Every mandatory criterion is met and every section averages at least 2. "
                      "The assessors' evidence is consistent with the moderated levels.")
SUSPENSION_REASON = "A safeguarding concern was reported to the office and is being looked into."


# --- arranging what the journey is not about ----------------------------------------------------

def criterion_ids(live_server) -> list[str]:
    from qualitymark.services.rubrics import list_versions, rubric_of

    with live_server.app.app_context():
        version = next(v for v in list_versions() if not v.is_retired)
        return [criterion.id for criterion in rubric_of(version).criteria()]


def create_officer_with_two_factor(live_server, email: str, name: str, roles=("officer",)) -> list[str]:
    """A staff member whose authenticator app is set up; returns their recovery codes."""
    import pyotp

    from qualitymark import db
    from qualitymark.services import two_factor
    from qualitymark.services.accounts import create_staff_user

    with live_server.app.app_context():
        user = create_staff_user(email, name, PASSWORD, list(roles), confirmed=True)
        two_factor.begin_setup(user)
        codes = two_factor.confirm_setup(user, pyotp.TOTP(user.totp_secret).now())
        db.commit()
        return codes


def appoint_assessors(live_server, applicant_slug: str) -> None:
    from qualitymark import db
    from qualitymark.services import organisations, reviews
    from qualitymark.services.accounts import create_staff_user, find_user

    homes = {}
    for email, name, home in (ALED, BETHAN, CARYS):
        live_server.create_person(email, name)
        homes[email] = live_server.create_coop(home, email) if home else applicant_slug
    with live_server.app.app_context():
        admin = create_staff_user(ADMIN[0], ADMIN[1], PASSWORD, ["admin"], confirmed=True)
        for email, home_slug in homes.items():
            reviews.appoint_assessor(find_user(email), reviews.AssessorDetails(
                home_organisation_id=organisations.get_by_slug(home_slug).id, regions=["Gwynedd"],
                languages=["en"], expertise_sections=["A", "C"], capacity_per_quarter=4, active=True), actor=admin)
        db.commit()


def complete_other_sections(live_server, application_id: int, done=("A",)) -> None:
    """Every section not in `done` answered at level 3, and evidence for every mandatory criterion, except
    A1 when section A is done (the journey uploads that one in the browser)."""
    from qualitymark import db
    from qualitymark.services import applications
    from qualitymark.services.accounts import find_user
    from qualitymark.services.evidence import EvidenceDetails, add_evidence

    with live_server.app.app_context():
        application = applications.get(application_id)
        owner = find_user(OWNER[0])
        _version, rubric = applications.rubric_for(application)
        current = applications.responses(application)
        for section in rubric.sections:
            if section.id in done:
                continue
            answers = {c.id: applications.Answer(3, f"What we do for {c.id}, with our evidence.",
                                                 current[c.id].lock_version) for c in section.criteria}
            result = applications.save_section(application, section, answers, actor=owner)
            assert not result.conflicts, result.conflicts
        for criterion in rubric.criteria():
            if criterion.mandatory and (criterion.id != "A1" or "A" not in done):
                add_evidence(application, io.BytesIO(PDF + f"% {criterion.id}\n".encode()), f"{criterion.id}.pdf",
                             EvidenceDetails(description=f"Our policy for {criterion.id}.", evidence_type="policy",
                                             criteria=[criterion.id], stakeholder_kind=None), actor=owner)
        db.commit()


def moderation_on_record(live_server, application_id: int) -> tuple[dict[str, int], int]:
    """The moderated levels saved so far, and how many 'application.moderated' audit events there are."""
    from sqlmodel import select

    from qualitymark import db
    from qualitymark.models.audit import AuditEvent
    from qualitymark.services import applications, reviews

    with live_server.app.app_context():
        levels = {cid: m.level for cid, m in reviews.moderated_levels(applications.get(application_id)).items()}
        events = db.session().exec(select(AuditEvent.id).where(AuditEvent.action == "application.moderated")).all()
        return levels, len(events)


# --- what people do -------------------------------------------------------------------------------

def no_sideways_scrolling(page, screens_dir, name: str) -> None:
    """The page fits the phone's width. Compared with the layout viewport (documentElement.clientWidth,
    360 px), not window.innerWidth: in Chromium's mobile emulation innerWidth grows with content that
    overflows, so `scrollWidth <= innerWidth` always holds."""
    page.wait_for_load_state("load")
    widths = page.evaluate("""() => ({scroll: document.scrollingElement.scrollWidth,
                                      viewport: document.documentElement.clientWidth, inner: window.innerWidth})""")
    page.screenshot(path=str(screens_dir / f"{name}.png"), full_page=True)
    wide = page.evaluate("""(width) => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > width + 0.5)
        .map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className ? '.' + String(e.className).split(' ').join('.') : ''} (right edge ${Math.round(e.getBoundingClientRect().right)} px)`)
        .slice(0, 10)""", widths["viewport"])
    assert widths["viewport"] == page.viewport_size["width"], (
        f"{page.url}: the layout viewport is {widths['viewport']} px wide, expected {page.viewport_size['width']}")
    assert widths["scroll"] <= widths["viewport"], (
        f"{page.url} scrolls sideways on a {widths['viewport']} px phone: the page is {widths['scroll']} px wide "
        f"(screenshot {screens_dir / (name + '.png')}). Wider than the screen: {wide}")


def certify_through_services(live_server) -> str:
    """A co-op certified without the browser (assessed, moderated, decided); returns the certificate's code."""
    from qualitymark import db
    from qualitymark.services import applications, reviews
    from qualitymark.services.accounts import create_staff_user, find_user
    from qualitymark.services.certificates import certificate_for_application

    live_server.create_person(*OWNER)
    slug, application_id = live_server.create_coop_with_application(COOP, OWNER[0])
    appoint_assessors(live_server, slug)
    complete_other_sections(live_server, application_id, done=())
    with live_server.app.app_context():
        application = applications.get(application_id)
        applications.submit_application(application, actor=find_user(OWNER[0]))
        moderator = create_staff_user(*FIRST_OFFICER, PASSWORD, ["officer"], confirmed=True)
        decider = create_staff_user(*SECOND_OFFICER, PASSWORD, ["officer"], confirmed=True)
        criteria = [c.id for c in applications.rubric_for(application)[1].criteria()]
        for email, _name, _home in (ALED, BETHAN):
            assessor = find_user(email)
            assignment = reviews.assign(application, assessor, actor=moderator)
            reviews.respond(assignment, actor=assessor, accept=True, no_conflict=True)
            reviews.save_scores(assignment, {cid: reviews.ScoreInput(LEVEL, f"Level {LEVEL} is evidenced.")
                                             for cid in criteria}, actor=assessor)
            reviews.submit_review(assignment, actor=assessor)
        reviews.moderate(application, {cid: (LEVEL, "") for cid in criteria}, actor=moderator)
        reviews.complete_moderation(application, actor=moderator)
        reviews.record_decision(application, outcome="certify", rationale=DECISION_RATIONALE, actor=decider)
        db.commit()  # the certificate is issued by a job that runs once this commits
    with live_server.app.app_context():
        certificate = certificate_for_application(application_id)
        assert certificate is not None, "Certifying the application issued no certificate"
        return certificate.public_code


def suspend_through_services(live_server, code: str) -> None:
    from qualitymark import db
    from qualitymark.services import certificates
    from qualitymark.services.accounts import find_user

    with live_server.app.app_context():
        certificates.suspend(certificates.get_by_code(code), SUSPENSION_REASON, actor=find_user(FIRST_OFFICER[0]))
        db.commit()


def test_an_application_is_assessed_moderated_certified_verified_and_suspended(
        new_context, live_server, ui, axe_check, references_check, keys):
    def look(page) -> None:
        axe_check(page)
        references_check(page)

    def flash(page):
        return page.locator(".flashes")

    def h1(page):
        return page.get_by_role("heading", level=1)

    def sign_in_with_code(page, email: str, name: str, code: str) -> None:
        page.goto("/signin")
        look(page)
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(h1(page)).to_have_text("Your sign-in code")
        look(page)
        page.get_by_label("Code from your authenticator app, or a recovery code").fill(code)
        page.get_by_role("button", name="Continue").click()
        expect(flash(page).locator(".flash-success")).to_contain_text(f"Welcome, {name}.")
        look(page)

    def go_to_office(page) -> None:
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Office").click()
        expect(h1(page)).to_have_text("Certification office")
        look(page)

    def show_only(page, filter_label: str) -> None:
        [value] = page.get_by_label("Show").select_option(label=filter_label)
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(re.compile(rf"[?&]filter={value}(&|$)"))
        expect(page.get_by_label("Show")).to_have_value(value)
        look(page)

    # --- arranged: the co-op, its open application, the staff and the assessor pool --------------
    live_server.create_person(*OWNER)
    slug, application_id = live_server.create_coop_with_application(COOP, OWNER[0])
    first_codes = create_officer_with_two_factor(live_server, *FIRST_OFFICER)
    second_codes = create_officer_with_two_factor(live_server, *SECOND_OFFICER)
    appoint_assessors(live_server, slug)
    criteria = criterion_ids(live_server)
    application_page = f"/applications/{application_id}"

    # --- the owner answers section A and uploads evidence for A1 in the browser ------------------
    owner = new_context().new_page()
    ui.sign_in(owner, OWNER[0])
    owner.goto(application_page)
    expect(h1(owner)).to_have_text(f"Application {application_id}: {COOP}")
    look(owner)
    owner.get_by_role("link", name=re.compile(r"^A\. ")).click()
    expect(h1(owner)).to_have_text(re.compile(r"^A\. "))
    look(owner)
    for criterion, (level, narrative) in SECTION_A.items():
        owner.locator(f'input[name="level_{criterion}"][value="{level}"]').check()
        owner.locator(f'textarea[name="narrative_{criterion}"]').fill(narrative)
    owner.get_by_role("button", name="Save", exact=True).click()
    expect(flash(owner).locator(".flash-success")).to_have_text("Section A is saved.")
    expect(owner.locator("#progress-text")).to_have_text("4 of 4 criteria in this section completed")
    look(owner)
    owner.get_by_role("link", name="Add evidence for A1").click()
    expect(h1(owner)).to_have_text("Evidence")
    look(owner)
    owner.get_by_label("Choose a file").set_input_files(
        files=[{"name": "general-meeting-minutes.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    owner.get_by_label("What is this file?").fill("Minutes of our last general meeting, with the votes cast.")
    owner.get_by_role("button", name="Upload").click()
    expect(flash(owner).locator(".flash-success")).to_contain_text("“general-meeting-minutes.pdf” is uploaded.")
    look(owner)

    complete_other_sections(live_server, application_id)

    owner.get_by_role("link", name=f"Application {application_id}", exact=True).click()
    expect(h1(owner)).to_have_text(f"Application {application_id}: {COOP}")
    look(owner)
    owner.get_by_role("link", name="Check and submit").click()
    expect(h1(owner)).to_have_text("Check and submit")
    look(owner)
    owner.get_by_label("We confirm that what we send is true to the best of our knowledge").check()
    owner.get_by_role("button", name="Submit the application").click()
    expect(flash(owner).locator(".flash-success")).to_contain_text("Round 1 is submitted")
    expect(owner.locator(".summary")).to_contain_text("Submitted")
    look(owner)

    # --- the first officer signs in with a recovery code and assigns two assessors by hand ------
    officer = new_context().new_page()
    sign_in_with_code(officer, *FIRST_OFFICER, first_codes[0])
    go_to_office(officer)
    row = officer.get_by_role("row").filter(has=officer.get_by_role("link", name=str(application_id), exact=True))
    expect(row).to_contain_text(COOP)
    expect(row).to_contain_text("submitted")
    row.get_by_role("link", name=f"Assign assessors to application {application_id}").click()
    expect(h1(officer)).to_have_text(f"Assign assessors: {COOP}")
    look(officer)
    candidates = officer.get_by_role("table")
    # An assessor whose home co-op is the applicant is blocked, not offered.
    carys = candidates.get_by_role("row", name=re.compile(CARYS[1]))
    expect(carys).to_contain_text("Blocked: the applicant is the assessor's home co-op")
    expect(carys.get_by_role("button")).to_have_count(0)
    for _email, name, _home in (ALED, BETHAN):
        candidate = candidates.get_by_role("row", name=re.compile(name))
        expect(candidate).to_contain_text("None found")
        candidate.get_by_role("button", name=f"Assign {name}").click()
        expect(flash(officer).locator(".flash-success")).to_have_text(f"{name} is invited.")
        expect(officer.get_by_role("listitem").filter(has_text=f"{name}: invited")).to_have_count(1)
        look(officer)

    # --- each assessor accepts, scores every criterion and submits -------------------------------
    for email, name, _home in (ALED, BETHAN):
        assessor = new_context().new_page()
        ui.sign_in(assessor, email)
        look(assessor)
        assessor.get_by_role("navigation", name="Main").get_by_role("link", name="Your reviews").click()
        expect(h1(assessor)).to_have_text("Your reviews")
        look(assessor)
        invited = assessor.get_by_role("region", name=re.compile(r"^Invited"))
        expect(invited).to_contain_text("(1)")
        invited.get_by_role("link", name=COOP).click()
        expect(h1(assessor)).to_have_text(f"Review invitation: {COOP}")
        look(assessor)
        assessor.get_by_label(re.compile("^I declare that I have no conflict of interest with this co-op")).check()
        assessor.get_by_role("button", name="Accept the review").click()
        expect(flash(assessor).locator(".flash-success")).to_have_text("You have accepted the review.")
        expect(h1(assessor)).to_contain_text(f"Review of {COOP}")
        look(assessor)

        levels = {cid: LEVEL for cid in criteria}
        if name == BETHAN[1]:
            levels[DIVERGENT[0]] = DIVERGENT[1]
        # One criterion with the keyboard alone: Tab into its levels (landing on "Not scored yet"),
        # arrow down to the level, Tab to the rationale and type.
        by_keyboard = KEYBOARD[name]
        choices = assessor.locator(f'input[type=radio][name="level_{by_keyboard}"]').evaluate_all(
            "(radios) => radios.map(r => r.value)")
        keys.tab_to(assessor, f'input[type=radio][name="level_{by_keyboard}"]', limit=250)
        assert assessor.evaluate("() => document.activeElement.value") == "", (
            f"Tab into {by_keyboard}'s levels should land on the chosen one, 'Not scored yet'; it went to "
            f"{keys.focused(assessor)}")
        for _ in range(choices.index(str(levels[by_keyboard]))):
            assessor.keyboard.press("ArrowDown")
        expect(assessor.locator(f'input[name="level_{by_keyboard}"][value="{levels[by_keyboard]}"]')).to_be_checked()
        keys.tab_to(assessor, f'textarea[name="rationale_{by_keyboard}"]')
        assessor.keyboard.type(f"{name}: the evidence for {by_keyboard} supports level {levels[by_keyboard]}.")

        for cid in criteria:
            if cid == by_keyboard:
                continue
            criterion = assessor.locator(f"#criterion-{cid}")
            criterion.get_by_role("radio", name=re.compile(rf"^{levels[cid]} – ")).check()
            criterion.get_by_label(f"{cid}: rationale", exact=True).fill(
                f"{name}: the self-assessment and evidence for {cid} support level {levels[cid]}.")
        assessor.get_by_role("button", name="Submit the review").click()
        expect(flash(assessor).locator(".flash-success")).to_contain_text("Your review is submitted.")
        expect(assessor.locator(f'input[name="level_{by_keyboard}"][value="{levels[by_keyboard]}"]')).to_be_checked()
        expect(assessor.locator(f'textarea[name="rationale_{by_keyboard}"]')).to_have_value(
            f"{name}: the evidence for {by_keyboard} supports level {levels[by_keyboard]}.")
        look(assessor)

    # --- the office finds the divergent application and the first officer moderates it ---------
    go_to_office(officer)
    show_only(officer, "Divergent scores to moderate")
    expect(officer.get_by_label("Show")).to_have_value("divergent")
    expect(officer.get_by_text(re.compile(r"^1 application\."))).to_be_visible()
    row = officer.get_by_role("row").filter(has=officer.get_by_role("link", name=str(application_id), exact=True))
    expect(row).to_contain_text("moderation")
    expect(row).to_contain_text("2 assigned, 2 submitted")
    row.get_by_role("link", name=f"Moderate application {application_id}").click()
    expect(h1(officer)).to_have_text(f"Moderate application {application_id}")
    look(officer)

    divergent = officer.locator("tr", has=officer.get_by_role("rowheader", name=f"{DIVERGENT[0]} divergent"))
    expect(divergent).to_contain_text(f"{ALED[1]}: {LEVEL}")
    expect(divergent).to_contain_text(f"{BETHAN[1]}: {DIVERGENT[1]}")
    expect(officer.locator("tr.divergent")).to_have_count(1)
    expect(officer.get_by_label(f"Moderated level for {DIVERGENT[0]}")).to_have_value("2")  # the median
    expect(officer.get_by_label("Moderated level for A1")).to_have_value(str(LEVEL))

    # Without a note on the divergent criterion, the page refuses and says why.
    officer.get_by_role("button", name="Save and complete moderation").click()
    refusal = flash(officer).get_by_role("alert")
    expect(refusal).to_contain_text(f"{DIVERGENT[0]}: the assessors diverged here, so write a note")
    expect(h1(officer)).to_have_text(f"Moderate application {application_id}")
    look(officer)
    saved_by_the_refused_attempt, audited = moderation_on_record(live_server, application_id)

    officer.get_by_label(f"Note for {DIVERGENT[0]}").fill(MODERATION_NOTE)
    officer.get_by_role("button", name="Save and complete moderation").click()
    expect(flash(officer).locator(".flash-success")).to_contain_text(
        "Moderation is complete. The application is ready for a decision.")
    expect(officer.locator(".summary")).to_contain_text("Decision pending")
    look(officer)

    # Having moderated, the first officer may not decide: the decide page says so and offers no form.
    officer.get_by_role("link", name="Decide", exact=True).click()
    expect(h1(officer)).to_have_text(f"Decide on application {application_id}")
    expect(officer.get_by_role("alert")).to_have_text(
        "You cannot decide on this application: you moderated this application. Another officer must decide.")
    expect(officer.get_by_role("button", name="Record the decision")).to_have_count(0)
    look(officer)

    # --- a second officer certifies -------------------------------------------------------------
    decider = new_context().new_page()
    sign_in_with_code(decider, *SECOND_OFFICER, second_codes[0])
    go_to_office(decider)
    show_only(decider, "Ready for a decision")
    decider.get_by_role("link", name=f"Decide on application {application_id}").click()
    expect(h1(decider)).to_have_text(f"Decide on application {application_id}")
    expect(decider.get_by_role("alert")).to_have_count(0)
    expect(decider.get_by_role("region", name="What the scores mean under the rubric")).to_contain_text(
        "Care Quality Mark")
    look(decider)
    decider.get_by_role("radio", name="Certify", exact=True).check()
    decider.get_by_label("Rationale (the co-op reads this)").fill(DECISION_RATIONALE)
    decider.get_by_role("button", name="Record the decision").click()
    expect(flash(decider).locator(".flash-success")).to_contain_text("The decision is recorded and the co-op is told.")
    expect(decider.locator(".summary")).to_contain_text("Certified")
    look(decider)

    # --- the owner sees the decision, its reasons and the certificate ---------------------------------
    owner.goto(application_page)
    expect(owner.get_by_role("note").filter(has_text="Certified")).to_contain_text("Certified")
    expect(owner.get_by_text(DECISION_RATIONALE)).to_be_visible()
    certificate_link = owner.get_by_role("link", name=re.compile(r"^Your certificate "))
    expect(certificate_link).to_be_visible()
    look(owner)
    href = certificate_link.get_attribute("href")
    match = re.fullmatch(r"/c/([^/?#]+)", href or "")
    assert match, f"The owner's certificate link should point at /c/<code>, it points at {href!r}"
    code = match.group(1)
    verification = f"/c/{code}"

    # --- a member of the public checks it ------------------------------------------------------------
    public = new_context().new_page()
    public.goto(verification)
    expect(public.get_by_role("status")).to_contain_text("Valid")
    expect(public.get_by_role("status")).to_contain_text("This co-op holds the mark now.")
    expect(h1(public)).to_have_text(COOP)
    expect(public.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")).to_be_visible()
    look(public)

    # --- the first officer suspends the certificate; the public page says so ----------------------
    officer.goto(verification)
    look(officer)
    officer.get_by_role("link", name="Suspend, reinstate or withdraw this certificate").click()
    expect(h1(officer)).to_have_text(f"Certificate {code}: {COOP}")
    look(officer)
    officer.get_by_label("Reason (the co-op is told; it is kept on record)").fill(SUSPENSION_REASON)
    officer.get_by_role("button", name="Suspend", exact=True).click()
    expect(flash(officer).locator(".flash-success")).to_contain_text(f"Certificate {code} is now suspended.")
    expect(officer.locator(".state")).to_contain_text("Suspended")
    look(officer)

    public.reload()
    expect(public.get_by_role("status")).to_contain_text("Suspended")
    expect(public.get_by_role("status")).not_to_contain_text("Valid")
    expect(public.get_by_role("status")).to_contain_text("It is not valid until it is reinstated.")
    look(public)

    # A refused moderation must leave nothing behind: no moderated level was saved by the attempt
    # without a note (checked last, so the rest of the journey still runs if this is broken).
    assert saved_by_the_refused_attempt == {}, (
        f"On /office/applications/{application_id}/moderate, 'Save and complete moderation' without a note on "
        f"the divergent criterion {DIVERGENT[0]} was refused with an error, yet it saved moderated levels for "
        f"{len(saved_by_the_refused_attempt)} criteria ({', '.join(saved_by_the_refused_attempt)}): those before "
        f"{DIVERGENT[0]} in the form. The refused request still committed (the view catches ReviewError and "
        "renders the page with status 200, and requests below 400 commit), with "
        f"{audited} 'application.moderated' audit event(s) recording them.")


def test_the_verification_page_and_the_register_fit_a_phone(mobile_page, live_server, screens_dir, axe_check,
                                                            references_check):
    code = certify_through_services(live_server)

    mobile_page.goto(f"/c/{code}")
    expect(mobile_page.get_by_role("status")).to_contain_text("Valid")
    expect(mobile_page.get_by_role("heading", level=1)).to_have_text(COOP)
    no_sideways_scrolling(mobile_page, screens_dir, "certificate-valid-360")
    axe_check(mobile_page)
    references_check(mobile_page)

    suspend_through_services(live_server, code)
    mobile_page.goto(f"/c/{code}")
    expect(mobile_page.get_by_role("status")).to_contain_text("Suspended")
    no_sideways_scrolling(mobile_page, screens_dir, "certificate-suspended-360")
    axe_check(mobile_page)
    references_check(mobile_page)

    # The register lists the co-op (now suspended) in a table.
    mobile_page.goto("/register")
    expect(mobile_page.get_by_role("heading", level=1)).to_have_text("Register of certified co-ops")
    expect(mobile_page.get_by_role("row", name=re.compile(COOP))).to_contain_text("Suspended")
    no_sideways_scrolling(mobile_page, screens_dir, "register-360")
    axe_check(mobile_page)
    references_check(mobile_page)
