"""Demo data for `make run`: one account per role, with known passwords. Safe to run twice."""
from __future__ import annotations

from sqlmodel import select

from qualitymark import db
from qualitymark.models.accounts import Membership, Organisation
from qualitymark.services import accounts

DEMO_PASSWORD = "demo-password-2026"

DEMO_ACCOUNTS = [
    ("applicant@demo.coop", "Alys Applicant", []),
    ("assessor@demo.coop", "Aled Assessor", ["assessor"]),
    ("assessor2@demo.coop", "Bethan Assessor", ["assessor"]),
    ("officer@demo.coop", "Owain Officer", ["officer"]),
    ("officer2@demo.coop", "Nia Officer", ["officer"]),
    ("admin@demo.coop", "Ada Admin", ["admin"]),
]


def create_demo_data() -> list[str]:
    session = db.session()
    lines = []
    for email, name, roles in DEMO_ACCOUNTS:
        user = accounts.find_user(email)
        if user is None:
            user = accounts.create_staff_user(email, name, DEMO_PASSWORD, roles)
        lines.append(f"  {email:<24} {', '.join(roles) or 'co-op member (owner)':<24} password: {DEMO_PASSWORD}")
    coop = session.exec(select(Organisation).where(Organisation.slug == "cwmni-gofal-demo")).first()
    if coop is None:
        coop = Organisation(name="Cwmni Gofal Demo Co-operative", slug="cwmni-gofal-demo")
        session.add(coop)
        session.flush()
        applicant = accounts.find_user("applicant@demo.coop")
        session.add(Membership(user_id=applicant.id, organisation_id=coop.id, role="owner"))
        session.flush()
    return ["Demo accounts (development only):", *lines]
