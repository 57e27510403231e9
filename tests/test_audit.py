"""The audit trail: one event per change, append-only, hash-chained, and checkable."""
from __future__ import annotations

import pytest
from sqlalchemy import text as sql
from sqlalchemy.exc import DatabaseError
from sqlmodel import select

from applicant_fixtures import signed_in
from qualitymark.models.audit import AuditEvent


def chain_ok(app):
    from qualitymark.services.audit import verify_chain

    with app.app_context():
        return verify_chain()


def test_every_change_leaves_one_linked_event_and_the_chain_verifies(app, runner, draft, submitted, db_session):
    events = db_session.exec(select(AuditEvent).order_by(AuditEvent.sequence)).all()
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    assert all(b.previous_hash == a.hash for a, b in zip(events, events[1:]))
    assert [e.action for e in events if e.action.startswith("application.")].count("application.submitted") == 1
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and f"{len(events)} event(s), every link holds" in result.output


def test_the_database_refuses_to_change_or_delete_events(app, draft):
    from qualitymark.db import database

    engine = database(app).engine
    for statement in ("UPDATE audit_event SET action = 'nothing happened'", "DELETE FROM audit_event"):
        with pytest.raises(DatabaseError):
            with engine.begin() as connection:
                connection.execute(sql(statement))


def _bypass_trigger(connection, dialect: str):
    """What a database administrator could do: switch the protection off."""
    if dialect == "postgresql":
        connection.execute(sql("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
    else:
        connection.execute(sql("DROP TRIGGER audit_event_no_update"))
        connection.execute(sql("DROP TRIGGER audit_event_no_delete"))


def test_a_quietly_changed_event_is_named_by_audit_verify(app, runner, draft):
    from qualitymark.db import database

    engine = database(app).engine
    with engine.begin() as connection:
        _bypass_trigger(connection, engine.dialect.name)
        connection.execute(sql("UPDATE audit_event SET object_id = '999' WHERE sequence = 2"))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "broken at event 2" in result.output and "changed after it was written" in result.output


def test_removed_events_are_detected_in_the_middle_and_at_the_end(app, runner, submitted):
    from qualitymark.db import database

    engine = database(app).engine
    with engine.begin() as connection:
        _bypass_trigger(connection, engine.dialect.name)
        last = connection.execute(sql("SELECT max(sequence) FROM audit_event")).scalar()
        connection.execute(sql("DELETE FROM audit_event WHERE sequence = :s"), {"s": last})
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "events were removed from the end" in result.output
    with engine.begin() as connection:
        connection.execute(sql("DELETE FROM audit_event WHERE sequence = 2"))
    assert "event 2 is missing" in runner.invoke(args=["audit", "verify"]).output


def test_people_who_may_see_the_application_see_its_history(app, owner, outsider, officer, submitted):
    page = signed_in(app, owner).client.get(f"/applications/{submitted.id}/history").get_data(as_text=True)
    assert "submitted" in page and "started" in page and "Olwen Owner" in page
    assert signed_in(app, officer).client.get(f"/applications/{submitted.id}/history").status_code == 200
    assert signed_in(app, outsider).client.get(f"/applications/{submitted.id}/history").status_code == 404


def test_only_scheme_admins_export_the_trail(app, admin, officer, draft):
    response = signed_in(app, admin).client.get("/office/audit.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].startswith("sequence,time,actor_id,action") and len(lines) > 3
    assert signed_in(app, officer).client.get("/office/audit.csv").status_code == 403


def test_events_written_before_the_chain_existed_are_chained_by_the_migration(tmp_path):
    """Upgrading a database that already has events numbers and hashes them in order."""
    from sqlalchemy import create_engine

    from qualitymark.cli import upgrade_database
    from qualitymark.config import load_settings

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade_database(url, "0005_certificates")
    engine = create_engine(url)
    with engine.begin() as connection:
        for number in range(3):
            connection.execute(sql(
                "INSERT INTO audit_event (created_at, actor_id, action, object_type, object_id, data, request_id) "
                "VALUES ('2026-01-0%d 10:00:00.000000', NULL, 'old.event', 'thing', :n, '{\"n\": 1}', NULL)" % (number + 1)),
                {"n": str(number)})
    engine.dispose()
    upgrade_database(url)
    from qualitymark import create_app

    app = create_app(load_settings({"QUALITYMARK_INSTANCE_DIR": str(tmp_path), "QUALITYMARK_DATABASE_URL": url,
                                    "QUALITYMARK_ENV": "testing", "QUALITYMARK_SECRET_KEY": "x" * 40}))
    result = chain_ok(app)
    assert result.ok and result.checked == 3
    from qualitymark import db
    from qualitymark.services import audit

    with app.app_context():
        audit.record("new.event", "thing", 4, actor_id=None)
        db.commit()
    assert chain_ok(app).checked == 4
    from qualitymark.db import database

    database(app).dispose()
