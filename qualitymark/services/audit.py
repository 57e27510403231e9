"""Writing and checking the audit trail. Every state change calls `record` in its own transaction."""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from typing import Any

import rfc8785
from flask import g, has_request_context
from sqlmodel import select

from qualitymark import db
from qualitymark.clock import utcnow
from qualitymark.models.audit import GENESIS_HASH, AuditChainHead, AuditEvent


def _timestamp(moment) -> str:
    from datetime import timezone

    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(event: AuditEvent, previous_hash: str) -> str:
    """SHA-256 over the canonical JSON (RFC 8785) of the event's content and the previous hash."""
    content = {
        "sequence": event.sequence,
        "created_at": _timestamp(event.created_at),
        "actor_id": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": event.data,
        "request_id": event.request_id,
        "previous_hash": previous_hash,
    }
    return hashlib.sha256(rfc8785.dumps(content)).hexdigest()


def _head():
    session = db.session()
    locking = session.bind.dialect.name != "sqlite"  # SQLite serialises writers itself
    head = session.exec(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update(nowait=False)
                        if locking else select(AuditChainHead).where(AuditChainHead.id == 1)).first()
    if head is None:
        head = AuditChainHead(id=1, last_sequence=0, last_hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


def record(
    action: str,
    object_type: str,
    object_id: Any,
    *,
    actor_id: int | None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    session = db.session()
    head = _head()
    event = AuditEvent(
        sequence=head.last_sequence + 1,
        created_at=utcnow(),
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=_plain(changes or {}),
        request_id=g.get("request_id") if has_request_context() else None,
        previous_hash=head.last_hash,
        hash="",
    )
    event.hash = event_hash(event, head.last_hash)
    head.last_sequence, head.last_hash = event.sequence, event.hash
    session.add(event)
    session.flush()
    return event


def _plain(value: Any) -> Any:
    """JSON values only, so what is hashed is exactly what the database stores and gives back."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(item) for item in value]
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


@dataclass
class ChainCheck:
    checked: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(batch: int = 5000) -> ChainCheck:
    """Walk the whole chain in order; name the first event whose hash or link does not hold."""
    session = db.session()
    previous_hash, expected_sequence, checked, last_id = GENESIS_HASH, 1, 0, 0
    while True:
        events = session.exec(select(AuditEvent).where(AuditEvent.sequence >= expected_sequence)
                              .order_by(AuditEvent.sequence).limit(batch)).all()
        if not events:
            break
        for event in events:
            if event.sequence != expected_sequence:
                return ChainCheck(checked, expected_sequence,
                                  f"event {expected_sequence} is missing (the next one is {event.sequence})")
            if event.previous_hash != previous_hash:
                return ChainCheck(checked, event.sequence,
                                  f"event {event.sequence} does not point at the hash of event {event.sequence - 1}")
            if event_hash(event, previous_hash) != event.hash:
                return ChainCheck(checked, event.sequence,
                                  f"event {event.sequence} ({event.action}) was changed after it was written")
            previous_hash, expected_sequence, checked, last_id = event.hash, expected_sequence + 1, checked + 1, event.id
        session.expunge_all()
    head = session.get(AuditChainHead, 1)
    if head is not None and (head.last_sequence != checked or (checked and head.last_hash != previous_hash)):
        return ChainCheck(checked, checked + 1, f"the chain ends at event {checked} but its head says "
                                                f"{head.last_sequence}: events were removed from the end")
    return ChainCheck(checked)


def history(object_type: str, object_id: Any) -> list[AuditEvent]:
    return list(db.session().exec(select(AuditEvent).where(
        AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id)).order_by(AuditEvent.sequence)).all())


def export_csv() -> str:
    import json

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["sequence", "time", "actor_id", "action", "object_type", "object_id", "changes",
                     "request_id", "previous_hash", "hash"])
    for event in db.session().exec(select(AuditEvent).order_by(AuditEvent.sequence)).all():
        writer.writerow([event.sequence, _timestamp(event.created_at), event.actor_id or "", event.action,
                         event.object_type, event.object_id, json.dumps(event.data, ensure_ascii=False, sort_keys=True),
                         event.request_id or "", event.previous_hash, event.hash])
    return buffer.getvalue()
