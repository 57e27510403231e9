"""Real-browser tests: Playwright for Python driving Debian's Chromium against a live server.

Each test gets its own app on a freshly migrated SQLite database with the real rubric published,
served by werkzeug on 127.0.0.1 (a free port) in a background thread. Emails land in
`live_server.outbox` (the memory mail backend).

Fixtures: `live_server`, `browser`, `new_context` (a factory), `context` / `page` (1280x900),
`mobile_context` / `mobile_page` (360x740), `axe_check`, `references_check`, `keys` (keyboard-only
helpers) and `ui` (signing in through the form). When a test fails, a screenshot, the HTML and the
console messages of every page it opened are saved in tests/browser/artifacts/<test name>/.

Without Chromium or the playwright package the tests are skipped with a message saying what to
install; in CI (CI=true) they fail instead.
"""
from __future__ import annotations

import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from helpers import IN_CI, PASSWORD, TEST_SECRET

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # said clearly by the `browser` fixture
    expect = sync_playwright = None

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ARTIFACTS = HERE / "artifacts"
SCREENS = ARTIFACTS / "screens"
AXE_PATH = HERE / "vendor" / "axe.min.js"
CHROMIUM = os.environ.get("QUALITYMARK_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PLAYWRIGHT_REQUIREMENT = "playwright>=1.49,<2"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = {"serious", "critical"}
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 360, "height": 740}
TIMEOUT_MS = 15_000


# --- artefacts of failed tests ---------------------------------------------------------------

_REPORTS = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # Read back by `new_context` at teardown, before the pages are closed.
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def _failed(item) -> bool:
    reports = item.stash.get(_REPORTS, {})
    return any(report.failed for report in reports.values())


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:120] or "test"


