"""The office's view of all applications: filters, search and pagination in a fixed number of queries."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import and_, func, or_
from sqlmodel import select

from qualitymark import db
from qualitymark.clock import utcnow
from qualitymark.models.accounts import Organisation
from qualitymark.models.applications import APPLICATION_STATES, Application
from qualitymark.models.reviews import Assignment, Score
from qualitymark.models.rubrics import RubricVersion

FILTERS = {
    "": "All applications",
    "unassigned": "Submitted, no assessor yet",
    "understaffed": "Fewer assessors than the rubric asks for",
    "overdue": "With an overdue review",
    "divergent": "Divergent scores to moderate",
    "ready": "Ready for a decision",
}
PAGE_SIZE = 25


@dataclass
class Row:
    application: Application
    organisation_name: str
    active_assessors: int
    submitted_reviews: int
    overdue_reviews: int


def _divergent_ids():
    """Applications in moderation where some criterion's spread reaches its rubric's threshold."""
    from qualitymark.services.rubrics import rubric_of

    clauses = []
    for version in db.session().exec(select(RubricVersion)).all():
        threshold = rubric_of(version).assessment.divergence_threshold
        spread = (select(Assignment.application_id)
                  .join(Score, Score.assignment_id == Assignment.id)
                  .join(Application, Application.id == Assignment.application_id)
                  .where(Assignment.status == "submitted", Application.rubric_version_id == version.id,
                         Assignment.round_number == Application.current_round, Score.level.is_not(None))
                  .group_by(Assignment.application_id, Score.criterion_id)
                  .having(func.max(Score.level) - func.min(Score.level) >= threshold))
        clauses.append(spread)
    return clauses


ACTIVE_ASSIGNMENT = ("invited", "accepted", "submitted")


def _review_counts(today):
    """Per application (correlated, so they are counted only for the rows being shown): assessors
    active in its current round, reviews submitted, reviews overdue."""
    active = (select(func.count()).where(Assignment.application_id == Application.id,
                                         Assignment.status.in_(ACTIVE_ASSIGNMENT),
                                         Assignment.round_number == Application.current_round)
              .correlate(Application).scalar_subquery())
    submitted = (select(func.count()).where(Assignment.application_id == Application.id,
                                            Assignment.status == "submitted")
                 .correlate(Application).scalar_subquery())
    overdue = (select(func.count()).where(Assignment.application_id == Application.id,
                                          Assignment.status.in_(("invited", "accepted")), Assignment.due_date < today)
               .correlate(Application).scalar_subquery())
    return active, submitted, overdue


def _matching(state: str = "", filter_name: str = "", search: str = ""):
    """The ids of the applications the filters select (no counting of rows that are not shown)."""
    today = utcnow().date()
    active, _submitted, _overdue = _review_counts(today)
    statement = select(Application.id)
    search = search.strip()
    if search:
        statement = statement.join(Organisation, Organisation.id == Application.organisation_id)
    if state in APPLICATION_STATES:
        statement = statement.where(Application.status == state)
    if filter_name == "unassigned":
        statement = statement.where(Application.status == "submitted", active == 0)
    elif filter_name == "understaffed":
        # Every published rubric asks for its own number; compare per version.
        from qualitymark.services.rubrics import rubric_of

        per_version = [and_(Application.rubric_version_id == version.id,
                            active < rubric_of(version).assessment.assessors_per_application)
                       for version in db.session().exec(select(RubricVersion)).all()]
        statement = statement.where(Application.status.in_(("submitted", "in_review")), or_(*per_version or [False]))
    elif filter_name == "overdue":
        statement = statement.where(select(Assignment.id).where(
            Assignment.application_id == Application.id, Assignment.status.in_(("invited", "accepted")),
            Assignment.due_date < today).correlate(Application).exists())
    elif filter_name == "divergent":
        divergent = _divergent_ids()
        statement = statement.where(Application.status == "moderation",
                                    or_(*[Application.id.in_(clause) for clause in divergent] or [False]))
    elif filter_name == "ready":
        statement = statement.where(Application.status == "decision_pending")
    if search:
        if search.isdigit():
            statement = statement.where(or_(Application.id == int(search),
                                            Organisation.name.ilike(f"%{search}%")))
        else:
            statement = statement.where(Organisation.name.ilike(f"%{search}%"))
    return statement


def _rows(ids):
    """Each application of `ids` (a subquery of ids) with its co-op's name and its review counts."""
    return (select(Application, Organisation.name, *_review_counts(utcnow().date()))
            .join(ids, ids.c.id == Application.id)
            .join(Organisation, Organisation.id == Application.organisation_id))


def query(state: str = "", filter_name: str = "", search: str = ""):
    return _rows(_matching(state, filter_name, search).subquery())


@dataclass
class Page:
    rows: list[Row]
    total: int
    counts: dict[str, int]  # applications in each state, for the links above the table


def page(state: str = "", filter_name: str = "", search: str = "", number: int = 1) -> Page:
    """One page of the dashboard in three queries whatever the number of applications: the counts by
    state (which give the total when only a state is chosen), the page's 25 ids in the dashboard's
    order (ix_application_updated_at_id), then those 25 rows with their review counts."""
    session = db.session()
    counts = counts_by_state()
    filtered = bool(filter_name) and filter_name in FILTERS
    if not filtered and not search.strip():
        total = counts.get(state, 0) if state in APPLICATION_STATES else sum(counts.values())
    else:
        total = session.exec(select(func.count()).select_from(
            _matching(state, filter_name, search).subquery())).one()
    order = (Application.updated_at.desc(), Application.id.desc())
    ids = (_matching(state, filter_name, search).order_by(*order)
           .limit(PAGE_SIZE).offset((max(number, 1) - 1) * PAGE_SIZE).subquery())
    rows = session.exec(_rows(ids).order_by(*order)).all()
    return Page([Row(*row) for row in rows], total, counts)


def waiting_elsewhere() -> dict[str, int]:
    """What else waits for the office (one query): complaints not closed, appeals not decided, and
    annual declarations whose reported changes nobody has reviewed yet."""
    from qualitymark.models.lifecycle import AnnualDeclaration, Appeal, Complaint

    def count(model, *where):
        return select(func.count()).select_from(model).where(*where).scalar_subquery()

    complaints, appeals, declarations = db.session().exec(select(
        count(Complaint, Complaint.status != "closed"),
        count(Appeal, Appeal.status == "lodged"),
        count(AnnualDeclaration, AnnualDeclaration.outcome == "changes_reported",
              AnnualDeclaration.reviewed_at.is_(None)))).one()
    return {"complaints": complaints, "appeals": appeals, "declarations": declarations}


def counts_by_state() -> dict[str, int]:
    return dict(db.session().exec(select(Application.status, func.count()).group_by(Application.status)).all())


def csv_export(state: str = "", filter_name: str = "", search: str = "") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["application", "co-op", "status", "round", "submitted", "active assessors",
                     "reviews submitted", "overdue reviews"])
    for application, name, active, submitted, overdue in db.session().exec(
            query(state, filter_name, search).order_by(Application.id)).all():
        writer.writerow([application.id, _safe_cell(name), application.status, application.current_round,
                         application.submitted_at.date().isoformat() if application.submitted_at else "",
                         active, submitted, overdue])
    return buffer.getvalue()


def _safe_cell(value: str) -> str:
    # A co-op name starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
