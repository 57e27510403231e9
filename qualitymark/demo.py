"""Demo data for `make run`: one account per role with a known password, co-ops and
applications at different stages. Safe to run twice: what exists is left alone."""
from __future__ import annotations

import io
from decimal import Decimal

from sqlmodel import select

from qualitymark import db
from qualitymark.agreements import CURRENT_VERSION
from qualitymark.models.accounts import User
from qualitymark.models.applications import Application
from qualitymark.services import accounts, applications, evidence, organisations, reviews
from qualitymark.services.rubrics import list_versions

DEMO_PASSWORD = "demo-password-2026"

DEMO_ACCOUNTS = [
    ("applicant@demo.coop", "Alys Applicant", []),
    ("member@demo.coop", "Meilyr Member", []),
    ("assessor@demo.coop", "Aled Assessor", ["assessor"]),
    ("assessor2@demo.coop", "Bethan Assessor", ["assessor"]),
    ("officer@demo.coop", "Owain Officer", ["officer"]),
    ("officer2@demo.coop", "Nia Officer", ["officer"]),
    ("admin@demo.coop", "Ada Admin", ["admin"]),
]

# A tiny but real PDF for demo evidence.
DEMO_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _coop(name: str, owner: User, *, coop_type: str, region: str, services: str, stakeholders):
    slug_existing = db.session().exec(
        select(organisations.Organisation).where(organisations.Organisation.name == name)).first()
    if slug_existing is not None:
        return slug_existing, False
    profile = organisations.Profile(
        name=name, legal_form="Co-operative society", registered_number="RS00" + str(len(name)),
        region=region, coop_type=coop_type, services=services, consortia=["Demo Care Co-op Network"],
        stakeholders=stakeholders,
    )
    return organisations.create_organisation(profile, owner=owner), True


def _answer_sections(application: Application, actor: User, section_ids: set[str] | None = None) -> None:
    _version, rubric = applications.rubric_for(application)
    current = applications.responses(application)
    for section in rubric.sections:
        if section_ids is not None and section.id not in section_ids:
            continue
        answers = {
            criterion.id: applications.Answer(
                level=3, lock_version=current[criterion.id].lock_version,
                narrative=f"Demo answer for {criterion.id}: we describe here how we do this, with examples "
                          "from the last year and what the people we support told us.")
            for criterion in section.criteria
        }
        applications.save_section(application, section, answers, actor=actor)


def _evidence_for_mandatory(application: Application, actor: User) -> None:
    _version, rubric = applications.rubric_for(application)
    mandatory = [criterion.id for criterion in rubric.criteria() if criterion.mandatory]
    details = evidence.EvidenceDetails(
        description="Our rules, safeguarding policy, registration certificate and complaints leaflet (demo file).",
        evidence_type="policy", criteria=mandatory, stakeholder_kind=None)
    try:
        evidence.add_evidence(application, io.BytesIO(DEMO_PDF + f"% {application.id}\n".encode()),
                              "demo-evidence.pdf", details, actor=actor)
    except evidence.DuplicateEvidence:
        pass


