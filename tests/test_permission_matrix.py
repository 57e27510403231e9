"""The permission matrix: every route, every method, every kind of user (see permission_table.py).

The scenario (co-ops, people, a certified application and an open one under review) is built
once per run through the services, on SQLite, and each test starts from a fresh copy of it: the
database file and the instance folder (evidence files, signing key) are copied into the test's
own tmp_path, so a cell that changes something (a member leaving, an owner inviting) cannot
affect another. Everyone signs in once, for real, through /signin; each test's client starts
from that person's session cookie (same secret key, same ids), so it is signed in without paying
for argon2 again.
"""
from __future__ import annotations

import io
import re
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import text
from sqlmodel import select

from applicant_fixtures import pdf_bytes, signed_in
from helpers import PASSWORD, app_environment, csrf_token, enable_two_factor_for_tests
from permission_table import OK, POST_BODIES, TABLE, USERS

REPO = Path(__file__).resolve().parents[1]
SESSION_COOKIE = "qm_session"

# Row counts of these tables, and the state columns below, must not move when a request is refused.
COUNTED_TABLES = (
    "application", "criterion_response", "evidence_item", "assignment", "score", "decision", "certificate",
    "membership", "evidence_criterion", "change_request", "invitation", "organisation", "user_account",
    "staff_role", "assessor_profile", "conflict_override", "moderated_level", "appeal", "complaint",
)
STATE_QUERIES = {
    "application": "SELECT id, status, current_round FROM application ORDER BY id",
    "membership": "SELECT id, user_id, organisation_id, role FROM membership ORDER BY id",
    "assignment": "SELECT id, status FROM assignment ORDER BY id",
    "certificate": "SELECT id, status FROM certificate ORDER BY id",
    "appeal": "SELECT id, status FROM appeal ORDER BY id",
    "complaint": "SELECT id, status, handler_id FROM complaint ORDER BY id",
    "evidence_criterion": "SELECT evidence_id, criterion_id FROM evidence_criterion ORDER BY evidence_id, criterion_id",
    "criterion_response": "SELECT id, level, lock_version FROM criterion_response ORDER BY id",
}

# People the scenario needs besides the ten kinds of user (anonymous has no account).
EMAILS = {
    "owner": ("owner@gofal.coop", "Olwen Owner", ()),
    "member": ("member@gofal.coop", "Meic Member", ()),
    "outsider": ("outsider@other.coop", "Osian Outsider", ()),
    "assessor": ("aled@peer.coop", "Aled Assessor", ()),
    "invited": ("dylan@peer.coop", "Dylan Invited", ()),
    "unassigned": ("bethan@peer.coop", "Bethan Assessor", ()),
    "conflicted": ("cai@peer.coop", "Cai Conflicted", ()),
    "officer": ("officer@office.org", "Ffion Officer", ("officer",)),
    "admin": ("admin@office.org", "Ada Admin", ("admin",)),
    # Not kinds of user: they certified gofal's first application.
    "decider": ("officer2@office.org", "Nia Officer", ("officer",)),
    "first_assessor": ("elin@peer.coop", "Elin Assessor", ()),
    "second_assessor": ("gwyn@peer.coop", "Gwyn Assessor", ()),
}


# --- building the scenario (once per run) ------------------------------------------------------

