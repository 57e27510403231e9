"""performance: indexes for the office dashboard and the public register (its order and its search)

Revision ID: 0008_performance
Revises: 0007_two_factor
Create Date: 2026-11-22 05:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op


revision: str = '0008_performance'
down_revision: str | None = '0007_two_factor'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.create_index('ix_application_updated_at_id', ['updated_at', 'id'], unique=False)

    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index('ix_certificate_organisation_id_id', ['organisation_id', 'id'], unique=False)

    # Searching inside names (ILIKE '%...%') uses trigrams on PostgreSQL. pg_trgm ships with
    # PostgreSQL and is a trusted extension: the database's owner may create it.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index('ix_organisation_name_id', ['name', 'id'], unique=False)
        batch_op.create_index('ix_organisation_name_trgm', ['name'], unique=False, postgresql_using='gin',
                              postgresql_ops={'name': 'gin_trgm_ops'})


def downgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index('ix_organisation_name_trgm')
        batch_op.drop_index('ix_organisation_name_id')

    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index('ix_certificate_organisation_id_id')

    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index('ix_application_updated_at_id')
