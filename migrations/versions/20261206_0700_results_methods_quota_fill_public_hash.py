"""results: quota fill-up, z-score guards, public and private snapshot hashes

``calls.quota_fill`` (default on) gives a domain's unfilled quota places to
the best remaining entries of other domains; ``calls.zscore_min_sheets`` and
``calls.zscore_sd_floor`` guard the z-score method; ``result_runs.public_hash``
and ``private_hash`` are the SHA-256 of a published snapshot's public and
private canonical documents.

Revision ID: 7c1d2e3f4a50
Revises: 5b0c4e1d9a27
Create Date: 2026-12-06 07:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel.sql.sqltypes.AutoString)


revision = '7c1d2e3f4a50'
down_revision = '5b0c4e1d9a27'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quota_fill', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('zscore_min_sheets', sa.Integer(), server_default='8', nullable=False))
        batch_op.add_column(sa.Column('zscore_sd_floor', sa.Float(), server_default='4', nullable=True))
    with op.batch_alter_table('result_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('private_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('result_runs', schema=None) as batch_op:
        batch_op.drop_column('private_hash')
        batch_op.drop_column('public_hash')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_column('zscore_sd_floor')
        batch_op.drop_column('zscore_min_sheets')
        batch_op.drop_column('quota_fill')
