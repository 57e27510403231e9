"""A certificate's life after issuing, in a real browser: the co-op's certificate page, renewal, the
annual declaration (made with the keyboard alone, then reviewed by an officer with the keyboard),
an appeal against a suspension, the notifications list (marked read without JavaScript) and the
public complaint form (its errors tied to their fields). axe-core on every page, in English and,
for the pages the public and co-ops use most, in Welsh; the declaration and the notifications fit
a 360 px phone.

The certificate is issued through the services today; the app's one clock (`qualitymark.clock`,
read by the live server's thread in this same process) is then moved to the days each page needs,
and put back after every test.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import pytest
from dateutil.relativedelta import relativedelta

from catalogue import ensure_compiled
from helpers import PASSWORD
from test_certification_journey import (
    OWNER,
    certify_through_services,
    create_officer_with_two_factor,
    no_sideways_scrolling,
    suspend_through_services,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what to install
    expect = None

pytestmark = pytest.mark.browser

REVIEWER = ("gwen@office.example.org", "Gwen Officer")
CHANGES = "We merged with Cartref Co-operative in March; our board now has nine places, four for people we support."
REVIEW_NOTE = "A merger with another certified co-op; governance still meets A3. No action beyond the next renewal."


@pytest.fixture(autouse=True, scope="module")
def _welsh_compiled():
    ensure_compiled()


@pytest.fixture
def clock():
    """`clock(day)`: the app's time is 09:00 UTC on `day` (for the live server too: it runs in a thread of
    this process and reads the same clock) until the test ends, when the system clock is back."""
    from qualitymark.clock import set_clock

    def at(day: date) -> None:
        moment = datetime.combine(day, time(9), tzinfo=timezone.utc)
        set_clock(lambda: moment)

    yield at
    set_clock(None)


@dataclass(frozen=True)
class Certified:
    slug: str
    code: str
    valid_from: date
    valid_until: date

    @property
    def page(self) -> str:
        return f"/coops/{self.slug}/certificates/{self.code}"

    @property
    def first_due(self) -> date:
        return self.valid_from + relativedelta(years=1)

    def declaration(self, year: int = 1) -> str:
        return f"{self.page}/declarations/{year}"


@pytest.fixture
def certified(live_server) -> Certified:
    """OWNER's co-op, certified today through the services (the journey test does it in the browser)."""
    from qualitymark import db
    from qualitymark.models.accounts import Organisation
    from qualitymark.services import certificates

    code = certify_through_services(live_server)
    with live_server.app.app_context():
        certificate = certificates.get_by_code(code)
        slug = db.session().get(Organisation, certificate.organisation_id).slug
        return Certified(slug, code, certificate.valid_from, certificate.valid_until)


@pytest.fixture
def reviewer_codes(live_server, certified) -> list[str]:
    """REVIEWER, an officer with two-factor sign-in set up; their recovery codes."""
    return create_officer_with_two_factor(live_server, *REVIEWER)


@pytest.fixture
def declaration_open(live_server, certified, reviewer_codes, clock) -> Certified:
    """Ten days before the first anniversary, once the hourly job has sent the 'declaration due' notices.
    (The reviewer's authenticator is set up first, today: the app checks its codes against its own clock.)"""
    from qualitymark.jobs.periodic import send_lifecycle_notices

    clock(certified.first_due - timedelta(days=10))
    with live_server.app.app_context():
        assert send_lifecycle_notices() >= 1, "The job sent no 'declaration due' notice on the day it opened"
    return certified


# --- helpers ------------------------------------------------------------------------------------

def h1(page):
    return page.get_by_role("heading", level=1)


def success(page):
    return page.locator(".flashes .flash-success")


def sign_in_with_recovery_code(page, email: str, code: str) -> None:
    page.goto("/signin")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(code)
    page.get_by_role("button", name="Continue").click()
    expect(success(page)).to_contain_text("Welcome")


def make_declaration(live_server, certified: Certified, changes: str) -> int:
    """The owner's year 1 declaration, reporting `changes`; returns its id."""
    from qualitymark import db
    from qualitymark.services import certificates, lifecycle
    from qualitymark.services.accounts import find_user

    with live_server.app.app_context():
        declaration = lifecycle.make_declaration(certificates.get_by_code(certified.code), 1,
                                                 outcome="changes_reported", changes=changes,
                                                 actor=find_user(OWNER[0]))
        db.commit()
        return declaration.id


