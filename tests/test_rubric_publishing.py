"""Publishing rubric versions: immutable once published, retired without touching the past,
and readable by anyone at a stable URL."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text as sql
from sqlalchemy.exc import DatabaseError
from sqlmodel import select

from qualitymark.models.audit import AuditEvent
from qualitymark.models.rubrics import RubricVersion

REPO = Path(__file__).resolve().parents[1]
REAL_RUBRIC = REPO / "criteria" / "care-quality-mark" / "1.0.0.yaml"


@pytest.fixture
def criteria(tmp_path) -> Path:
    """A criteria folder holding a copy of the real rubric, to edit freely."""
    folder = tmp_path / "criteria"
    (folder / "care-quality-mark").mkdir(parents=True)
    shutil.copy(REAL_RUBRIC, folder / "care-quality-mark" / "1.0.0.yaml")
    return folder


def publish(runner, folder: Path):
    return runner.invoke(args=["rubrics", "publish", str(folder)])


def test_the_real_rubric_is_valid(runner):
    result = runner.invoke(args=["rubrics", "validate", str(REPO / "criteria")])
    assert result.exit_code == 0, result.output
    assert "1 of 1 rubric file(s) valid." in result.output
    assert "Welsh:" in result.output


def test_validate_fails_with_file_line_and_column(runner, tmp_path):
    folder = tmp_path / "criteria" / "care-quality-mark"
    folder.mkdir(parents=True)
    source = REAL_RUBRIC.read_text().replace("guidance:", "guidence:", 1)
    (folder / "1.0.0.yaml").write_text(source)
    result = runner.invoke(args=["rubrics", "validate", str(tmp_path / "criteria")])
    assert result.exit_code == 1
    line = next(number for number, text in enumerate(source.splitlines(), 1) if "guidence:" in text)
    assert f"1.0.0.yaml:{line}:" in result.output
    assert 'did you mean "guidance"' in result.output


def test_publishing_stores_the_version_with_its_hash_once(runner, criteria, db_session):
    first = publish(runner, criteria)
    assert first.exit_code == 0, first.output
    assert "Published care-quality-mark 1.0.0." in first.output
    second = publish(runner, criteria)
    assert second.exit_code == 0 and "already published and unchanged" in second.output
    rows = db_session.exec(select(RubricVersion)).all()
    assert len(rows) == 1
    assert len(rows[0].content_hash) == 64
    assert rows[0].verified_canonical()
    events = db_session.exec(select(AuditEvent).where(AuditEvent.action == "rubric.published")).all()
    assert len(events) == 1


def test_a_formatting_only_change_is_a_no_op(runner, criteria):
    publish(runner, criteria)
    path = criteria / "care-quality-mark" / "1.0.0.yaml"
    path.write_text("# a comment added after publishing\n" + path.read_text())
    result = publish(runner, criteria)
    assert result.exit_code == 0 and "unchanged" in result.output


def test_a_changed_file_under_a_published_version_is_refused(runner, criteria, db_session):
    publish(runner, criteria)
    path = criteria / "care-quality-mark" / "1.0.0.yaml"
    path.write_text(path.read_text().replace("validity_months: 36", "validity_months: 24"))
    result = publish(runner, criteria)
    assert result.exit_code == 1
    assert "already published with different content" in result.output
    assert "new version number (for example 1.0.1)" in result.output
    assert "Nothing was published." in result.output
    stored = db_session.exec(select(RubricVersion)).one()
    assert '"validity_months":36' in stored.canonical


def test_a_malformed_rubric_never_reaches_the_database(runner, criteria, db_session):
    bad = criteria / "care-quality-mark" / "1.1.0.yaml"
    bad.write_text((criteria / "care-quality-mark" / "1.0.0.yaml").read_text()
                   .replace("version: 1.0.0", "version: 1.1.0").replace("minimum_level: 2", "minimum_level: 9", 1))
    result = publish(runner, criteria)
    assert result.exit_code == 1 and "1.1.0.yaml:" in result.output and "not on the scale" in result.output
    # All or nothing: the valid 1.0.0 beside it was not published either.
    assert db_session.exec(select(RubricVersion)).all() == []


def test_the_database_refuses_to_change_or_delete_a_published_version(app, runner, criteria):
    publish(runner, criteria)
    from qualitymark.db import database

    engine = database(app).engine
    for statement in ("UPDATE rubric_version SET canonical = 'x'", "UPDATE rubric_version SET content_hash = :h",
                      "DELETE FROM rubric_version"):
        with pytest.raises(DatabaseError):
            with engine.begin() as connection:
                connection.execute(sql(statement), {"h": "0" * 64})
    # Retiring is the one change allowed.
    with engine.begin() as connection:
        connection.execute(sql("UPDATE rubric_version SET retired_at = published_at"))


def test_a_tampered_stored_version_is_detected_on_reading(app, db_session, runner, criteria):
    from qualitymark.models.rubrics import RubricIntegrityError

    publish(runner, criteria)
    row = db_session.exec(select(RubricVersion)).one()
    row.canonical = row.canonical.replace('"validity_months":36', '"validity_months":99')
    with pytest.raises(RubricIntegrityError):
        row.verified_canonical()


def test_retiring_stops_new_applications_but_keeps_the_version_readable(app, runner, criteria, client):
    publish(runner, criteria)
    result = runner.invoke(args=["rubrics", "retire", "care-quality-mark", "1.0.0"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from qualitymark.services.rubrics import open_versions

        assert open_versions("care-quality-mark") == []
    page = client.get("/rubrics/care-quality-mark/1.0.0").get_data(as_text=True)
    assert "This version was retired" in page
    again = runner.invoke(args=["rubrics", "retire", "care-quality-mark", "1.0.0"])
    assert again.exit_code != 0 and "already retired" in again.output
    unknown = runner.invoke(args=["rubrics", "retire", "care-quality-mark", "9.9.9"])
    assert unknown.exit_code != 0 and "is not published" in unknown.output


def test_diff_lists_changed_criteria_between_published_versions(runner, criteria):
    newer = criteria / "care-quality-mark" / "1.1.0.yaml"
    source = (criteria / "care-quality-mark" / "1.0.0.yaml").read_text()
    newer.write_text(source.replace("version: 1.0.0", "version: 1.1.0").replace("weight: 1", "weight: 2", 1))
    assert publish(runner, criteria).exit_code == 0
    result = runner.invoke(args=["rubrics", "diff", "care-quality-mark", "1.0.0", "1.1.0"])
    assert result.exit_code == 0, result.output
    assert "weight" in result.output
    missing = runner.invoke(args=["rubrics", "diff", "care-quality-mark", "1.0.0", "2.0.0"])
    assert missing.exit_code != 0 and "2.0.0 is not published" in missing.output


def test_the_public_rubric_pages(runner, criteria, client):
    publish(runner, criteria)
    index = client.get("/rubrics/").get_data(as_text=True)
    assert "/rubrics/care-quality-mark/1.0.0" in index and "Open for applications" in index

    response = client.get("/rubrics/care-quality-mark/1.0.0")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count("<h1") == 1
    assert 'id="criterion-A1"' in page and "Mandatory: at least level 2" in page
    assert "Evidence we expect" in page
    assert response.headers["ETag"]

    welsh = client.get("/rubrics/care-quality-mark/1.0.0?lang=cy").get_data(as_text=True)
    assert '<html lang="cy">' in welsh and "Marc Ansawdd Gofal" in welsh

    source = client.get("/rubrics/care-quality-mark/1.0.0.yaml")
    assert source.status_code == 200 and source.mimetype == "application/yaml"
    assert source.get_data(as_text=True) == REAL_RUBRIC.read_text(encoding="utf-8-sig")

    cached = client.get("/rubrics/care-quality-mark/1.0.0.yaml", headers={"If-None-Match": source.headers["ETag"]})
    assert cached.status_code == 304


def test_an_unknown_rubric_version_is_a_404_page(client):
    response = client.get("/rubrics/care-quality-mark/0.0.1")
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)
