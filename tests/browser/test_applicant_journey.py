"""An applicant's journey, done in a real browser the way a person does it.

Sign up, confirm the address from the email, sign in, register a user-led co-op, apply, fill in
section A with the keyboard alone, upload evidence, and see what is still missing before the
application can be submitted. Every page on the way is checked with axe-core.
"""
from __future__ import annotations

import re

import pytest

from helpers import PASSWORD

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says what to install
    expect = None

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Section A, as the applicant answers it: the level chosen and what they write.
ANSWERS = {
    "A1": (3, "Every member has one vote at our general meeting.\nMinutes go to all members within a week."),
    "A2": (2, "People using our services chair the quality committee."),
    "A3": (4, "Our board has six places for people using services; all six are filled."),
    "A4": (2, "We ask members what to change each spring, and report back what we did."),
}


def rubric_criteria(live_server) -> list[tuple[str, str]]:
    """(section id, criterion id) for every criterion of the published rubric."""
    from qualitymark.services.rubrics import list_versions, rubric_of

    with live_server.app.app_context():
        version = next(v for v in list_versions() if not v.is_retired)
        rubric = rubric_of(version)
        return [(section.id, criterion.id) for section in rubric.sections for criterion in section.criteria]


def test_applicant_signs_up_registers_a_coop_and_fills_in_section_a(page, live_server, axe_check, keys):
    email, name = "gwen.jones@example.coop", "Gwen Jones"

    # --- sign up ---------------------------------------------------------------------------
    page.goto("/")
    axe_check(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    axe_check(page)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.locator(".flashes .flash-success")).to_contain_text("Check your email")
    axe_check(page)

    # --- confirm the address from the email --------------------------------------------------
    link = live_server.confirmation_link(email)
    assert link.startswith(live_server.url + "/confirm/"), f"The confirmation link points elsewhere: {link}"
    page.goto(link)
    expect(page.locator(".flashes .flash-success")).to_contain_text("your email address is confirmed")
    axe_check(page)

    # --- sign in ---------------------------------------------------------------------------
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".flashes .flash-success")).to_contain_text(f"Welcome, {name}.")
    axe_check(page)

    # --- register a user-led co-op -----------------------------------------------------------
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Your co-ops").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your co-ops")
    axe_check(page)
    page.get_by_role("link", name="Register your co-op").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register your co-op")
    axe_check(page)
    page.get_by_label("Name of the co-op").fill("Gofal Bro Co-operative")
    page.get_by_label("Kind of co-op").select_option(label="User-led co-op")
    page.get_by_label("Legal form").fill("Co-operative society")
    page.get_by_label("Local authority or region").fill("Ceredigion")
    page.get_by_label("Services you provide").fill("Home care\nSupported living")
    votes = {"People using services": (14, "55"), "Workers": (9, "30"), "Family members and carers": (5, "15")}
    for label, (members, share) in votes.items():
        page.get_by_label(f"Number of members: {label}", exact=True).fill(str(members))
        page.get_by_label(f"Share of the votes (%): {label}", exact=True).fill(share)
    page.get_by_role("button", name="Save the profile").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gofal Bro Co-operative")
    expect(page.locator(".flashes .flash-success")).to_contain_text("is registered, and you are its owner")
    # The page tells the co-op whether people using services hold at least 51% of the votes.
    user_led = page.get_by_role("note").filter(has_text="User-led")
    expect(user_led).to_contain_text("User-led: yes.")
    expect(user_led).to_contain_text("People using services hold 55% of the votes")
    expect(user_led).to_contain_text("51%")
    votes_table = page.get_by_role("table").filter(has_text="Share of the votes")
    expect(votes_table.get_by_role("row", name=re.compile("People using services"))).to_contain_text("55%")
    axe_check(page)

    # --- apply ---------------------------------------------------------------------------------
    page.get_by_role("link", name="Apply for the mark").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Apply for the mark for Gofal Bro Co-operative")
    axe_check(page)
    version = page.get_by_label("Version of the criteria")
    version.select_option(version.locator("option", has_text="Care Quality Mark 1.0.0").get_attribute("value"))
    page.get_by_label("We have read the scheme agreement above and accept it on behalf of the co-op").check()
    page.get_by_role("button", name="Start the application").click()
    expect(page.locator(".flashes .flash-success")).to_contain_text("Your application is started")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Application \d+: Gofal Bro Co-operative$"))
    application_id = int(re.search(r"/applications/(\d+)$", page.url).group(1))
    axe_check(page)

    # --- section A, with the keyboard alone ------------------------------------------------------
    keys.tab_to(page, f'a[href$="/applications/{application_id}/sections/A"]')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^A\. "))
    axe_check(page)
    levels = page.locator('input[type=radio][name="level_A1"]').evaluate_all("(radios) => radios.map(r => r.value)")
    assert levels[0] == "", f"The first choice should be 'Not decided yet', the choices are {levels}"
    criteria_on_page = page.locator("section.criterion").evaluate_all("(s) => s.map(e => e.id.replace('criterion-', ''))")
    assert criteria_on_page == list(ANSWERS), f"Section A has criteria {criteria_on_page}, expected {list(ANSWERS)}"

    for criterion, (level, narrative) in ANSWERS.items():
        # Tab into the radio group lands on the checked radio ("Not decided yet"); arrows choose.
        keys.tab_to(page, f'input[type=radio][name="level_{criterion}"]')
        assert page.evaluate("() => document.activeElement.value") == "", (
            f"Tab into {criterion}'s levels should land on the chosen one, 'Not decided yet'; it went to "
            f"{keys.focused(page)}")
        for _ in range(levels.index(str(level))):
            page.keyboard.press("ArrowDown")
        expect(page.locator(f'input[name="level_{criterion}"][value="{level}"]')).to_be_checked()
        keys.tab_to(page, f'textarea[name="narrative_{criterion}"]')
        page.keyboard.type(narrative)

    keys.tab_to(page, 'input[type=submit][name="save"], button[name="save"]')
    style = keys.focus_style(page)
    assert style["focusVisible"], f"The Save button, reached with Tab, should match :focus-visible: {style}"
    page.keyboard.press("Space")
    expect(page.locator(".flashes .flash-success")).to_have_text("Section A is saved.")
    expect(page.locator("#progress-text")).to_have_text("4 of 4 criteria in this section completed")
    for criterion, (level, narrative) in ANSWERS.items():
        expect(page.locator(f'input[name="level_{criterion}"][value="{level}"]')).to_be_checked()
        expect(page.locator(f'textarea[name="narrative_{criterion}"]')).to_have_value(narrative)
    axe_check(page)

    # --- evidence for A1 ------------------------------------------------------------------------
    page.get_by_role("link", name="Add evidence for A1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evidence")
    axe_check(page)
    expect(page.get_by_role("checkbox", name=re.compile(r"^A1 "))).to_be_checked()
    page.get_by_label("Choose a file").set_input_files(
        files=[{"name": "general-meeting-minutes.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_label("What is this file?").fill("Minutes of our last general meeting, with the votes cast.")
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".flashes .flash-success")).to_contain_text("“general-meeting-minutes.pdf” is uploaded.")
    row = page.get_by_role("row").filter(has_text="general-meeting-minutes.pdf")
    expect(row).to_contain_text("A1")
    expect(row).to_contain_text("Minutes of our last general meeting")
    axe_check(page)

    # --- what is missing before submitting ------------------------------------------------------------
    page.get_by_role("link", name=f"Application {application_id}", exact=True).click()
    expect(page.get_by_role("row", name=re.compile(r"^A\. "))).to_contain_text("4 of 4")
    axe_check(page)
    page.get_by_role("link", name="Check and submit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and submit")
    axe_check(page)

    everything = rubric_criteria(live_server)
    still_to_do = [criterion for _section, criterion in everything if criterion not in ANSWERS]
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("heading", level=2)).to_have_text(
        f"{len(still_to_do)} criteria need something before you can submit")
    listed = summary.get_by_role("listitem").evaluate_all("(items) => items.map(i => i.innerText.split(' ')[0])")
    assert listed == still_to_do, f"The submit page lists {listed}; it should list exactly {still_to_do}"
    first_missing = summary.get_by_role("listitem").first
    expect(first_missing).to_contain_text("choose a self-assessed level")
    expect(first_missing).to_contain_text("write what you do (the narrative)")
    expect(page.get_by_role("button", name="Submit the application")).to_have_count(0)

    # A keyboard user can see where they are: the focused link has a visible focus indicator.
    keys.tab_to(page, ".error-summary a")
    style = keys.focus_style(page)
    has_outline = style["outlineStyle"] != "none" and style["outlineWidth"] not in ("0px", "")
    has_shadow = style["boxShadow"] not in ("none", "")
    assert style["focusVisible"] and (has_outline or has_shadow), (
        f"The focused link ({keys.focused(page)}) shows no focus indicator: {style}")