def declaration_ids(live_server) -> list[int]:
    from sqlmodel import select

    from qualitymark import db
    from qualitymark.models.lifecycle import AnnualDeclaration

    with live_server.app.app_context():
        return list(db.session().exec(select(AnnualDeclaration.id)).all())


def unread_in_header(page):
    return page.get_by_role("navigation", name=re.compile("^(Main|Prif)")).locator(".count")


# --- the tests ----------------------------------------------------------------------------------

def test_every_lifecycle_page_passes_axe_in_english_and_welsh(
        new_context, live_server, declaration_open, reviewer_codes, clock, ui, axe_check, references_check):
    certified = declaration_open

    def look(page) -> None:
        axe_check(page)
        references_check(page)

    owner = new_context().new_page()
    ui.sign_in(owner, OWNER[0])

    owner.goto(certified.page)
    expect(h1(owner)).to_have_text(f"Certificate {certified.code}")
    expect(owner.get_by_role("link", name="Make the year 1 declaration")).to_be_visible()
    look(owner)

    owner.goto(f"{certified.page}/renew")  # not open yet: the page says when it opens
    expect(h1(owner)).to_have_text(re.compile("^Renew the mark for "))
    look(owner)

    owner.goto(certified.declaration())
    expect(h1(owner)).to_have_text("Annual declaration, year 1")
    look(owner)
    owner.get_by_role("button", name="Send the declaration").click()  # empty: the errors
    expect(owner.locator(".error-summary")).to_contain_text("Choose whether anything material has changed.")
    look(owner)

    owner.goto("/notifications/")
    expect(owner.get_by_role("heading", level=2, name=re.compile("Your annual declaration is due"))).to_be_visible()
    look(owner)

    public = new_context().new_page()
    public.goto("/complaints/new")
    expect(h1(public)).to_have_text("Make a complaint")
    look(public)

    # In Welsh: the declaration, the notifications and the complaint form.
    owner.goto(f"/language?lang=cy&next={certified.declaration()}")
    expect(owner.locator("html")).to_have_attribute("lang", "cy")
    expect(owner.get_by_role("button", name="Send the declaration")).to_have_count(0)  # translated
    look(owner)
    owner.goto("/notifications/")
    expect(owner.locator("html")).to_have_attribute("lang", "cy")
    look(owner)
    public.goto("/complaints/new?lang=cy")
    expect(public.locator("html")).to_have_attribute("lang", "cy")
    expect(h1(public)).not_to_have_text("Make a complaint")
    look(public)
    owner.goto(f"/language?lang=en&next={certified.page}")

    # The office's pages, with a declaration that reports changes.
    declaration_id = make_declaration(live_server, certified, CHANGES)
    officer = new_context().new_page()
    sign_in_with_recovery_code(officer, REVIEWER[0], reviewer_codes[0])
    officer.goto("/office/declarations")
    expect(h1(officer)).to_have_text("Annual declarations")
    look(officer)
    officer.goto(f"/office/declarations/{declaration_id}")
    expect(officer.get_by_text(CHANGES)).to_be_visible()
    look(officer)
    officer.get_by_role("button", name="Record the review").click()  # empty: the error
    expect(officer.locator(".error-summary")).to_contain_text("Write what the reported changes mean")
    look(officer)

    # The renewal form, once the renewal window is open.
    clock(certified.valid_until - relativedelta(months=5))
    owner.goto(f"{certified.page}/renew")
    expect(owner.get_by_role("button", name="Start the renewal")).to_be_visible()
    look(owner)

    # Suspended: the certificate page offers an appeal, and the appeal form.
    suspend_through_services(live_server, certified.code)
    owner.goto(certified.page)
    expect(owner.get_by_role("heading", name="Appeal the suspension")).to_be_visible()
    look(owner)
    owner.goto(f"{certified.page}/appeal")
    expect(h1(owner)).to_have_text(f"Appeal the suspension of certificate {certified.code}")
    expect(owner.get_by_label("Your grounds for appeal")).to_be_visible()
    look(owner)
    owner.get_by_role("button", name="Send the appeal").click()  # empty: the error
    expect(owner.locator(".error-summary")).to_contain_text("Write your grounds for appeal.")
    look(owner)


