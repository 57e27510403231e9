"""Pages anyone can open: the published criteria (English and Welsh), signing in and up, an error page.

Checked in a real browser: axe-core, the skip link, the language of the page and of its parts,
and that a 360 px wide phone never needs sideways scrolling. Screenshots of the phone layouts are
kept in tests/browser/artifacts/screens/ for a person to look at.
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

RUBRIC = "/rubrics/care-quality-mark/1.0.0"

# path, the page's language, the HTTP status
PUBLIC_PAGES = [
    pytest.param(RUBRIC, "en", 200, id="rubric-en"),
    pytest.param(RUBRIC + "?lang=cy", "cy", 200, id="rubric-cy"),
    pytest.param("/signin", "en", 200, id="signin"),
    pytest.param("/signup", "en", 200, id="signup"),
    pytest.param("/no-such-page", "en", 404, id="not-found"),
]


@pytest.mark.parametrize(("path", "lang", "status"), PUBLIC_PAGES)
def test_public_page_passes_axe(page, axe_check, path, lang, status):
    response = page.goto(path)
    assert response.status == status, f"{path} answered {response.status}, expected {status}"
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    if status == 404:
        expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
        expect(page).to_have_title(re.compile("^Page not found"))
    axe_check(page)


@pytest.mark.parametrize(("path", "lang", "status"), PUBLIC_PAGES)
def test_public_page_has_no_broken_aria_references(page, references_check, path, lang, status):
    page.goto(path)
    references_check(page)


@pytest.mark.parametrize(("path", "lang", "status"), PUBLIC_PAGES)
def test_skip_link_is_the_first_stop_and_moves_focus_to_main(page, keys, path, lang, status):
    page.goto(path)
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text({"en": "Skip to main content", "cy": "Neidio i'r prif gynnwys"}[lang])
    expect(skip).to_have_attribute("href", "#main")
    box = skip.bounding_box()
    viewport = page.viewport_size
    assert box and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= viewport["width"], (
        f"The focused skip link must be on screen, it is at {box}")

    page.keyboard.press("Enter")
    main = page.locator("main#main")
    expect(main).to_be_focused()
    # The next Tab goes on from the main content, not back through the header.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)"), (
        f"After the skip link, Tab should move into the main content; it went to {keys.focused(page)}")


# English words of the page's own frame (header, headings and labels the template writes, not the
# rubric's text). On the Welsh page, each must be translated or marked lang="en" (WCAG 3.1.2,
# language of parts): otherwise a screen reader reads it aloud with Welsh pronunciation.
ENGLISH_FRAME = [
    "Skip to main content",
    "The criteria",
    "Sign in",
    "Create an account",
    "In effect from",
    "A certificate lasts",
    "The scale",
    "Every criterion is scored on this scale.",
    "How the mark is awarded",
    "Evidence we expect",
    "Care Quality Mark — a quality mark for social-care co-operatives.",
]


def test_welsh_criteria_page_marks_the_english_it_still_shows(page):
    page.goto(RUBRIC + "?lang=cy")
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Marc Ansawdd Gofal")
    misread = page.evaluate(
        """(phrases) => {
          const found = [];
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          while (walker.nextNode()) {
            const text = walker.currentNode.textContent.trim();
            if (!phrases.includes(text)) continue;
            const element = walker.currentNode.parentElement;
            const lang = element.closest('[lang]').getAttribute('lang');
            if (!lang.toLowerCase().startsWith('en')) {
              found.push(`"${text}" (in <${element.tagName.toLowerCase()}>) is marked lang="${lang}"`);
            }
          }
          return [...new Set(found)];
        }""",
        ENGLISH_FRAME,
    )
    assert not misread, (
        "On the Welsh criteria page these English texts are not marked lang=\"en\" (nor translated), so a "
        "screen reader reads them as Welsh:\n  " + "\n  ".join(misread))


def _no_sideways_scrolling(page, screens_dir, name: str) -> None:
    page.wait_for_load_state("load")
    # clientWidth, not innerWidth: in Chromium's phone emulation innerWidth grows with overflowing content.
    widths = page.evaluate("() => ({scroll: document.scrollingElement.scrollWidth, "
                           "inner: document.documentElement.clientWidth})")
    page.screenshot(path=str(screens_dir / f"{name}.png"), full_page=True)
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
        .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).split(' ').join('.') : ''))
        .slice(0, 10)""")
    assert widths["scroll"] <= widths["inner"], (
        f"{page.url} scrolls sideways at {widths['inner']} px: the page is {widths['scroll']} px wide. "
        f"Wider than the window: {wide}")


def test_criteria_page_fits_a_phone(mobile_page, screens_dir, axe_check):
    mobile_page.goto(RUBRIC)
    _no_sideways_scrolling(mobile_page, screens_dir, "rubric-360")
    axe_check(mobile_page)


def test_sign_in_page_fits_a_phone(mobile_page, screens_dir, axe_check):
    mobile_page.goto("/signin")
    _no_sideways_scrolling(mobile_page, screens_dir, "signin-360")
    axe_check(mobile_page)


def test_self_assessment_section_fits_a_phone(mobile_page, live_server, ui, screens_dir, axe_check,
                                              references_check):
    live_server.create_person("nia@example.coop", "Nia Roberts")
    _slug, application_id = live_server.create_coop_with_application("Hafan Co-operative", "nia@example.coop")
    ui.sign_in(mobile_page, "nia@example.coop")
    mobile_page.goto(f"/applications/{application_id}/sections/A")
    expect(mobile_page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^A\. "))
    _no_sideways_scrolling(mobile_page, screens_dir, "section-a-360")
    axe_check(mobile_page)
    references_check(mobile_page)


def test_criteria_page_shows_whether_you_are_signed_in(page, live_server, ui):
    """The criteria page is public but its header is not: it must follow signing in and out."""
    live_server.create_person("owain@example.coop", "Owain Price")
    nav = page.get_by_role("navigation", name="Main")

    page.goto(RUBRIC)
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()

    ui.sign_in(page, "owain@example.coop")
    nav.get_by_role("link", name="The criteria").click()
    page.get_by_role("link", name="Version 1.0.0", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(RUBRIC) + "$"))
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    expect(nav.get_by_role("link", name="Sign in")).to_have_count(0)

    nav.get_by_role("button", name="Sign out").click()
    expect(page.locator(".flashes")).to_contain_text("You are signed out.")
    page.goto(RUBRIC)
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()
    expect(nav.get_by_role("button", name="Sign out")).to_have_count(0)


def test_sign_in_with_the_keyboard_alone(page, live_server, keys):
    live_server.create_person("sian@example.coop", "Siân Evans")
    page.goto("/signin")
    keys.tab_to(page, "input[name=email]")
    page.keyboard.type("sian@example.coop")
    keys.tab_to(page, "input[name=password]")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator(".flashes .flash-success")).to_contain_text("Welcome, Siân Evans.")