def test_two_people_saving_section_a_at_once_see_a_conflict_and_nothing_is_overwritten(
        new_context, live_server, ui, axe_check):
    live_server.create_person("alys@example.coop", "Alys Owen")
    live_server.create_person("bryn@example.coop", "Bryn Hughes")
    _slug, application_id = live_server.create_coop_with_application(
        "Cartref Co-operative", "alys@example.coop", member_emails=["bryn@example.coop"])
    section_a = f"/applications/{application_id}/sections/A"

    alys = new_context().new_page()
    bryn = new_context().new_page()
    ui.sign_in(alys, "alys@example.coop")
    ui.sign_in(bryn, "bryn@example.coop")

    # Both open section A before either saves.
    alys.goto(section_a)
    bryn.goto(section_a)
    expect(bryn.get_by_role("heading", level=1)).to_have_text(re.compile(r"^A\. "))

    alys.locator('input[name="level_A1"][value="3"]').check()
    alys.locator('textarea[name="narrative_A1"]').fill("Alys: members vote at the AGM; minutes within a week.")
    alys.get_by_role("button", name="Save", exact=True).click()
    expect(alys.locator(".flashes .flash-success")).to_have_text("Section A is saved.")

    # Bryn, still looking at the page as it was, changes A1 too (and A2, which nobody else touched).
    bryn.locator('input[name="level_A1"][value="1"]').check()
    bryn.locator('textarea[name="narrative_A1"]').fill("Bryn: we hold a members' meeting twice a year.")
    bryn.locator('textarea[name="narrative_A2"]').fill("Bryn: people using services chair the committee.")
    bryn.get_by_role("button", name="Save", exact=True).click()

    conflict = bryn.locator(".error-summary")
    expect(conflict.get_by_role("heading")).to_have_text("Someone else saved changes while you were editing")
    expect(conflict).to_contain_text("Nothing was overwritten")
    expect(conflict.get_by_role("link", name="A1")).to_have_attribute("href", "#narrative_A1")
    expect(bryn).to_have_title(re.compile(r"^Error: "))
    # Both versions are on the page: Alys's saved one, and Bryn's still in the boxes.
    theirs = bryn.locator("#criterion-A1 .conflict")
    expect(theirs).to_contain_text("Saved by Alys Owen")
    expect(theirs).to_contain_text("Level: 3")
    expect(theirs.locator(".quoted")).to_contain_text("Alys: members vote at the AGM; minutes within a week.")
    expect(bryn.locator('textarea[name="narrative_A1"]')).to_have_value("Bryn: we hold a members' meeting twice a year.")
    expect(bryn.locator('input[name="level_A1"][value="1"]')).to_be_checked()
    expect(bryn.locator(".flashes .flash-info")).to_contain_text("Saved A2")
    axe_check(bryn)

    # Nothing was overwritten: anyone opening section A now sees Alys's A1 and Bryn's A2.
    alys.goto(section_a)
    expect(alys.locator('textarea[name="narrative_A1"]')).to_have_value(
        "Alys: members vote at the AGM; minutes within a week.")
    expect(alys.locator('input[name="level_A1"][value="3"]')).to_be_checked()
    expect(alys.locator('textarea[name="narrative_A2"]')).to_have_value(
        "Bryn: people using services chair the committee.")