def test_the_annual_declaration_is_made_and_reviewed_with_the_keyboard_alone(
        new_context, live_server, declaration_open, reviewer_codes, ui, keys, axe_check):
    certified = declaration_open
    owner = new_context().new_page()
    ui.sign_in(owner, OWNER[0])
    owner.goto(certified.declaration())
    expect(h1(owner)).to_have_text("Annual declaration, year 1")

    # Into the radio group (focus lands on its first option), then the arrow key chooses the second.
    keys.tab_to(owner, 'input[name="outcome"]')
    owner.keyboard.press("ArrowDown")
    expect(owner.get_by_label("Yes: something has changed, and we describe it below")).to_be_checked()
    expect(owner.get_by_label("Yes: something has changed, and we describe it below")).to_be_focused()
    keys.tab_to(owner, 'textarea[name="changes"]')
    owner.keyboard.type(CHANGES)
    keys.tab_to(owner, 'input[name="confirm"]')
    owner.keyboard.press("Space")
    expect(owner.get_by_label("We confirm that this declaration is true to the best of our knowledge")).to_be_checked()
    keys.tab_to(owner, 'main [type="submit"]')
    owner.keyboard.press("Enter")
    expect(success(owner)).to_have_text("Thank you: the declaration is recorded.")
    expect(h1(owner)).to_have_text(f"Certificate {certified.code}")
    expect(owner.get_by_role("row", name=re.compile(r"^1 "))).to_contain_text("Made on")
    axe_check(owner)

    [declaration_id] = declaration_ids(live_server)
    officer = new_context().new_page()
    sign_in_with_recovery_code(officer, REVIEWER[0], reviewer_codes[0])
    officer.goto("/office/declarations")
    waiting = officer.get_by_role("listitem").filter(has_text=f"certificate {certified.code}, year 1")
    expect(waiting).to_be_visible()

    keys.tab_to(officer, f'a[href="/office/declarations/{declaration_id}"]')
    officer.keyboard.press("Enter")
    expect(h1(officer)).to_have_text(re.compile(r"^Declaration: .*, year 1$"))
    expect(officer.get_by_text(CHANGES)).to_be_visible()
    keys.tab_to(officer, 'textarea[name="note"]')
    officer.keyboard.type(REVIEW_NOTE)
    keys.tab_to(officer, 'main [type="submit"]')
    officer.keyboard.press("Enter")
    expect(success(officer)).to_have_text("The review is recorded.")
    expect(officer.get_by_text("None: every reported change has been reviewed.")).to_be_visible()
    expect(officer.get_by_role("row", name=re.compile(certified.code))).to_contain_text("Changes reported (reviewed)")
    axe_check(officer)
    officer.goto(f"/office/declarations/{declaration_id}")
    expect(officer.get_by_text(REVIEW_NOTE)).to_be_visible()


def test_an_incomplete_complaint_shows_each_error_by_its_field_and_keeps_what_was_typed(
        page, live_server, axe_check, references_check):
    page.goto("/complaints/new")
    send = page.get_by_role("button", name="Send the complaint")
    send.click()

    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    about = page.get_by_role("group", name="What is your complaint about?")
    name = page.get_by_label("Your name")
    email = page.get_by_label("Your email address")
    text = page.get_by_label("What happened?")
    expected = {
        "about": (about, "Choose what your complaint is about."),
        "name": (name, "Give your name."),
        "email": (email, "Give an email address, so that we can tell you what happens."),
        "text": (text, "Tell us what happened."),
    }
    for field_id, (field, message) in expected.items():
        # Listed at the top, with a link to the field ...
        expect(summary.get_by_role("link", name=re.compile(re.escape(message)))).to_have_attribute("href", f"#{field_id}")
        # ... and next to the field, read out with it.
        expect(page.locator(f"#{field_id}-error")).to_have_text(f"Error: {message}")
        expect(field).to_have_attribute("aria-describedby", re.compile(rf"(^|\s){field_id}-error(\s|$)"))
        expect(field).to_have_accessible_description(re.compile(re.escape(message)))
    for field in (name, email, text):
        expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("The co-op's certificate code or name")).not_to_have_attribute("aria-invalid", "true")
    axe_check(page)
    references_check(page)

    # Some of it typed, the email mistyped and nothing chosen: what was typed stays.
    name.fill("Mair Jones")
    email.fill("mair@")
    text.fill("Nobody answered the phone at the office for a week in May.")
    send.click()
    expect(summary.get_by_role("listitem")).to_have_count(2)
    expect(summary).to_contain_text("Choose what your complaint is about.")
    expect(summary).to_contain_text("Enter an email address like name@example.org.")
    expect(name).to_have_value("Mair Jones")
    expect(email).to_have_value("mair@")
    expect(text).to_have_value("Nobody answered the phone at the office for a week in May.")
    expect(name).not_to_have_attribute("aria-invalid", "true")
    expect(email).to_have_attribute("aria-invalid", "true")
    axe_check(page)
    references_check(page)

    page.get_by_label("The Care Quality Mark scheme itself").check()
    email.fill("mair@example.org")
    send.click()
    expect(h1(page)).to_have_text("Complaint received")
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"Your reference is \S+"))
    axe_check(page)


