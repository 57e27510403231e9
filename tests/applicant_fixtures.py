"""Fixtures for co-ops and applications (imported by the test modules that need them)."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlmodel import select

from helpers import PASSWORD, Auth, post_form

REPO = Path(__file__).resolve().parents[1]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_bytes(marker: str = "") -> bytes:
    """A small PDF; different markers give files with different hashes."""
    return PDF + f"% {marker}\n".encode()


@pytest.fixture
def rubric_version(app):
    result = app.test_cli_runner().invoke(args=["rubrics", "publish", str(REPO / "criteria")])
    assert result.exit_code == 0, result.output
    from qualitymark import db
    from qualitymark.models.rubrics import RubricVersion

    with app.app_context():
        version = db.session().exec(select(RubricVersion)).one()
        db.session().expunge(version)  # usable after the context closes its session
        return version


@pytest.fixture
def owner(create_user):
    return create_user(email="owner@gofal.coop", name="Olwen Owner", member_of="gofal", membership_role="owner")


@pytest.fixture
def member(create_user, owner):
    return create_user(email="member@gofal.coop", name="Meic Member", member_of="gofal")


@pytest.fixture
def outsider(create_user):
    return create_user(email="outsider@other.coop", name="Osian Outsider", member_of="other-coop",
                       membership_role="owner")


@pytest.fixture
def officer(create_user):
    return create_user(email="officer@office.org", name="Ffion Officer", roles=["officer"])


@pytest.fixture
def start_application(app, rubric_version):
    from qualitymark import db
    from qualitymark.agreements import CURRENT_VERSION
    from qualitymark.models.accounts import Organisation, User
    from qualitymark.services import applications

    def factory(user, slug="gofal"):
        with app.app_context():
            organisation = db.session().exec(select(Organisation).where(Organisation.slug == slug)).one()
            actor = db.session().get(User, user.id)
            version = db.session().get(type(rubric_version), rubric_version.id)
            application = applications.start_application(
                organisation, version, actor=actor, agreement_version=CURRENT_VERSION, agreement_accepted=True)
            db.commit()
            db.session().expunge(application)
            return application

    return factory


@pytest.fixture
def draft(start_application, owner):
    return start_application(owner)


def signed_in(app, user) -> Auth:
    client = app.test_client()
    auth = Auth(client)
    response = auth.sign_in(user.email, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return auth


def locks(client, path: str) -> dict[str, str]:
    html = client.get(path).get_data(as_text=True)
    return dict(re.findall(r'id="lock_([\w-]+)" name="lock_[\w-]+" type="hidden" value="(\d+)"', html))


def fill_section(client, application_id: int, section_id: str, level: str = "3", narrative: str = "We do this well.",
                 lock_values: dict[str, str] | None = None):
    path = f"/applications/{application_id}/sections/{section_id}"
    lock_values = lock_values or locks(client, path)
    data = {"save": "Save"}
    for criterion_id, lock in lock_values.items():
        data.update({f"level_{criterion_id}": level, f"narrative_{criterion_id}": narrative,
                     f"lock_{criterion_id}": lock})
    return post_form(client, path, data)


def upload(client, application_id: int, content: bytes = PDF, name: str = "rules.pdf", criteria=("A1",),
           description: str = "Our rules", follow_redirects: bool = False):
    return post_form(
        client, f"/applications/{application_id}/evidence",
        {"file": (io.BytesIO(content), name), "description": description, "evidence_type": "policy",
         "criteria": list(criteria)},
        content_type="multipart/form-data", follow_redirects=follow_redirects,
    )


def complete_application(app, client, application_id: int, rubric) -> None:
    """Fill every section and give every mandatory criterion a piece of evidence."""
    for section in rubric.sections:
        assert fill_section(client, application_id, section.id).status_code == 302
    for number, criterion in enumerate(c for c in rubric.criteria() if c.mandatory):
        response = upload(client, application_id, pdf_bytes(criterion.id), f"{criterion.id}.pdf", [criterion.id])
        assert response.status_code == 302, response.get_data(as_text=True)