# Is the focused element hidden under something else (the sticky Save bar, say)? One point is
# hit-tested: the middle of a small control, or the first line of a tall text box (where the
# caret is). WCAG 2.2 SC 2.4.11 (Focus Not Obscured, AA) asks that a control reached with the
# keyboard is not hidden by the page's own content.
_FOCUS_HIDDEN_BY = """() => {
  const element = document.activeElement;
  if (!element || element === document.body || element.tagName === 'MAIN') return null;
  const box = element.getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + Math.min(box.height / 2, 16);
  if (y < 0 || y > window.innerHeight) return `off screen (at y=${Math.round(y)}, window ${window.innerHeight} px)`;
  const hit = document.elementFromPoint(x, y);
  if (!hit || hit === element || element.contains(hit) || (hit.tagName === 'LABEL' && hit.control === element)) return null;
  const cover = hit.closest('[class]') || hit;
  return `under <${cover.tagName.toLowerCase()} class="${cover.className}"> (element ${Math.round(box.top)}-${Math.round(box.bottom)} px, window ${window.innerHeight} px)`;
}"""


@pytest.mark.parametrize("mobile", [False, True], ids=["1280px", "360px"])
def test_keyboard_focus_in_section_a_is_never_hidden_behind_the_save_bar(new_context, live_server, ui, keys, mobile):
    live_server.create_person("elin@example.coop", "Elin Davies")
    _slug, application_id = live_server.create_coop_with_application("Tŷ Gofal Co-operative", "elin@example.coop")
    page = new_context(mobile=mobile).new_page()
    ui.sign_in(page, "elin@example.coop")
    page.goto(f"/applications/{application_id}/sections/A")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^A\. "))

    hidden = []

    def look(step: str) -> None:
        where = page.evaluate(_FOCUS_HIDDEN_BY)
        if where:
            hidden.append(f"{step}: {keys.focused(page)} is {where}")

    # Tab through the whole form, and choose a level with the arrow keys in each radio group.
    for criterion in ANSWERS:
        keys.tab_to(page, f'input[name="level_{criterion}"]')
        look(f"Tab to {criterion}'s levels")
        for _ in range(3):
            page.keyboard.press("ArrowDown")
            look(f"ArrowDown in {criterion}'s levels")
        keys.tab_to(page, f'textarea[name="narrative_{criterion}"]')
        look(f"Tab to {criterion}'s narrative")
    assert not hidden, (
        "With the keyboard, the focused control ends up hidden behind other content (WCAG 2.2 SC 2.4.11 "
        "Focus Not Obscured); the person cannot see which level they are choosing:\n  " + "\n  ".join(hidden))


def test_starting_without_accepting_the_agreement_says_what_to_do(page, live_server, ui, axe_check,
                                                                  references_check):
    live_server.create_person("rhys@example.coop", "Rhys Morgan")
    slug = live_server.create_coop("Cymuned Co-operative", "rhys@example.coop")
    ui.sign_in(page, "rhys@example.coop")
    page.goto(f"/coops/{slug}/apply")
    page.get_by_role("button", name="Start the application").click()

    summary = page.locator(".error-summary")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(page).to_have_title(re.compile(r"^Error: "))
    problem = summary.get_by_role("link", name=re.compile("Tick the box to accept the scheme agreement"))
    expect(problem).to_have_attribute("href", "#accept")
    box = page.get_by_label("We have read the scheme agreement above and accept it on behalf of the co-op")
    expect(box).not_to_be_checked()
    # The message is next to the box too, and read out with it.
    expect(page.locator(".field-error")).to_contain_text("Tick the box to accept the scheme agreement.")
    axe_check(page)
    references_check(page)

    problem.click()
    expect(box).to_be_focused()
    box.check()
    page.get_by_role("button", name="Start the application").click()
    expect(page.locator(".flashes .flash-success")).to_contain_text("Your application is started")
