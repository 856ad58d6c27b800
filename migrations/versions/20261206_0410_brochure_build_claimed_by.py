"""brochure builds: the worker process that claimed a build

``brochures.claimed_by`` names the ``flask worker`` process running a build
("host pid start-time"), so that a worker starting on the same host ends,
as failed, the builds of a worker that was killed (``kill -9``, out of
memory) instead of leaving them running until they go stale.

Revision ID: 5b0c4e1d9a27
Revises: 5a1e0c7b9d21
Create Date: 2026-12-06 04:10:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel.sql.sqltypes.AutoString)


revision = '5b0c4e1d9a27'
down_revision = '5a1e0c7b9d21'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('brochures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('brochures', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')
