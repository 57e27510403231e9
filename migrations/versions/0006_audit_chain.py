"""hash-chained append-only audit trail

Revision ID: 0006_audit_chain
Revises: 0005_certificates
Create Date: 2026-11-22 03:20:01.651375
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0006_audit_chain'
down_revision: str | None = '0005_certificates'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


GENESIS = "0" * 64


def _chain_existing_events() -> tuple[int, str]:
    """Number the events written before the chain existed and hash them, in the order written.
    The content hashed is the same as qualitymark.services.audit.event_hash (kept here as it was
    when this migration was written, so later code changes cannot change history)."""
    import hashlib
    import json
    from datetime import timezone

    import rfc8785

    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, created_at, actor_id, action, object_type, object_id, data, request_id "
        "FROM audit_event ORDER BY id")).mappings().all()
    previous, sequence = GENESIS, 0
    for row in rows:
        sequence += 1
        created = row["created_at"]
        if isinstance(created, str):
            from datetime import datetime

            created = datetime.fromisoformat(created)
        if created.tzinfo is None:
            created = created.replace(tzinfo=timezone.utc)
        data = row["data"] if isinstance(row["data"], dict) else json.loads(row["data"] or "{}")
        content = {"sequence": sequence, "created_at": created.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                   "actor_id": row["actor_id"], "action": row["action"], "object_type": row["object_type"],
                   "object_id": row["object_id"], "data": data, "request_id": row["request_id"],
                   "previous_hash": previous}
        digest = hashlib.sha256(rfc8785.dumps(content)).hexdigest()
        bind.execute(sa.text("UPDATE audit_event SET sequence = :s, previous_hash = :p, hash = :h WHERE id = :i"),
                     {"s": sequence, "p": previous, "h": digest, "i": row["id"]})
        previous = digest
    return sequence, previous


def upgrade() -> None:
    op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_sequence', sa.Integer(), nullable=False),
    sa.Column('last_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_chain_head_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequence', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('previous_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    last_sequence, last_hash = _chain_existing_events()
    op.get_bind().execute(sa.text(
        "INSERT INTO audit_chain_head (id, last_sequence, last_hash) VALUES (1, :s, :h)"),
        {"s": last_sequence, "h": last_hash})
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('sequence', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('previous_hash', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_event_hash'), ['hash'])
        batch_op.create_unique_constraint(batch_op.f('uq_audit_event_sequence'), ['sequence'])
        batch_op.create_check_constraint('hashes_are_sha256', 'length(hash) = 64 AND length(previous_hash) = 64')
    # Append-only: the database refuses UPDATE and DELETE on the trail, whatever code runs.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'the audit trail is append-only';
            END $$ LANGUAGE plpgsql
        """)
        op.execute("CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
                   "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_event_no_{event.lower()} BEFORE {event} ON audit_event "
                       "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_audit_event_hashes_are_sha256'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_audit_event_sequence'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_audit_event_hash'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('previous_hash')
        batch_op.drop_column('sequence')

    op.drop_table('audit_chain_head')
    # ### end Alembic commands ###
