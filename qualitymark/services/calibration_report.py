"""Calibration for scheme admins: per rubric version and criterion, how far assessors agree
(Krippendorff's alpha, ordinal), and how far each assessor is from the moderated levels."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from qualitymark import db
from qualitymark.calibration import Moderated, Rating, alpha_by_criterion, assessor_drift, interpretation, overall_alpha
from qualitymark.models.accounts import User
from qualitymark.models.applications import Application
from qualitymark.models.reviews import Assignment, ModeratedLevel, Score
from qualitymark.models.rubrics import RubricVersion
from qualitymark.services.rubrics import rubric_of


@dataclass
class VersionReport:
    version: RubricVersion
    overall: object
    criteria: list
    drift: list
    names: dict[int, str]
    interpretation: object


def report() -> list[VersionReport]:
    session = db.session()
    results = []
    for version in session.exec(select(RubricVersion).order_by(RubricVersion.id)).all():
        rubric = rubric_of(version)
        # One round per application: the latest submitted round's scores and moderation.
        rows = session.exec(
            select(Assignment.assessor_id, Assignment.application_id, Assignment.round_number, Score.criterion_id,
                   Score.level)
            .join(Score, Score.assignment_id == Assignment.id)
            .join(Application, Application.id == Assignment.application_id)
            .where(Application.rubric_version_id == version.id, Assignment.status == "submitted",
                   Score.level.is_not(None))
        ).all()
        latest: dict[int, int] = {}
        for _assessor, application_id, round_number, _cid, _level in rows:
            latest[application_id] = max(latest.get(application_id, 0), round_number)
        ratings = [Rating(assessor, application_id, cid, level)
                   for assessor, application_id, round_number, cid, level in rows
                   if round_number == latest[application_id]]
        moderated = [Moderated(m.application_id, m.criterion_id, m.level) for m in session.exec(
            select(ModeratedLevel).join(Application, Application.id == ModeratedLevel.application_id)
            .where(Application.rubric_version_id == version.id)).all()
            if m.round_number == latest.get(m.application_id)]
        scale = list(rubric.scale_levels())
        drift = sorted(assessor_drift(ratings, moderated).values(), key=lambda d: -d.mean_absolute_distance)
        names = {u.id: u.name for u in session.exec(select(User).where(
            User.id.in_([d.assessor_id for d in drift] or [-1]))).all()}
        results.append(VersionReport(version, overall_alpha(ratings, scale),
                                     list(alpha_by_criterion(ratings, scale).values()), drift, names, interpretation))
    return results