def _build(app) -> dict[str, object]:
    """Everything the table's placeholders name, made through the services. Returns the values."""
    from qualitymark import db
    from qualitymark.agreements import CURRENT_VERSION
    from qualitymark.models.accounts import Membership, Organisation
    from qualitymark.models.applications import Application, EvidenceItem
    from qualitymark.models.certificates import Certificate
    from qualitymark.models.rubrics import RubricVersion
    from qualitymark.services import applications, evidence, reviews
    from qualitymark.services.accounts import create_staff_user

    result = app.test_cli_runner().invoke(args=["rubrics", "publish", str(REPO / "criteria")])
    assert result.exit_code == 0, result.output

    with app.app_context():
        session = db.session()
        version = session.exec(select(RubricVersion)).one()
        organisations = {}
        for slug in ("gofal", "other-coop", "peer-one", "peer-two", "peer-three"):
            organisations[slug] = Organisation(name=slug.replace("-", " ").title(), slug=slug)
            session.add(organisations[slug])
        session.flush()
        people = {kind: create_staff_user(email, name, PASSWORD, list(roles), confirmed=True)
                  for kind, (email, name, roles) in EMAILS.items()}
        for kind, (_email, _name, roles) in EMAILS.items():
            if set(roles) & {"officer", "admin"}:
                enable_two_factor_for_tests(people[kind])  # staff sign in with a second factor
        for kind, slug, role in [("owner", "gofal", "owner"), ("member", "gofal", "member"),
                                 ("outsider", "other-coop", "owner"), ("assessor", "peer-one", "owner"),
                                 ("unassigned", "peer-two", "owner"), ("invited", "peer-three", "owner")]:
            session.add(Membership(user_id=people[kind].id, organisation_id=organisations[slug].id, role=role))
        session.flush()
        homes = {"assessor": "peer-one", "unassigned": "peer-two", "invited": "peer-three",
                 "conflicted": "gofal", "first_assessor": None, "second_assessor": None}
        for kind, home in homes.items():
            reviews.appoint_assessor(people[kind], reviews.AssessorDetails(
                home_organisation_id=organisations[home].id if home else None, regions=["Gwynedd"],
                languages=["en"], expertise_sections=["A"], capacity_per_quarter=4, active=True),
                actor=people["admin"])
        db.commit()

        gofal, owner, officer = organisations["gofal"], people["owner"], people["officer"]

        def complete_and_submit() -> Application:
            application = applications.start_application(
                gofal, version, actor=owner, agreement_version=CURRENT_VERSION, agreement_accepted=True)
            rubric = applications.rubric_for(application)[1]
            answers = applications.responses(application)
            for section in rubric.sections:
                applications.save_section(application, section, {
                    c.id: applications.Answer(3, "We do this well.", answers[c.id].lock_version)
                    for c in section.criteria}, actor=owner)
            for criterion in (c for c in rubric.criteria() if c.mandatory):
                evidence.add_evidence(application, io.BytesIO(pdf_bytes(criterion.id)), f"{criterion.id}.pdf",
                                      evidence.EvidenceDetails("Our rules", "policy", [criterion.id], None),
                                      actor=owner)
            applications.submit_application(application, actor=owner)
            return application

        # gofal's first application, certified (the decision's job issues the certificate on commit).
        certified = complete_and_submit()
        rubric = applications.rubric_for(certified)[1]
        for kind in ("first_assessor", "second_assessor"):
            assignment = reviews.assign(certified, people[kind], actor=officer)
            reviews.respond(assignment, actor=people[kind], accept=True, no_conflict=True)
            reviews.save_scores(assignment, {c.id: reviews.ScoreInput(3, "Seen.") for c in rubric.criteria()},
                                actor=people[kind])
            reviews.submit_review(assignment, actor=people[kind])
        reviews.moderate(certified, {c.id: (3, "") for c in rubric.criteria()}, actor=officer)
        reviews.complete_moderation(certified, actor=officer)
        reviews.record_decision(certified, outcome="certify", rationale="Meets every rule.", actor=people["decider"])
        db.commit()

        # The owner appeals that decision; a member of the public complains about gofal.
        from qualitymark.services import appeals, complaints

        appeal = appeals.appeal_decision(certified, "The scores for section B missed our evidence.", actor=owner)
        complaint = complaints.make_complaint(complaints.ComplaintDetails(
            name="Pat Public", email="pat@example.org", text="Nobody answered the phone.", organisation=gofal))
        db.commit()

        # gofal's renewal: submitted, assigned, accepted by one assessor, then changes requested.
        application = complete_and_submit()
        accepted = reviews.assign(application, people["assessor"], actor=officer)
        reviews.respond(accepted, actor=people["assessor"], accept=True, no_conflict=True)
        reviews.assign(application, people["invited"], actor=officer)
        applications.request_changes(application, {None: "Say more about how members take part."}, actor=officer)
        db.commit()

        session = db.session()
        assert session.get(Application, application.id).status == "changes_requested"
        certificate = session.exec(select(Certificate).where(Certificate.application_id == certified.id)).one()

        # Eleven months on, the owner's first annual declaration reports a change (the office must review it).
        from datetime import timedelta

        from qualitymark.clock import set_clock, utcnow
        from qualitymark.models.lifecycle import Notification
        from qualitymark.services import lifecycle

        later = utcnow() + timedelta(days=340)
        set_clock(lambda: later)
        try:
            declared = lifecycle.make_declaration(certificate, 1, outcome="changes_reported",
                                                  changes="We merged with a neighbouring co-op.", actor=owner)
            db.commit()
        finally:
            set_clock(None)
        notification_id = session.exec(select(Notification.id).where(
            Notification.user_id == owner.id).order_by(Notification.id)).first()
        assert notification_id is not None
        evidence_id = session.exec(select(EvidenceItem.id).where(
            EvidenceItem.application_id == application.id).order_by(EvidenceItem.id)).first()
        member_membership = session.exec(select(Membership.id).where(
            Membership.user_id == people["member"].id, Membership.organisation_id == gofal.id)).one()
        return {
            "values": {
                "slug": "gofal", "application_id": application.id, "section_id": "A", "evidence_id": evidence_id,
                "assignment_id": accepted.id, "number": 1, "code": certificate.public_code,
                "token": "not-a-real-token", "scheme": version.scheme, "version": version.version,
                "purpose": "revocation", "membership_id": member_membership,
                "appeal_id": appeal.id, "complaint_id": complaint.id,
                "year": 1, "declaration_id": declared.id, "notification_id": notification_id,
            },
            "users": {kind: (people[kind].id, people[kind].email) for kind in USERS if kind in people},
        }


@dataclass
class Template:
    database: Path
    instance: Path
    values: dict[str, object]
    sessions: dict[str, tuple[str, str]]  # kind -> (session cookie, CSRF token)