def create_demo_data() -> list[str]:
    lines = ["Demo accounts (development only):"]
    for email, name, roles in DEMO_ACCOUNTS:
        if accounts.find_user(email) is None:
            accounts.create_staff_user(email, name, DEMO_PASSWORD, roles)
        lines.append(f"  {email:<24} {', '.join(roles) or 'co-op member':<24} password: {DEMO_PASSWORD}")
    lines.append("Officers and the admin set up two-factor sign-in the first time they sign in "
                 "(scan the QR code with any authenticator app).")
    applicant = accounts.find_user("applicant@demo.coop")
    versions = [version for version in list_versions("care-quality-mark") if not version.is_retired]
    if not versions:
        lines.append("No rubric is published, so no demo applications were created (run `qualitymark rubrics publish`).")
        return lines

    draft_coop, new = _coop(
        "Cwmni Gofal Demo", applicant, coop_type="user_led", region="Gwynedd",
        services="Home care\nSupported living",
        stakeholders={"people_using_services": (48, Decimal(55)), "workers": (22, Decimal(35)),
                      "supporters": (30, Decimal(10))})
    if new:
        draft = applications.start_application(draft_coop, versions[0], actor=applicant,
                                               agreement_version=CURRENT_VERSION, agreement_accepted=True)
        _answer_sections(draft, applicant, {"A", "B"})
        lines.append(f"Demo co-op “{draft_coop.name}”: a draft application, sections A and B filled in.")

    submitted_coop, new = _coop(
        "Gofal Gogledd Demo", applicant, coop_type="multi_stakeholder", region="Conwy",
        services="Day opportunities\nRespite care",
        stakeholders={"people_using_services": (60, Decimal(40)), "workers": (35, Decimal(40)),
                      "family_members": (20, Decimal(20))})
    if new:
        _reviewed_application(submitted_coop, applicant, versions[0], reviews_to_submit=1)
        lines.append(f"Demo co-op “{submitted_coop.name}”: an application in review, one of two reviews submitted.")

    ready_coop, new = _coop(
        "Cydweithfa Gofal Caerdydd Demo", applicant, coop_type="social", region="Cardiff",
        services="Home care",
        stakeholders={"people_using_services": (30, Decimal(50)), "workers": (25, Decimal(50))})
    if new:
        _moderated(_reviewed_application(ready_coop, applicant, versions[0], reviews_to_submit=2))
        lines.append(f"Demo co-op “{ready_coop.name}”: moderated and ready for a decision by officer2@demo.coop "
                     "(officer@demo.coop moderated it, so may not decide).")

    certified_coop, new = _coop(
        "Gofal Cymunedol Môn Demo", applicant, coop_type="user_led", region="Ynys Môn",
        services="Home care\nCommunity support",
        stakeholders={"people_using_services": (70, Decimal(60)), "workers": (30, Decimal(40))})
    if new:
        certified = _moderated(_reviewed_application(certified_coop, applicant, versions[0], reviews_to_submit=2))
        decision = reviews.record_decision(certified, outcome="certify", actor=accounts.find_user("officer2@demo.coop"),
                                           rationale="Every rule of the Care Quality Mark is met (demo).")
        from qualitymark.services.certificates import issue_certificate

        issue_certificate(decision.id)
    from qualitymark.models.certificates import Certificate
    from qualitymark.services.certificates import base_url

    for certificate in db.session().exec(select(Certificate).order_by(Certificate.id)).all():
        lines.append(f"Demo certificate: {base_url()}/c/{certificate.public_code}")
    return lines


def _reviewed_application(coop, applicant: User, version, *, reviews_to_submit: int) -> Application:
    """A complete application, submitted, with both demo assessors on it."""
    application = applications.start_application(coop, version, actor=applicant,
                                                 agreement_version=CURRENT_VERSION, agreement_accepted=True)
    _answer_sections(application, applicant)
    _evidence_for_mandatory(application, applicant)
    applications.submit_application(application, actor=applicant)
    _review(application, reviews_to_submit=reviews_to_submit)
    return application


def _moderated(application: Application) -> Application:
    officer = accounts.find_user("officer@demo.coop")
    _version, rubric = applications.rubric_for(application)
    reviews.moderate(application, {c.id: (3, "Both assessors agreed.") for c in rubric.criteria()}, actor=officer)
    reviews.complete_moderation(application, actor=officer)
    return application


def _review(application: Application, *, reviews_to_submit: int) -> None:
    """Assign the two demo assessors; they accept, and the first `reviews_to_submit` submit."""
    admin = accounts.find_user("admin@demo.coop")
    officer = accounts.find_user("officer@demo.coop")
    _version, rubric = applications.rubric_for(application)
    for number, email in enumerate(("assessor@demo.coop", "assessor2@demo.coop")):
        assessor = accounts.find_user(email)
        if reviews.profile_of(assessor.id) is None:
            reviews.appoint_assessor(assessor, reviews.AssessorDetails(
                home_organisation_id=None, regions=["Wales"], languages=["en", "cy"], expertise_sections=[],
                capacity_per_quarter=8, active=True), actor=admin)
        assignment = reviews.assign(application, assessor, actor=officer)
        reviews.respond(assignment, actor=assessor, accept=True, no_conflict=True)
        if number < reviews_to_submit:
            reviews.save_scores(assignment, {
                c.id: reviews.ScoreInput(3, f"Demo rationale: the narrative and evidence for {c.id} show consistent "
                                            "practice.") for c in rubric.criteria()}, actor=assessor)
            reviews.submit_review(assignment, actor=assessor)
