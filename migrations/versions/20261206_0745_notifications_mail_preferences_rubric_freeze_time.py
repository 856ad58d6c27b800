"""notifications, each user's language and muted mails, when a call's rubric was frozen

``notifications`` holds the in-app notifications (kind and parameters, written
in the reader's language when shown); ``users.language`` is the language of a
person's mails (None: the site's); ``users.muted_mails`` the kinds of
non-essential mail they turned off; ``call_rubrics.frozen_at`` when the call's
rubric for a domain was frozen (the rubric version itself may be older).

Revision ID: 8d2e3f4a5b61
Revises: 7c1d2e3f4a50
Create Date: 2026-12-06 07:45:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel.sql.sqltypes.AutoString)


revision = '8d2e3f4a5b61'
down_revision = '7c1d2e3f4a50'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('link', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_notifications_user_read', ['user_id', 'read_at'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True))
        # The default fills the existing rows only: the app always writes the list.
        batch_op.add_column(sa.Column('muted_mails', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('muted_mails', server_default=None)
    with op.batch_alter_table('call_rubrics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('call_rubrics', schema=None) as batch_op:
        batch_op.drop_column('frozen_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('muted_mails')
        batch_op.drop_column('language')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_read')
        batch_op.drop_index(batch_op.f('ix_notifications_user_id'))
    op.drop_table('notifications')
