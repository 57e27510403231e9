"""A synthetic Care Quality Mark on PostgreSQL, at two sizes, for the benchmarks.

    python -m bench.dataset small|large [--database NAME] [--work DIR]

The database is created afresh, migrated with `qualitymark db upgrade` and given the real rubric
with `qualitymark rubrics publish`; then everything else is inserted in bulk with psycopg's COPY.
One certificate is issued for real by the app's own service (so the signing key, both status lists
and one signed credential exist exactly as the app makes them); the other certificates reuse that
credential's JSON as a template, with their own codes and status-list indices, and the status lists
are set and signed again by the app for the suspended and withdrawn ones.

Sizes (the issue's figures): large is 10,000 co-ops, 10,000 applications in the workflow, 40,000
reviews with a score row per criterion for every submitted review, 10,000 certificates. Small is a
hundredth of that. Because a certificate belongs to exactly one certified application, the
certificates that the current applications do not account for belong to the co-ops' earlier,
certified applications (their previous certification cycle); those are counted separately.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import string
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import psycopg
from dateutil.relativedelta import relativedelta

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (BIN, PASSWORD, PG_ADMIN_URL, TOTP_SECRET, app_env, log, psycopg_url, run,
                          sqlalchemy_url)


@dataclass(frozen=True)
class Size:
    name: str
    organisations: int
    applications: int  # in the workflow, one per co-op, states spread
    reviews: int  # assignments
    certificates: int
    assessors: int


SIZES = {
    "small": Size("small", organisations=100, applications=100, reviews=400, certificates=100, assessors=20),
    "large": Size("large", organisations=10_000, applications=10_000, reviews=40_000, certificates=10_000,
                  assessors=2_000),
}

# Where the workflow's applications stand (shares of the current applications).
STATE_SHARES = [
    ("draft", 0.14), ("submitted", 0.10), ("in_review", 0.16), ("moderation", 0.08),
    ("decision_pending", 0.07), ("changes_requested", 0.03), ("certified", 0.35), ("declined", 0.05),
    ("withdrawn", 0.02),
]
CERTIFICATE_STATUS_SHARES = [("active", 0.88), ("suspended", 0.08), ("withdrawn", 0.04)]
REVIEWED = {"in_review", "moderation", "decision_pending", "changes_requested", "certified", "declined"}
MODERATED = {"decision_pending", "certified", "declined"}
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ASSESSOR_QUEUE = 20  # the signed-in assessor's assignments
REGISTER_QUERIES = ["gofal", "care", "caerdydd", "support", "cyf", "home"]

PLACES = [
    "Ynys Môn", "Gwynedd", "Conwy", "Denbighshire", "Flintshire", "Wrexham", "Powys", "Ceredigion",
    "Pembrokeshire", "Carmarthenshire", "Swansea", "Neath Port Talbot", "Bridgend", "Vale of Glamorgan",
    "Cardiff", "Rhondda Cynon Taf", "Merthyr Tydfil", "Caerphilly", "Blaenau Gwent", "Torfaen",
    "Monmouthshire", "Newport", "Cheshire", "Shropshire", "Bristol", "Manchester", "Leeds", "Glasgow",
]
TOWNS = [
    "Aberystwyth", "Bangor", "Caerdydd", "Caernarfon", "Llandudno", "Wrecsam", "Abertawe", "Casnewydd",
    "Dinbych", "Y Bala", "Machynlleth", "Llanelli", "Aberteifi", "Pwllheli", "Dolgellau", "Rhuthun",
    "Porthmadog", "Treorci", "Merthyr", "Y Fenni", "Hwlffordd", "Llanidloes", "Ffestiniog", "Amlwch",
]
PREFIXES = ["Cwmni Gofal", "Gofal Cymunedol", "Home Support", "Care Together", "Cydweithfa Gofal",
            "Community Care", "Cartrefi", "Llais", "Companions", "Caring Hands", "Cymorth", "Cysylltu"]
SUFFIXES = ["Co-operative", "Cyf", "Co-op", "Social Co-operative", "Care Co-op", "Cydweithredol"]
SERVICES = ["Home care", "Supported living", "Day opportunities", "Respite care", "Community support",
            "Personal assistants", "Extra care housing", "Reablement", "Dementia care", "Mental health support"]
COOP_TYPES = ["worker", "consumer", "multi_stakeholder", "user_led", "social"]
STAKEHOLDERS = ["people_using_services", "workers", "volunteers", "family_members", "supporters"]
NARRATIVES = [
    "We hold members' meetings every quarter; minutes and attendance are in the evidence.",
    "People who use our services sit on the board and chair the quality group.",
    "Our care workers own the co-op and vote on rotas, pay and training.",
    "We ask the people we support and their families every six months and publish what we changed.",
    "Safeguarding training is refreshed yearly; the register shows every worker's dates.",
]
RATIONALES = [
    "Minutes and the survey both show consistent practice.",
    "Policy exists; practice is uneven across the two teams.",
    "Strong evidence from people who use the service, co-produced.",
    "One source only: the register. Asked for more at moderation.",
]


@dataclass
class Manifest:
    """What the benchmarks need to know about a built dataset (written next to it as JSON)."""

    size: str
    database: str
    counts: dict[str, int] = field(default_factory=dict)
    build_seconds: dict[str, float] = field(default_factory=dict)
    password: str = PASSWORD
    totp_secret: str | None = None
    officer_web: str = ""
    officer_inprocess: str = ""
    assessor: str = ""
    assessor_assignments: int = 0
    member: str = ""
    upload_application_id: int = 0
    certificate_codes: list[str] = field(default_factory=list)  # a sample, for /c/<code>
    register_queries: list[str] = field(default_factory=list)
    issue_decision_ids: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- helpers ------------------------------------------------------------------------------------

def _spread(rng: random.Random, total: int, shares: list[tuple[str, float]]) -> list[str]:
    """Exactly `total` labels in the given proportions (largest remainders), shuffled."""
    raw = [(label, share * total) for label, share in shares]
    counts = {label: int(value) for label, value in raw}
    rest = total - sum(counts.values())
    for label, value in sorted(raw, key=lambda item: item[1] - int(item[1]), reverse=True)[:rest]:
        counts[label] += 1
    labels = [label for label, count in counts.items() for _ in range(count)]
    rng.shuffle(labels)
    return labels


def _code(rng: random.Random) -> str:
    return "CQM-" + "".join(rng.choice(CROCKFORD) for _ in range(10))


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc) + timedelta(seconds=rng.randrange(8 * 3600, 18 * 3600))


class _Copier:
    """COPY rows into a table, after checking that every NOT NULL column without a default is given
    (the schema is being changed by others: fail with the column's name, not a constraint error)."""

    def __init__(self, connection: psycopg.Connection):
        self.connection = connection
        self.counts: dict[str, int] = {}

    def columns_of(self, table: str) -> dict[str, tuple[bool, bool]]:
        rows = self.connection.execute(
            "SELECT column_name, is_nullable = 'YES', column_default IS NOT NULL FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = %s", (table,)).fetchall()
        return {name: (nullable, has_default) for name, nullable, has_default in rows}

    def copy(self, table: str, columns: list[str], rows) -> int:
        known = self.columns_of(table)
        if not known:
            raise RuntimeError(f"table {table} does not exist: the schema changed; update bench/dataset.py")
        unknown = [c for c in columns if c not in known]
        if unknown:
            raise RuntimeError(f"{table} has no column {unknown}: the schema changed; update bench/dataset.py")
        required = [c for c, (nullable, has_default) in known.items()
                    if not nullable and not has_default and c not in columns]
        if required:
            raise RuntimeError(f"{table}.{required} is NOT NULL without a default and the dataset does not fill it: "
                               "the schema changed; update bench/dataset.py")
        count = 0
        with self.connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        self.counts[table] = self.counts.get(table, 0) + count
        return count


# --- the build --------------------------------------------------------------------------------

def create_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build(size: Size, database: str, work: Path, *, issue_n: int = 200, seed: int = 20261122) -> Manifest:
    """Build `size` into a new database `database`; local state (signing key) goes under `work`."""
    rng = random.Random(f"{seed}-{size.name}")
    manifest = Manifest(size=size.name, database=database)
    timings = manifest.build_seconds
    started = time.perf_counter()
    work.mkdir(parents=True, exist_ok=True)
    dev_env = app_env(work, database, production=False)

    create_database(database)
    run([str(BIN / "qualitymark"), "db", "upgrade"], env=dev_env)
    run([str(BIN / "qualitymark"), "rubrics", "publish"], env=dev_env)
    timings["create_migrate_publish"] = time.perf_counter() - started

    from qualitymark.rubrics import Scorer, rubric_from_canonical_json, text
    from qualitymark.services.accounts import hash_password

    with psycopg.connect(psycopg_url(database)) as connection:
        version_id, canonical = connection.execute(
            "SELECT id, canonical FROM rubric_version WHERE scheme = 'care-quality-mark' ORDER BY id LIMIT 1").fetchone()
        rubric = rubric_from_canonical_json(canonical.encode())
        criteria = [c.id for c in rubric.criteria()]
        awards = {a.id: (text(a.name, "en"), text(a.name, "cy")) for a in rubric.awards}
        scorer = Scorer(rubric)
        verdicts = {level: json.dumps(scorer.score({cid: level for cid in criteria}).to_dict())
                    for level in (1, 3, 4)}
        validity = rubric.validity_months

        phase = time.perf_counter()
        copier = _Copier(connection)
        now = datetime.now(timezone.utc)
        today = now.date()
        password_hash = hash_password(PASSWORD)  # one argon2 hash, shared: hashing 20,000 would take minutes
        staff_2fa = "totp_secret" in copier.columns_of("user_account")

        # --- people ---
        users, roles, profiles, memberships = [], [], [], []
        user_id = 0

        def add_user(email: str, name: str, *, staff: bool = False) -> int:
            nonlocal user_id
            user_id += 1
            row = [user_id, email, name, password_hash, now - timedelta(days=400), 0, "en", True,
                   now - timedelta(days=400)]
            if staff_2fa:
                row += [TOTP_SECRET if staff else None, (now - timedelta(days=300)) if staff else None]
            users.append(row)
            return user_id

        officers = []
        for number in range(1, 6):
            officers.append(add_user(f"officer{number}@bench.example", f"Officer {number}", staff=True))
            roles.append((officers[-1], "officer", now - timedelta(days=400)))
        admin = add_user("admin1@bench.example", "Admin 1", staff=True)
        roles.append((admin, "admin", now - timedelta(days=400)))
        assessors = []
        for number in range(1, size.assessors + 1):
            assessors.append(add_user(f"assessor{number}@bench.example", f"Assessor {number}"))
            roles.append((assessors[-1], "assessor", now - timedelta(days=380)))
        manifest.officer_web, manifest.officer_inprocess = "officer1@bench.example", "officer2@bench.example"
        manifest.assessor = "assessor1@bench.example"
        if staff_2fa:
            manifest.totp_secret = TOTP_SECRET

        # --- co-ops ---
        organisations, stakeholders = [], []
        members_of: dict[int, list[int]] = {}
        for org in range(1, size.organisations + 1):
            name = f"{rng.choice(PREFIXES)} {rng.choice(TOWNS)} {rng.choice(SUFFIXES)}"
            slug = "".join(ch if ch in string.ascii_lowercase + string.digits else "-" for ch in name.lower())
            slug = "-".join(part for part in slug.split("-") if part)[:60] + f"-{org}"
            created = now - timedelta(days=rng.randrange(500, 2000))
            organisations.append((org, name, slug, "Co-operative society", f"RS{rng.randrange(10000, 99999)}",
                                  rng.choice(PLACES), rng.choice(COOP_TYPES),
                                  "\n".join(rng.sample(SERVICES, rng.randint(1, 3))), created, created))
            for kind_number, kind in enumerate(rng.sample(STAKEHOLDERS, rng.randint(2, 3))):
                stakeholders.append((org, kind, rng.randint(5, 120), [6000, 3000, 1000][kind_number]))
            members = []
            for number in range(rng.choice((1, 2, 2, 3))):
                member = add_user(f"member{number + 1}.coop{org}@bench.example", f"Member {number + 1} of co-op {org}")
                members.append(member)
                memberships.append((member, org, "owner" if number == 0 else "member", created))
            members_of[org] = members
        manifest.member = "member1.coop1@bench.example"
        for assessor in assessors:
            profiles.append((assessor, rng.randrange(1, size.organisations + 1), rng.choice(PLACES), "en,cy",
                             "", 8, True, admin, now - timedelta(days=380)))

        user_columns = ["id", "email", "name", "password_hash", "email_confirmed_at", "session_epoch", "locale",
                        "is_active", "created_at"] + (["totp_secret", "totp_enabled_at"] if staff_2fa else [])
        copier.copy("user_account", user_columns, users)
        copier.copy("staff_role", ["user_id", "role", "granted_at"], roles)
        copier.copy("organisation", ["id", "name", "slug", "legal_form", "registered_number", "region", "coop_type",
                                     "services", "created_at", "updated_at"], organisations)
        copier.copy("stakeholder_class", ["organisation_id", "kind", "member_count", "voting_share_basis_points"],
                    stakeholders)
        copier.copy("membership", ["user_id", "organisation_id", "role", "created_at"], memberships)
        copier.copy("assessor_profile", ["user_id", "home_organisation_id", "regions", "languages",
                                         "expertise_sections", "capacity_per_quarter", "active", "appointed_by_id",
                                         "appointed_at"], profiles)
        timings["people_and_coops"] = time.perf_counter() - phase

        # --- applications: one in the workflow per co-op, earlier certified ones, and N to issue ---
        phase = time.perf_counter()
        states = _spread(rng, size.applications, STATE_SHARES)
        states[0] = "draft"  # co-op 1's: the member uploads evidence to it
        certified_now = states.count("certified")
        history = max(size.certificates - certified_now, 0)
        applications = []  # dicts, turned into rows below
        for index, state in enumerate(states):
            org = index + 1
            applications.append({"id": len(applications) + 1, "org": org, "status": state, "round": 1,
                                 "history": False, "issue": False})
        for org in rng.sample(range(1, size.organisations + 1), min(history, size.organisations)):
            applications.append({"id": len(applications) + 1, "org": org, "status": "certified", "round": 1,
                                 "history": True, "issue": False})
        for _ in range(issue_n):
            applications.append({"id": len(applications) + 1, "org": rng.randrange(1, size.organisations + 1),
                                 "status": "certified", "round": 1, "history": False, "issue": True})
        for app in applications:
            if app["history"]:
                created = today - timedelta(days=rng.randrange(900, 1300))
            elif app["issue"]:
                created = today - timedelta(days=rng.randrange(60, 200))
            else:
                created = today - timedelta(days=rng.randrange(5, 420))
            app["created"] = _at(created, rng)
            app["submitted"] = None if app["status"] == "draft" else app["created"] + timedelta(days=rng.randrange(3, 40))
            app["updated"] = (app["submitted"] or app["created"]) + timedelta(days=rng.randrange(0, 30))
            if app["updated"] > now:
                app["updated"] = now - timedelta(minutes=rng.randrange(1, 600))
            app["decided"] = min(app["updated"], now - timedelta(hours=1))

        # --- reviews (assignments): two per round for the rubric's two assessors ---
        assignments = []  # [app, round, status]

        def reviews_for(app, round_number: int, status: str) -> None:
            for _ in range(2):
                assignments.append([app, round_number, status])

        for app in applications:
            status = app["status"]
            if app["issue"]:
                continue  # added below, once the total is known
            if status == "submitted" and rng.random() < 0.4:
                for _ in range(rng.choice((1, 2))):
                    assignments.append([app, 1, "invited"])
            elif status == "in_review":
                for _ in range(2):
                    assignments.append([app, 1, rng.choice(("invited", "accepted", "accepted", "submitted"))])
            elif status in REVIEWED or app["history"]:
                reviews_for(app, 1, "submitted")
        reviewed = [app for app in applications
                    if not app["issue"] and (app["status"] in REVIEWED - {"in_review"} or app["history"])]
        for app in applications:
            if app["issue"]:
                reviews_for(app, 1, "submitted")
        # Up to the size's number of reviews: second rounds (changes asked for, then reviewed again),
        # then assessors who declined an invitation.
        rng.shuffle(reviewed)
        rows_of: dict[int, list[list]] = {}
        for row in assignments:
            rows_of.setdefault(row[0]["id"], []).append(row)
        for app in reviewed:
            if len(assignments) + 2 > size.reviews:
                break
            app["round"] = 2
            for row in rows_of.get(app["id"], []):
                row[1] = 2
            reviews_for(app, 1, "submitted")
        while len(assignments) < size.reviews:
            assignments.append([rng.choice(reviewed), 1, "declined"])
        del assignments[size.reviews:]

        # Assessors: each gets the same number of reviews, never two on one application.
        pool: list[int] = []
        per_app: dict[int, set[int]] = {}
        for row in assignments:
            taken = per_app.setdefault(row[0]["id"], set())
            skipped = []
            while True:
                if not pool:
                    pool = assessors[:]
                    rng.shuffle(pool)
                candidate = pool.pop()
                if candidate in taken:
                    skipped.append(candidate)
                    continue
                break
            pool.extend(skipped)
            taken.add(candidate)
            row.append(candidate)
        # The signed-in assessor's queue: 20 reviews like everyone's, with open ones in it too (invited and
        # accepted, whose random due dates put them in the overdue, due soon and in progress buckets).
        bench = assessors[0]
        bench_rows = [row for row in assignments if row[3] == bench]
        for wanted in ("invited", "invited", "accepted", "accepted", "accepted", "accepted"):
            mine = {row[0]["id"] for row in bench_rows}
            give = next((row for row in bench_rows if row[2] in ("submitted", "declined")), None)
            take = next((row for row in assignments if row[2] == wanted and row[3] != bench
                         and row[0]["id"] not in mine and bench not in per_app[row[0]["id"]]
                         and row[3] not in per_app[give[0]["id"]]), None) if give else None
            if take is None:
                break
            per_app[give[0]["id"]].discard(bench)
            per_app[give[0]["id"]].add(take[3])
            per_app[take[0]["id"]].discard(take[3])
            per_app[take[0]["id"]].add(bench)
            give[3], take[3] = take[3], bench
            bench_rows = [row for row in assignments if row[3] == bench]
        manifest.assessor_assignments = len(bench_rows)

        assignment_rows, score_rows = [], []
        score_id = 0
        for assignment_id, (app, round_number, status, assessor) in enumerate(assignments, start=1):
            invited = app["submitted"] or app["created"]
            if status in ("invited", "accepted"):
                due = today + timedelta(days=rng.randrange(-20, 45))  # about a third overdue
                invited = _at(due - timedelta(days=28), rng)
            else:
                due = (invited + timedelta(days=28)).date()
            responded = invited + timedelta(days=2) if status != "invited" else None
            declared = responded if status in ("accepted", "submitted") else None
            submitted = invited + timedelta(days=rng.randrange(5, 27)) if status == "submitted" else None
            assignment_rows.append((assignment_id, app["id"], assessor, round_number, status, due, officers[0],
                                    invited, responded, declared,
                                    "Not available this quarter." if status == "declined" else "", submitted))
            if status == "submitted" or status == "accepted":
                given = criteria if status == "submitted" else criteria[:rng.randrange(0, len(criteria))]
                base = rng.choice((2, 3, 3, 4))
                for criterion in given:
                    score_id += 1
                    level = max(0, min(4, base + rng.choice((-1, 0, 0, 0, 1))))
                    score_rows.append((score_id, assignment_id, criterion, level, rng.choice(RATIONALES), "[]",
                                       submitted or invited + timedelta(days=3)))

        # --- application rows, rounds, self-assessment, moderation, decisions ---
        application_rows, round_rows, response_rows, moderated_rows, decision_rows, condition_rows = ([] for _ in range(6))
        decision_id = 0
        for app in applications:
            owner = members_of[app["org"]][0]
            application_rows.append((app["id"], app["org"], version_id, "care-quality-mark", app["status"],
                                     app["round"], owner, app["created"], app["updated"], app["submitted"],
                                     app["updated"] if app["status"] == "withdrawn" else None))
            levels = {criterion: rng.choice((2, 3, 3, 3, 4)) for criterion in criteria}
            answers = {criterion: {"level": levels[criterion], "narrative": rng.choice(NARRATIVES)} for criterion in criteria}
            for number in range(1, app["round"] + 1):
                submitted_round = app["submitted"] is not None and (number < app["round"] or app["status"] not in ("draft", "changes_requested"))
                snapshot = ({"application": app["id"], "round": number, "rubric_version_id": version_id,
                             "responses": answers, "evidence": {}, "evidence_links": {}} if submitted_round else None)
                snapshot_json = json.dumps(snapshot, sort_keys=True, separators=(",", ":")) if snapshot else None
                round_rows.append((app["id"], number, app["created"], app["submitted"] if submitted_round else None,
                                   owner if submitted_round else None, snapshot_json,
                                   hashlib.sha256(snapshot_json.encode()).hexdigest() if snapshot_json else None))
            filled = criteria if app["status"] != "draft" else criteria[:rng.randrange(0, len(criteria))]
            for criterion in filled:
                response_rows.append((app["id"], app["round"], criterion, levels[criterion],
                                      answers[criterion]["narrative"], 1, app["updated"], owner))
            if app["status"] in MODERATED or app["history"] or app["issue"]:
                moderator = officers[1 + app["id"] % 2]
                for criterion in criteria:
                    moderated_rows.append((app["id"], app["round"], criterion, levels[criterion], "", moderator,
                                           app["decided"] - timedelta(days=3)))
            if app["status"] in ("certified", "declined"):
                decision_id += 1
                app["decision"] = decision_id
                if app["status"] == "declined":
                    outcome, award, verdict = "decline", None, verdicts[1]
                else:
                    outcome = "certify_with_conditions" if rng.random() < 0.1 else "certify"
                    award = "excellent" if rng.random() < 0.2 else "mark"
                    verdict = verdicts[4 if award == "excellent" else 3]
                    if outcome == "certify_with_conditions":
                        condition_rows.append((decision_id, "Publish the members' meeting minutes on the website.",
                                               app["decided"].date() + timedelta(days=90)))
                app["award"] = award
                decision_rows.append((decision_id, app["id"], app["round"], outcome, award,
                                      "The moderated scores meet the award's rules; see the verdict.", verdict,
                                      officers[3], app["decided"]))

        copier.copy("application", ["id", "organisation_id", "rubric_version_id", "scheme", "status", "current_round",
                                    "created_by_id", "created_at", "updated_at", "submitted_at", "withdrawn_at"],
                    application_rows)
        copier.copy("application_round", ["application_id", "number", "opened_at", "submitted_at", "submitted_by_id",
                                          "snapshot", "snapshot_sha256"], round_rows)
        copier.copy("criterion_response", ["application_id", "round_number", "criterion_id", "level", "narrative",
                                           "lock_version", "updated_at", "updated_by_id"], response_rows)
        copier.copy("assignment", ["id", "application_id", "assessor_id", "round_number", "status", "due_date",
                                   "assigned_by_id", "invited_at", "responded_at", "no_conflict_declared_at",
                                   "decline_reason", "submitted_at"], assignment_rows)
        copier.copy("score", ["id", "assignment_id", "criterion_id", "level", "rationale", "evidence_ids", "updated_at"],
                    score_rows)
        copier.copy("moderated_level", ["application_id", "round_number", "criterion_id", "level", "note",
                                        "moderator_id", "moderated_at"], moderated_rows)
        copier.copy("decision", ["id", "application_id", "round_number", "outcome", "award_id", "rationale", "verdict",
                                 "decided_by_id", "decided_at"], decision_rows)
        copier.copy("decision_condition", ["decision_id", "text", "due_date"], condition_rows)
        for table in ("user_account", "organisation", "application", "assignment", "score", "decision"):
            connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        connection.commit()
        timings["applications_reviews_scores"] = time.perf_counter() - phase
        manifest.upload_application_id = 1
        manifest.issue_decision_ids = [app["decision"] for app in applications if app["issue"]]

    # --- one certificate issued by the app itself: key, status lists, a signed credential ---
    phase = time.perf_counter()
    certified = [app for app in applications if app["status"] == "certified" and not app["issue"]]
    real = certified[0]
    template, key_id, lists = _issue_one(dev_env, real["decision"])
    timings["issue_one_real_certificate"] = time.perf_counter() - phase

    phase = time.perf_counter()
    with psycopg.connect(psycopg_url(database)) as connection:
        copier2 = _Copier(connection)
        used_codes = {template["code"]}
        used_revocation, used_suspension = {template["revocation_index"]}, {template["suspension_index"]}
        statuses = _spread(rng, len(certified) - 1, CERTIFICATE_STATUS_SHARES)
        certificate_rows, suspended, withdrawn = [], [], []
        codes_by_status: dict[str, list[str]] = {}
        for app, status in zip(certified[1:], statuses):
            code = _code(rng)
            while code in used_codes:
                code = _code(rng)
            used_codes.add(code)
            revocation = _free(rng, used_revocation)
            suspension = _free(rng, used_suspension)
            if status == "suspended":
                suspended.append(suspension)
            elif status == "withdrawn":
                withdrawn.append((revocation, suspension))
            valid_from = app["decided"].date()
            valid_until = valid_from + relativedelta(months=validity) - timedelta(days=1)
            name_en, name_cy = awards[app["award"]]
            org = organisations[app["org"] - 1]
            certificate_rows.append((
                code, app["id"], app["decision"], app["org"], version_id, app["award"], name_en,
                name_cy if name_cy != name_en else None, org[7], valid_from, valid_until, status,
                "" if status == "active" else "Concern raised by the local authority; under review.",
                None if status == "active" else now - timedelta(days=rng.randrange(1, 90)),
                lists["revocation"], revocation, lists["suspension"], suspension, key_id, template["json"],
                app["decided"]))
            codes_by_status.setdefault(status, []).append(code)
        copier2.copy("certificate", ["public_code", "application_id", "decision_id", "organisation_id",
                                     "rubric_version_id", "award_id", "award_name", "award_name_cy", "services",
                                     "valid_from", "valid_until", "status", "status_reason", "status_changed_at",
                                     "revocation_list_id", "revocation_index", "suspension_list_id",
                                     "suspension_index", "signing_key_id", "credential_json", "issued_at"],
                     certificate_rows)
        connection.commit()
        copier.counts.update(copier2.counts)
        copier.counts["certificate"] += 1  # the real one
    timings["certificates"] = time.perf_counter() - phase

    phase = time.perf_counter()
    _set_status_bits(dev_env, lists, suspended, withdrawn)
    timings["status_lists"] = time.perf_counter() - phase

    phase = time.perf_counter()
    with psycopg.connect(psycopg_url(database), autocommit=True) as connection:
        # A loaded production database has statistics (autovacuum); a bulk load has none until this.
        connection.execute("VACUUM ANALYZE")
        manifest.counts = {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in (
            "organisation", "user_account", "membership", "application", "application_round", "criterion_response",
            "assignment", "score", "moderated_level", "decision", "certificate", "status_list")}
        manifest.counts["database_mb"] = round(connection.execute(
            "SELECT pg_database_size(current_database())").fetchone()[0] / 1e6)
    timings["vacuum_analyze"] = time.perf_counter() - phase

    active = codes_by_status.get("active", [])
    manifest.certificate_codes = rng.sample(active, min(len(active), 1000))
    manifest.register_queries = REGISTER_QUERIES
    in_workflow = sum(1 for app in applications if not app["history"] and not app["issue"])
    manifest.notes.append(
        f"{in_workflow} applications in the workflow (states: "
        + ", ".join(f"{state} {states.count(state)}" for state, _share in STATE_SHARES)
        + f"), {history} earlier certified applications (one per certificate beyond the certified current ones), "
        f"{issue_n} certified applications whose certificates the issuing benchmark issues.")
    manifest.notes.append(
        f"{len(assignment_rows)} reviews; score rows for every submitted review ({len(criteria)} criteria) and part of "
        f"each accepted one: {len(score_rows)} score rows. The signed-in assessor has {manifest.assessor_assignments} "
        "reviews.")
    timings["total"] = time.perf_counter() - started
    return manifest


def _free(rng: random.Random, used: set[int], size: int = 131072) -> int:
    while True:
        index = rng.randrange(size)
        if index not in used:
            used.add(index)
            return index


def _issue_one(env: dict[str, str], decision_id: int):
    """Issue one certificate through qualitymark.services.certificates (jobs run in-process)."""
    from qualitymark import create_app, db
    from qualitymark.config import load_settings
    from qualitymark.models.certificates import StatusList
    from qualitymark.services.certificates import issue_certificate
    from sqlmodel import select

    app = create_app(load_settings(env))
    with app.app_context():
        certificate = issue_certificate(decision_id)
        db.commit()
        lists = {row.purpose: row.id for row in db.session().exec(select(StatusList)).all()}
        template = {"json": certificate.credential_json, "code": certificate.public_code,
                    "revocation_index": certificate.revocation_index,
                    "suspension_index": certificate.suspension_index}
        key_id = certificate.signing_key_id
    db.database(app).dispose()
    return template, key_id, lists


def _set_status_bits(env: dict[str, str], lists: dict[str, int], suspended: list[int],
                     withdrawn: list[tuple[int, int]]) -> None:
    """Set the bits of the suspended and withdrawn certificates and sign both lists again, with the
    app's own status-list code."""
    from qualitymark import create_app, db
    from qualitymark.config import load_settings
    from qualitymark.credentials import StatusBits
    from qualitymark.models.certificates import StatusList
    from qualitymark.services.certificates import refresh_status_list

    app = create_app(load_settings(env))
    with app.app_context():
        session = db.session()
        for purpose, indices in (("suspension", suspended), ("revocation", [r for r, _s in withdrawn])):
            status_list = session.get(StatusList, lists[purpose])
            bits = StatusBits(status_list.size, data=status_list.bits)
            for index in indices:
                bits.set(index)
            status_list.bits = bits.to_bytes()
            status_list.version += 1
            refresh_status_list(status_list)
        db.commit()
    db.database(app).dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("size", choices=sorted(SIZES))
    parser.add_argument("--database", help="database name (default qm_bench_<size>)")
    parser.add_argument("--work", type=Path, help="folder for the signing key etc. (default /tmp/qm-bench-<size>)")
    parser.add_argument("--issue-n", type=int, default=200)
    args = parser.parse_args(argv)
    database = args.database or f"qm_bench_{args.size}"
    work = args.work or Path(f"/tmp/qm-bench-{args.size}")
    log(f"building {args.size} into {database} ({sqlalchemy_url(database)})")
    manifest = build(SIZES[args.size], database, work, issue_n=args.issue_n)
    (work / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2))
    print(json.dumps({k: v for k, v in asdict(manifest).items() if k not in ("certificate_codes", "issue_decision_ids")},
                     indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