@pytest.fixture(scope="session")
def scenario_template(tmp_path_factory, sqlite_template) -> Template:
    from qualitymark import create_app
    from qualitymark.config import load_settings
    from qualitymark.db import database

    root = tmp_path_factory.mktemp("permission-matrix")
    path = root / "scenario.db"
    shutil.copy(sqlite_template, path)
    app = create_app(load_settings(app_environment(root, f"sqlite:///{path}")), SERVER_NAME="localhost")
    try:
        built = _build(app)
        sessions = {}
        for kind in USERS:
            if kind == "anonymous":
                client = app.test_client()
            else:
                user_id, email = built["users"][kind]
                client = signed_in(app, SimpleNamespace(id=user_id, email=email)).client
                with client.session_transaction() as session:
                    assert session.get("_user_id", "").startswith(f"{user_id}:"), f"{kind} is not signed in"
            token = csrf_token(client, "/verify")  # any page with a form: the token belongs to the session
            sessions[kind] = (client.get_cookie(SESSION_COOKIE).value, token)
    finally:
        database(app).dispose()
    connection = sqlite3.connect(path)  # fold the WAL into the file, so copying the file copies it all
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return Template(path, root / "instance", built["values"], sessions)


@pytest.fixture
def database_url(scenario_template, tmp_path):
    """Overrides conftest's: SQLite only, and a fresh copy of the scenario for each test."""
    path = tmp_path / "qualitymark.db"
    shutil.copy(scenario_template.database, path)
    shutil.copytree(scenario_template.instance, tmp_path / "instance")
    return f"sqlite:///{path}"


# --- one test's scenario ------------------------------------------------------------------------

class Scenario:
    def __init__(self, app, template: Template):
        self.app = app
        self.template = template
        self.values = template.values
        self._clients: dict[str, object] = {}

    def client(self, kind: str):
        """`kind`'s client, signed in (or not, for anonymous); made once per test."""
        if kind not in self._clients:
            client = self.app.test_client()
            client.set_cookie(SESSION_COOKIE, self.template.sessions[kind][0])
            self._clients[kind] = client
        return self._clients[kind]

    def fill(self, template: str) -> str:
        return template.format(**self.values)

    def request(self, kind: str, path: str, label: str):
        client = self.client(kind)
        method = label.split()[0]
        url = self.fill(path)
        if method == "GET":
            return client.get(url)
        body = {name: self.fill(value) for name, value in POST_BODIES.get((path, label), {}).items()}
        return client.open(url, method=method, data={"csrf_token": self.template.sessions[kind][1], **body})

    def state(self) -> dict[str, object]:
        from qualitymark.db import database

        with database(self.app).engine.connect() as connection:
            counts = {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                      for table in COUNTED_TABLES}
            rows = {name: [tuple(row) for row in connection.execute(text(query))]
                    for name, query in STATE_QUERIES.items()}
        return {"counts": counts, **rows}


@pytest.fixture
def scenario(app, scenario_template) -> Scenario:
    return Scenario(app, scenario_template)


def answer(response) -> object:
    """What the person got, in the table's words."""
    if response.status_code in (301, 302, 303, 307, 308):
        location = urlsplit(response.headers.get("Location", ""))
        if location.path == "/signin" and "next" in parse_qs(location.query):
            return "signin"
        return OK
    if 200 <= response.status_code < 300 or response.status_code == 304:
        return OK
    return response.status_code


# --- the tests ------------------------------------------------------------------------------------

def route_template(rule) -> str:
    """/applications/<int:application_id> -> /applications/{application_id}"""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)


def test_the_table_covers_every_route(app):
    needed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in {"GET"} | (rule.methods - {"HEAD", "OPTIONS"}):
            needed.add((route_template(rule), method))
    in_table = [(path, label.split()[0]) for path, label, _answers in TABLE]
    missing = sorted(needed - set(in_table))
    unknown = sorted(set(in_table) - needed)
    assert not missing, "routes with no row in the permission matrix (add it to tests/permission_table.py): " + \
        "; ".join(f"{method} {path}" for path, method in missing)
    assert not unknown, "rows in tests/permission_table.py for routes the app does not have: " + \
        "; ".join(f"{method} {path}" for path, method in unknown)
    rows = [(path, label) for path, label, _answers in TABLE]
    assert len(rows) == len(set(rows)), "a (route, method) appears twice in tests/permission_table.py"


CELLS = [
    pytest.param(path, label, kind, expected, id=f"{label} {path} as {kind}")
    for path, label, answers in TABLE
    for kind, expected in zip(USERS, answers)
]


@pytest.mark.parametrize("path, label, kind, expected", CELLS)
def test_permission(scenario, path, label, kind, expected):
    before = scenario.state() if expected != OK else None
    response = scenario.request(kind, path, label)
    response.close()  # a file download holds its file open until then
    got = answer(response)
    changed = before is not None and scenario.state() != before
    where = f" to {response.headers['Location']}" if "Location" in response.headers else ""
    assert got == expected, (
        f"{label} {path} ({scenario.fill(path)}) as {kind} ({USERS[kind]}): expected {expected}, got {got} "
        f"(HTTP {response.status_code}{where})" + (", and it changed the data" if changed else ""))
    assert not changed, f"{label} {path} as {kind} was refused ({got}) but changed the data"