# Without JavaScript, `autofocus` on the summary (qualitymark/templates/_forms.html) moves focus there.
def test_after_sending_an_incomplete_complaint_focus_is_on_the_error_summary(page, live_server, keys):
    page.goto("/complaints/new")
    page.get_by_role("button", name="Send the complaint").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator(".error-summary")).to_be_focused(timeout=2_000)
    # From there, Tab goes to the summary's first link.
    keys.tab_to(page, ".error-summary a", limit=1)


def test_a_notification_is_marked_read_without_javascript(browser, live_server, declaration_open, ui):
    certified = declaration_open
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        ui.sign_in(page, OWNER[0])
        page.goto("/notifications/")
        unread = page.locator(".notification.unread")
        before = unread.count()
        assert before >= 2, f"Expected the certificate's and the declaration's notices, unread; {before} are"
        expect(unread_in_header(page)).to_have_text(f"{before} unread")
        expect(page.get_by_text(f"{before} unread notifications.")).to_be_visible()

        # Opening one marks it read and goes where it points: the declaration. (The button's name is "Open"
        # and the notice's subject, from a visually hidden span: "Open : Your annual ..." to the browser.)
        page.get_by_role("button", name=re.compile(r"^Open\W+Your annual declaration is due")).click()
        expect(h1(page)).to_have_text("Annual declaration, year 1")
        assert page.url.endswith(certified.declaration())
        expect(unread_in_header(page)).to_have_text(f"{before - 1} unread")

        page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Notifications")).click()
        declaration_notice = page.locator(".notification").filter(has_text="Your annual declaration is due")
        expect(declaration_notice).not_to_have_class(re.compile(r"\bunread\b"))
        expect(declaration_notice.get_by_text("Unread", exact=True)).to_have_count(0)
        expect(unread).to_have_count(before - 1)

        page.get_by_role("button", name="Mark all as read").click()
        expect(success(page)).to_have_text(f"Marked as read: {before - 1}.")
        expect(unread_in_header(page)).to_have_count(0)
        expect(unread).to_have_count(0)
    finally:
        context.close()


def test_the_declaration_and_the_notifications_fit_a_phone(mobile_page, live_server, declaration_open, ui,
                                                          screens_dir, axe_check):
    certified = declaration_open
    ui.sign_in(mobile_page, OWNER[0])
    mobile_page.goto(certified.declaration())
    expect(h1(mobile_page)).to_have_text("Annual declaration, year 1")
    mobile_page.get_by_role("button", name="Send the declaration").click()  # the errors take room too
    expect(mobile_page.locator(".error-summary")).to_be_visible()
    no_sideways_scrolling(mobile_page, screens_dir, "declaration-360")
    axe_check(mobile_page)

    mobile_page.goto("/notifications/")
    expect(mobile_page.locator(".notification").first).to_be_visible()
    no_sideways_scrolling(mobile_page, screens_dir, "notifications-360")
    axe_check(mobile_page)

    # Welsh words are longer.
    mobile_page.goto(f"/language?lang=cy&next={certified.declaration()}")
    expect(mobile_page.locator("html")).to_have_attribute("lang", "cy")
    no_sideways_scrolling(mobile_page, screens_dir, "declaration-cy-360")
    mobile_page.goto("/notifications/")
    no_sideways_scrolling(mobile_page, screens_dir, "notifications-cy-360")
