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


def query(state: str = "", filter_name: str = "", search: str = ""):
    today = utcnow().date()
    active = (select(Assignment.application_id, func.count().label("n"))
              .where(Assignment.status.in_(("invited", "accepted", "submitted")),
                     Assignment.round_number == select(Application.current_round).where(
                         Application.id == Assignment.application_id).scalar_subquery())
              .group_by(Assignment.application_id).subquery())
    submitted = (select(Assignment.application_id, func.count().label("n"))
                 .where(Assignment.status == "submitted").group_by(Assignment.application_id).subquery())
    overdue = (select(Assignment.application_id, func.count().label("n"))
               .where(Assignment.status.in_(("invited", "accepted")), Assignment.due_date < today)
               .group_by(Assignment.application_id).subquery())
    statement = (
        select(Application, Organisation.name, func.coalesce(active.c.n, 0), func.coalesce(submitted.c.n, 0),
               func.coalesce(overdue.c.n, 0))
        .join(Organisation, Organisation.id == Application.organisation_id)
        .outerjoin(active, active.c.application_id == Application.id)
        .outerjoin(submitted, submitted.c.application_id == Application.id)
        .outerjoin(overdue, overdue.c.application_id == Application.id)
    )
    if state in APPLICATION_STATES:
        statement = statement.where(Application.status == state)
    if filter_name == "unassigned":
        statement = statement.where(Application.status == "submitted", func.coalesce(active.c.n, 0) == 0)
    elif filter_name == "understaffed":
        # Every published rubric asks for its own number; compare per version.
        from qualitymark.services.rubrics import rubric_of

        per_version = [and_(Application.rubric_version_id == version.id,
                            func.coalesce(active.c.n, 0) < rubric_of(version).assessment.assessors_per_application)
                       for version in db.session().exec(select(RubricVersion)).all()]
        statement = statement.where(Application.status.in_(("submitted", "in_review")), or_(*per_version or [False]))
    elif filter_name == "overdue":
        statement = statement.where(func.coalesce(overdue.c.n, 0) > 0)
    elif filter_name == "divergent":
        divergent = _divergent_ids()
        statement = statement.where(Application.status == "moderation",
                                    or_(*[Application.id.in_(clause) for clause in divergent] or [False]))
    elif filter_name == "ready":
        statement = statement.where(Application.status == "decision_pending")
    search = search.strip()
    if search:
        if search.isdigit():
            statement = statement.where(or_(Application.id == int(search),
                                            Organisation.name.ilike(f"%{search}%")))
        else:
            statement = statement.where(Organisation.name.ilike(f"%{search}%"))
    return statement


def page(state: str = "", filter_name: str = "", search: str = "", number: int = 1) -> tuple[list[Row], int]:
    statement = query(state, filter_name, search)
    total = db.session().exec(select(func.count()).select_from(statement.subquery())).one()
    rows = db.session().exec(statement.order_by(Application.updated_at.desc(), Application.id.desc())
                             .limit(PAGE_SIZE).offset((max(number, 1) - 1) * PAGE_SIZE)).all()
    return [Row(*row) for row in rows], total


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
