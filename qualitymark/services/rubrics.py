"""Publishing and retiring rubric versions, and reading them back."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sqlmodel import select

from qualitymark import db
from qualitymark.clock import utcnow
from qualitymark.models.rubrics import RubricVersion
from qualitymark.rubrics import LoadResult, Rubric, diff_rubrics, rubric_from_canonical_json, text, validate_paths
from qualitymark.services import audit


class RubricError(ValueError):
    """Something the person publishing can fix; the message says what."""


@dataclass
class PublishReport:
    published: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def get_version(scheme: str, version: str) -> RubricVersion | None:
    return db.session().exec(
        select(RubricVersion).where(RubricVersion.scheme == scheme, RubricVersion.version == version)
    ).first()


def list_versions(scheme: str | None = None) -> list[RubricVersion]:
    query = select(RubricVersion)
    if scheme:
        query = query.where(RubricVersion.scheme == scheme)
    query = query.order_by(RubricVersion.scheme, RubricVersion.version_major.desc(),
                           RubricVersion.version_minor.desc(), RubricVersion.version_patch.desc())
    return list(db.session().exec(query).all())


def open_versions(scheme: str) -> list[RubricVersion]:
    """Versions a new application may start on: published and not retired."""
    return [version for version in list_versions(scheme) if not version.is_retired]


@lru_cache(maxsize=64)
def _parse(canonical: bytes) -> Rubric:
    return rubric_from_canonical_json(canonical)


def rubric_of(version: RubricVersion) -> Rubric:
    """The rubric model of a published version, after checking its hash."""
    return _parse(version.verified_canonical())


def publish_results(results: Iterable[LoadResult], *, actor_id: int | None = None) -> PublishReport:
    """Publish validated rubric files. Nothing is written unless every file is valid and no
    published version would change."""
    results = list(results)
    report = PublishReport()
    for result in results:
        if not result.ok:
            report.errors.extend(str(problem) for problem in result.errors)
    if report.errors:
        return report
    to_publish: list[LoadResult] = []
    for result in results:
        rubric = result.rubric
        existing = get_version(rubric.scheme, rubric.version)
        label = f"{rubric.scheme} {rubric.version}"
        if existing is None:
            to_publish.append(result)
        elif existing.content_hash == result.sha256:
            report.unchanged.append(label)
        else:
            report.errors.append(
                f"{result.path}: {label} is already published with different content "
                f"(published SHA-256 {existing.content_hash[:12]}…, this file {result.sha256[:12]}…). "
                "A published version never changes: give your edits a new version number "
                f"(for example {_next_patch(rubric.version)}) in the file and its name, then publish again."
            )
    if report.errors:
        return report
    session = db.session()
    for result in to_publish:
        rubric = result.rubric
        major, minor, patch = (int(part) for part in rubric.version.split("."))
        row = RubricVersion(
            scheme=rubric.scheme,
            version=rubric.version,
            version_major=major,
            version_minor=minor,
            version_patch=patch,
            title=text(rubric.title, "en"),
            effective_date=rubric.effective_date,
            content_hash=result.sha256,
            canonical=result.canonical_json.decode("utf-8"),
            source_yaml=Path(result.path).read_text(encoding="utf-8-sig"),
            published_by_id=actor_id,
        )
        session.add(row)
        session.flush()
        audit.record("rubric.published", "rubric_version", row.id, actor_id=actor_id,
                     changes={"scheme": row.scheme, "version": row.version, "sha256": row.content_hash})
        report.published.append(f"{rubric.scheme} {rubric.version}")
    return report


def publish_paths(paths: Iterable[str | Path], *, actor_id: int | None = None) -> PublishReport:
    return publish_results(validate_paths(paths), actor_id=actor_id)


def retire_version(scheme: str, version: str, *, actor_id: int | None = None) -> RubricVersion:
    row = get_version(scheme, version)
    if row is None:
        raise RubricError(f"{scheme} {version} is not published, so it cannot be retired.")
    if row.retired_at is not None:
        raise RubricError(f"{scheme} {version} was already retired on {row.retired_at:%Y-%m-%d}.")
    row.retired_at = utcnow()
    db.session().flush()
    audit.record("rubric.retired", "rubric_version", row.id, actor_id=actor_id,
                 changes={"scheme": scheme, "version": version})
    return row


def diff_versions(scheme: str, old: str, new: str):
    rows = {}
    for label in (old, new):
        row = get_version(scheme, label)
        if row is None:
            raise RubricError(f"{scheme} {label} is not published. Published: "
                              + (", ".join(v.version for v in list_versions(scheme)) or "none") + ".")
        rows[label] = row
    return diff_rubrics(rubric_of(rows[old]), rubric_of(rows[new]))


def _next_patch(version: str) -> str:
    try:
        major, minor, patch = (int(part) for part in version.split("."))
    except ValueError:
        return "a higher version"
    return f"{major}.{minor}.{patch + 1}"