def _save_artefacts(item, pages: list, logs: dict) -> Path | None:
    if not pages:
        return None
    folder = ARTIFACTS / _safe_name(item.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    for number, page in enumerate(pages, start=1):
        stem = folder / f"page{number}"
        notes = [f"url: {_quietly(lambda: page.url)}"]
        try:
            page.screenshot(path=f"{stem}.png", full_page=True, timeout=5_000)
        except Exception as error:  # a crashed or closed page: say so, keep going
            notes.append(f"no screenshot: {error}")
        try:
            Path(f"{stem}.html").write_text(page.content(), encoding="utf-8")
        except Exception as error:
            notes.append(f"no HTML: {error}")
        notes += ["", "console and page errors:"] + (logs.get(id(page)) or ["(none)"])
        Path(f"{stem}.txt").write_text("\n".join(notes) + "\n", encoding="utf-8")
    return folder


def _quietly(read):
    try:
        return read()
    except Exception as error:
        return f"({error})"


# --- the live server -------------------------------------------------------------------------

class _Dispatcher:
    """The WSGI app the server runs: the real app is plugged in once the port is known."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@dataclass
class LiveServer:
    url: str
    app: object
    outbox: list = field(repr=False)

    def emails_to(self, address: str) -> list:
        return [message for message in list(self.outbox) if message["To"] == address]

    def confirmation_link(self, address: str) -> str:
        for message in reversed(self.emails_to(address)):
            if "confirm" in message["Subject"].lower():
                match = re.search(r"https?://\S+/confirm/\S+", message.get_content())
                assert match, f"The confirmation email to {address} has no link:\n{message.get_content()}"
                return match.group(0)
        subjects = [m["Subject"] for m in self.emails_to(address)]
        raise AssertionError(f"No confirmation email to {address}; emails to it: {subjects}")

    # Data the test needs but is not what it is testing (the journey test does all of this by hand).

    def create_person(self, email: str, name: str, password: str = PASSWORD) -> int:
        from qualitymark import db
        from qualitymark.services.accounts import create_staff_user

        with self.app.app_context():
            user = create_staff_user(email, name, password, [], confirmed=True)
            db.commit()
            return user.id

    def create_coop(self, name: str, owner_email: str, member_emails=()) -> str:
        """A user-led co-op owned by `owner_email` (people using services hold 60% of the votes)."""
        from decimal import Decimal

        from qualitymark import db
        from qualitymark.models.accounts import Membership
        from qualitymark.services import organisations
        from qualitymark.services.accounts import find_user

        with self.app.app_context():
            profile = organisations.Profile(
                name=name, legal_form="Co-operative society", registered_number="", region="Gwynedd",
                coop_type="user_led", services="Home care", consortia=[],
                stakeholders={"people_using_services": (30, Decimal(60)), "workers": (12, Decimal(40))},
            )
            organisation = organisations.create_organisation(profile, owner=find_user(owner_email))
            for email in member_emails:
                db.session().add(Membership(user_id=find_user(email).id, organisation_id=organisation.id,
                                            role="member"))
            db.commit()
            return organisation.slug

    def create_coop_with_application(self, name: str, owner_email: str, member_emails=()) -> tuple[str, int]:
        """`create_coop`, plus an open application on the published rubric started by the owner."""
        from qualitymark import db
        from qualitymark.agreements import agreement
        from qualitymark.services import applications, organisations
        from qualitymark.services.accounts import find_user
        from qualitymark.services.rubrics import list_versions

        slug = self.create_coop(name, owner_email, member_emails)
        with self.app.app_context():
            version = next(v for v in list_versions() if not v.is_retired)
            application = applications.start_application(
                organisations.get_by_slug(slug), version, actor=find_user(owner_email),
                agreement_version=agreement().version, agreement_accepted=True)
            db.commit()
            return slug, application.id


def _settings_environment(tmp_path: Path, database_url: str, base_url: str) -> dict[str, str]:
    return {
        "QUALITYMARK_ENV": "testing",
        "QUALITYMARK_INSTANCE_DIR": str(tmp_path / "instance"),
        "QUALITYMARK_DATABASE_URL": database_url,
        "QUALITYMARK_SECRET_KEY": TEST_SECRET,
        "QUALITYMARK_BASE_URL": base_url,
        "QUALITYMARK_MAIL_BACKEND": "memory",
        "QUALITYMARK_CRITERIA_DIR": str(REPO / "criteria"),
    }


@pytest.fixture
def live_server(tmp_path):
    from werkzeug.serving import make_server

    from qualitymark import create_app
    from qualitymark.cli import upgrade_database
    from qualitymark.config import load_settings
    from qualitymark.db import database

    database_url = f"sqlite:///{tmp_path / 'qualitymark.db'}"
    upgrade_database(database_url)

    dispatcher = _Dispatcher()
    server = make_server("127.0.0.1", 0, dispatcher, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app = create_app(load_settings(_settings_environment(tmp_path, database_url, base_url)))
    published = app.test_cli_runner().invoke(args=["rubrics", "publish", str(REPO / "criteria")])
    assert published.exit_code == 0, f"Publishing the rubric failed:\n{published.output}"
    dispatcher.app = app

    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="live-server",
                              daemon=True)
    thread.start()
    try:
        yield LiveServer(url=base_url, app=app, outbox=app.extensions.setdefault("qualitymark.outbox", []))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        database(app).dispose()


# --- the browser -----------------------------------------------------------------------------

def _missing_requirements() -> list[str]:
    missing = []
    if sync_playwright is None:
        missing.append(f"the Python package playwright (.venv/bin/pip install '{PLAYWRIGHT_REQUIREMENT}')")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"Chromium at {CHROMIUM} (apt-get install -y chromium)")
    return missing


@pytest.fixture(scope="session")
def browser():
    missing = _missing_requirements()
    if missing:
        message = "The browser tests need " + " and ".join(missing) + "."
        if IN_CI:
            pytest.fail(f"CI must run the browser tests, but they cannot start. {message}", pytrace=False)
        pytest.skip(f"{message} Not installed, so the browser tests are skipped in this run.")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def new_context(request, browser, live_server):
    """Factory: `new_context()` for a desktop window, `new_context(mobile=True)` for a 360 px phone.

    Every page opened in these contexts is watched: console messages and page errors are kept,
    and if the test fails each page's screenshot, HTML and messages are saved as artefacts.
    """
    contexts, pages, logs = [], [], {}

    def watch(page):
        pages.append(page)
        log = logs.setdefault(id(page), [])
        page.on("console", lambda message: log.append(f"console.{message.type}: {message.text}"))
        page.on("pageerror", lambda error: log.append(f"page error: {error}"))
        page.on("response", lambda response: response.status >= 400
                and log.append(f"HTTP {response.status}: {response.request.method} {response.url}"))
        page.on("requestfailed", lambda request: log.append(f"request failed: {request.method} {request.url}"))

    def factory(*, mobile: bool = False):
        options = dict(base_url=live_server.url, locale="en-GB", timezone_id="Europe/London")
        if mobile:
            options.update(viewport=MOBILE, screen=MOBILE, is_mobile=True, has_touch=True, device_scale_factor=1)
        else:
            options.update(viewport=DESKTOP)
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.on("page", watch)
        contexts.append(context)
        return context

    yield factory
    try:
        if _failed(request.node):
            folder = _save_artefacts(request.node, pages, logs)
            if folder:
                print(f"\nScreenshots and HTML of the failed test: {folder}")
        else:  # what an earlier failure left is out of date now
            shutil.rmtree(ARTIFACTS / _safe_name(request.node.name), ignore_errors=True)
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def mobile_context(new_context):
    return new_context(mobile=True)


@pytest.fixture
def mobile_page(mobile_context):
    return mobile_context.new_page()


# --- accessibility ---------------------------------------------------------------------------

_AXE_RUN = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  const brief = (list) => list.map(rule => ({
    id: rule.id, impact: rule.impact, help: rule.help, helpUrl: rule.helpUrl,
    nodes: rule.nodes.map(node => ({target: node.target, html: node.html, summary: node.failureSummary})),
  }));
  return {violations: brief(results.violations), incomplete: brief(results.incomplete)};
}"""

# ARIA and label references that point at nothing: axe only lists some of these as "needs review",
# yet a hint or error message that is referenced but missing is never read to anyone.
_BROKEN_REFERENCES = """() => {
  const problems = [];
  const describe = (element) => {
    let text = '<' + element.tagName.toLowerCase();
    for (const name of ['id', 'name', 'type']) {
      if (element.getAttribute(name)) text += ` ${name}="${element.getAttribute(name)}"`;
    }
    return text + '>';
  };
  for (const attribute of ['aria-describedby', 'aria-labelledby', 'aria-errormessage', 'aria-controls', 'aria-owns']) {
    for (const element of document.querySelectorAll(`[${attribute}]`)) {
      for (const id of element.getAttribute(attribute).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) {
          problems.push(`${describe(element)} has ${attribute}="${element.getAttribute(attribute)}", but no element has id "${id}"`);
        }
      }
    }
  }
  for (const label of document.querySelectorAll('label[for]')) {
    if (!document.getElementById(label.htmlFor)) {
      problems.push(`<label for="${label.htmlFor}"> ("${label.textContent.trim()}") labels nothing: no element has that id`);
    }
  }
  return problems;
}"""


def _axe_source() -> str:
    if not AXE_PATH.is_file():
        pytest.fail(
            f"axe-core is missing: {AXE_PATH} should be vendored in the repository. Restore it with "
            "`npm pack axe-core@4` and copy package/axe.min.js there (see tests/browser/vendor/README.md).",
            pytrace=False,
        )
    return AXE_PATH.read_text(encoding="utf-8")


def _format_rules(rules: list[dict]) -> str:
    lines = []
    for rule in rules:
        lines.append(f"  [{rule['impact']}] {rule['id']}: {rule['help']} ({rule['helpUrl']})")
        for node in rule["nodes"]:
            lines.append(f"      at {' '.join(map(str, node['target']))}")
            lines.append(f"         {node['html'][:200]}")
            if node.get("summary"):
                lines.append("         " + node["summary"].replace("\n", "\n         "))
    return "\n".join(lines)


@pytest.fixture
def axe_check():
    """`axe_check(page)`: run axe-core (WCAG 2.0/2.1 A and AA, 2.2 AA) on the page as it is now.

    Fails on any violation of impact serious or critical, naming the rule, its impact and help, and
    the selectors of the elements; lesser violations and "needs review" results are printed (pytest
    shows them for a failed test, or with -rP).

    axe is injected with `page.evaluate`, which Playwright runs through the DevTools protocol: the
    app's strict Content-Security-Policy stays on (no bypass_csp), so the test sees the page as a
    person's browser does.
    """
    source = _axe_source()

    def check(page) -> dict:
        page.wait_for_load_state("load")
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(source + "\n;undefined")
        results = page.evaluate(_AXE_RUN, AXE_TAGS)
        blocking = [rule for rule in results["violations"] if rule["impact"] in BLOCKING_IMPACTS]
        lesser = [rule for rule in results["violations"] if rule["impact"] not in BLOCKING_IMPACTS]
        if lesser:
            print(f"\naxe: lesser violations on {page.url}:\n{_format_rules(lesser)}")
        if results["incomplete"]:
            print(f"\naxe: needs review on {page.url}:\n{_format_rules(results['incomplete'])}")
        assert not blocking, (
            f"axe-core found {len(blocking)} serious or critical accessibility problem(s) on {page.url} "
            f"(title {page.title()!r}):\n{_format_rules(blocking)}"
        )
        return results

    return check


@pytest.fixture
def references_check():
    """`references_check(page)`: fail when an aria-describedby / aria-labelledby / label[for] points at an
    id that is not on the page (axe reports these only as "needs review", so `axe_check` passes them)."""

    def check(page) -> None:
        broken = page.evaluate(_BROKEN_REFERENCES)
        assert not broken, (
            f"Broken ARIA/label references on {page.url}: the text they point at is not on the page, so "
            "nobody (sighted or not) gets it:\n  " + "\n  ".join(broken)
        )

    return check


# --- keyboard --------------------------------------------------------------------------------

_DESCRIBE_ACTIVE = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return '(the page itself)';
  const bits = [e.tagName.toLowerCase()];
  for (const name of ['id', 'name', 'type', 'value']) if (e.getAttribute(name)) bits.push(`${name}=${e.getAttribute(name)}`);
  const text = (e.innerText || e.getAttribute('aria-label') || '').trim().slice(0, 40);
  if (text) bits.push(JSON.stringify(text));
  return bits.join(' ');
}"""


class Keys:
    """Moving around a page the way a keyboard user does: only key presses, never clicks."""

    def tab_to(self, page, selector: str, *, backwards: bool = False, limit: int = 150) -> int:
        """Press Tab (or Shift+Tab) until the focused element matches `selector`; return the presses."""
        key = "Shift+Tab" if backwards else "Tab"
        path = []
        for presses in range(1, limit + 1):
            page.keyboard.press(key)
            if page.evaluate("(selector) => !!document.activeElement && document.activeElement.matches(selector)",
                             selector):
                return presses
            path.append(page.evaluate(_DESCRIBE_ACTIVE))
        raise AssertionError(
            f"Pressed {key} {limit} times on {page.url} without reaching {selector!r}. Focus went to:\n  "
            + "\n  ".join(path[:60])
        )

    def focused(self, page) -> str:
        return page.evaluate(_DESCRIBE_ACTIVE)

    def focus_style(self, page) -> dict:
        """The computed outline and box-shadow of the focused element."""
        return page.evaluate("""() => {
          const style = getComputedStyle(document.activeElement);
          return {outlineStyle: style.outlineStyle, outlineWidth: style.outlineWidth, outlineColor: style.outlineColor,
                  boxShadow: style.boxShadow, focusVisible: document.activeElement.matches(':focus-visible')};
        }""")


@pytest.fixture
def keys() -> Keys:
    return Keys()


# --- people ----------------------------------------------------------------------------------

class UI:
    def __init__(self, live_server: LiveServer):
        self.server = live_server

    def sign_in(self, page, email: str, password: str = PASSWORD) -> None:
        page.goto("/signin")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator(".flashes .flash-success")).to_contain_text("Welcome")


@pytest.fixture
def ui(live_server) -> UI:
    return UI(live_server)


@pytest.fixture(scope="session")
def screens_dir() -> Path:
    """Screenshots kept for a person to look at (not only on failure)."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    return SCREENS
