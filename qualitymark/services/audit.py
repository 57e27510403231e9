"""Writing the audit trail. Every state change calls `record` in its own transaction."""
from __future__ import annotations

from typing import Any

from flask import g, has_request_context

from qualitymark import db
from qualitymark.models.audit import AuditEvent


def record(
    action: str,
    object_type: str,
    object_id: Any,
    *,
    actor_id: int | None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=changes or {},
        request_id=g.get("request_id") if has_request_context() else None,
    )
    session = db.session()
    session.add(event)
    session.flush()
    return event
