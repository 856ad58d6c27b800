"""review rounds, shortlists, defence slots, notices, objections, certificates

``review_rounds`` are a call's rounds beyond the online review (none: one
round, as before); ``round_no`` on panels, call rubrics, assignments, score
sheets and result runs says which round a row belongs to (1 for every
existing row). ``shortlist_entries`` and ``defence_slots`` hold a later
round's shortlist and its defence sessions. ``notices`` and the ``objection*``
tables the public notice (公示) of a proposed list; ``result_runs.list_kind``
whether publishing a run selected at once, proposed a list or made it
official. ``certificates`` and ``certificate_builds`` the certificates of an
official list. ``calls`` gains the rounds', notice and certificate settings.

Revision ID: 73fc9fd352d9
Revises: 8d2e3f4a5b61
Create Date: 2026-12-06 09:55:20.751196
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel.sql.sqltypes.AutoString)


revision = '73fc9fd352d9'
down_revision = '8d2e3f4a5b61'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('certificate_builds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('zip_key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_certificate_builds_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_certificate_builds_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_builds')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('certificate_builds', schema=None) as batch_op:
        batch_op.create_index('ix_certificate_builds_call_status', ['call_id', 'status'], unique=False)

    op.create_table('review_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shortlist_basis', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('shortlist_size', sa.Integer(), nullable=False),
    sa.Column('shortlist_borderline', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('number >= 1', name=op.f('ck_review_rounds_number_positive')),
    sa.CheckConstraint('weight >= 0 AND weight <= 100', name=op.f('ck_review_rounds_weight_percent')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_review_rounds_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_rounds')),
    sa.UniqueConstraint('call_id', 'number', name=op.f('uq_review_rounds_call_id_number'))
    )
    with op.batch_alter_table('review_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_rounds_call_id'), ['call_id'], unique=False)

    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('serial', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('organisation_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('domain', sa.String(length=20), nullable=False),
    sa.Column('call_title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('issuer', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('file_key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_certificates_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_certificates_entry_id_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_certificates_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['run_id'], ['result_runs.id'], name=op.f('fk_certificates_run_id_result_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('call_id', 'entry_id', name=op.f('uq_certificates_call_id_entry_id')),
    sa.UniqueConstraint('serial', name=op.f('uq_certificates_serial'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_entry_id'), ['entry_id'], unique=False)

    op.create_table('defence_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('round_no', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('room', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('video_link', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_defence_slots_duration_positive')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_defence_slots_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_defence_slots_confirmed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_defence_slots_entry_id_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_defence_slots')),
    sa.UniqueConstraint('call_id', 'round_no', 'entry_id', name=op.f('uq_defence_slots_call_id_round_no_entry_id'))
    )
    with op.batch_alter_table('defence_slots', schema=None) as batch_op:
        batch_op.create_index('ix_defence_slots_call_start', ['call_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_defence_slots_entry_id'), ['entry_id'], unique=False)

    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('proposed_run_id', sa.Integer(), nullable=False),
    sa.Column('official_run_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('period_days', sa.Integer(), nullable=False),
    sa.Column('working_days', sa.Boolean(), nullable=False),
    sa.Column('contact', sa.Text(), nullable=False),
    sa.Column('show_scores', sa.Boolean(), nullable=False),
    sa.Column('anonymous_allowed', sa.Boolean(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('starts_at < ends_at', name=op.f('ck_notices_period_ordered')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_notices_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['official_run_id'], ['result_runs.id'], name=op.f('fk_notices_official_run_id_result_runs')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_notices_opened_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposed_run_id'], ['result_runs.id'], name=op.f('fk_notices_proposed_run_id_result_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_call_id'), ['call_id'], unique=False)

    op.create_table('shortlist_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('round_no', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('from_run_id', sa.Integer(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('included', sa.Boolean(), nullable=False),
    sa.Column('chair_reason', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_shortlist_entries_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_shortlist_entries_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_shortlist_entries_entry_id_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_run_id'], ['result_runs.id'], name=op.f('fk_shortlist_entries_from_run_id_result_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shortlist_entries')),
    sa.UniqueConstraint('call_id', 'round_no', 'entry_id', name=op.f('uq_shortlist_entries_call_id_round_no_entry_id'))
    )
    with op.batch_alter_table('shortlist_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shortlist_entries_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shortlist_entries_entry_id'), ['entry_id'], unique=False)

    op.create_table('objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('objector_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('objector_phone', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('objector_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('objector_organisation', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('grounds', sa.Text(), nullable=False),
    sa.Column('client_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('replacement_entry_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['users.id'], name=op.f('fk_objections_assigned_to_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_objections_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_objections_entry_id_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_objections_notice_id_notices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replacement_entry_id'], ['entries.id'], name=op.f('fk_objections_replacement_entry_id_entries'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objections')),
    sa.UniqueConstraint('reference', name=op.f('uq_objections_reference'))
    )
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objections_client_hash'), ['client_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_objections_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index('ix_objections_notice_status', ['notice_id', 'status'], unique=False)

    op.create_table('objection_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('objection_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_objection_notes_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['objection_id'], ['objections.id'], name=op.f('fk_objection_notes_objection_id_objections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objection_notes'))
    )
    with op.batch_alter_table('objection_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objection_notes_objection_id'), ['objection_id'], unique=False)

    op.create_table('objection_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('objection_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_objection_questions_answered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['asked_by_id'], ['users.id'], name=op.f('fk_objection_questions_asked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['objection_id'], ['objections.id'], name=op.f('fk_objection_questions_objection_id_objections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objection_questions'))
    )
    with op.batch_alter_table('objection_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objection_questions_objection_id'), ['objection_id'], unique=False)

    op.create_table('objection_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('objection_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('blob_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['objection_id'], ['objections.id'], name=op.f('fk_objection_files_objection_id_objections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['objection_questions.id'], name=op.f('fk_objection_files_question_id_objection_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objection_files'))
    )
    with op.batch_alter_table('objection_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objection_files_objection_id'), ['objection_id'], unique=False)

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_no', sa.Integer(), server_default='1', nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_assignments_entry_id_expert_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_assignments_entry_id_expert_id_round_no'), ['entry_id', 'expert_id', 'round_no'])

    with op.batch_alter_table('call_rubrics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_no', sa.Integer(), server_default='1', nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_call_rubrics_call_id_domain'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_call_rubrics_call_id_domain_round_no'), ['call_id', 'domain', 'round_no'])

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_combination', sqlmodel.sql.sqltypes.AutoString(length=20), server_default='weighted', nullable=False))
        batch_op.add_column(sa.Column('notice_required', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('notice_days', sa.Integer(), server_default='5', nullable=False))
        batch_op.add_column(sa.Column('notice_working_days', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('notice_contact', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('objections_anonymous', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('certificate_issuer', sqlmodel.sql.sqltypes.AutoString(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('certificate_seal_key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))

    with op.batch_alter_table('panels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_no', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('result_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_scores', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
        batch_op.add_column(sa.Column('shortlisted', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('withdrawn_reason', sa.Text(), nullable=True))

    with op.batch_alter_table('result_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_no', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('list_kind', sqlmodel.sql.sqltypes.AutoString(length=12), server_default='results', nullable=False))

    with op.batch_alter_table('score_sheets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_no', sa.Integer(), server_default='1', nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_score_sheets_entry_id_expert_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_score_sheets_entry_id_expert_id_round_no'), ['entry_id', 'expert_id', 'round_no'])

    # The defaults fill the existing rows only: the app always writes these.
    with op.batch_alter_table('result_entries', schema=None) as batch_op:
        batch_op.alter_column('round_scores', server_default=None)
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.alter_column('notice_contact', server_default=None)
        batch_op.alter_column('certificate_issuer', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('score_sheets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_score_sheets_entry_id_expert_id_round_no'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_score_sheets_entry_id_expert_id'), ['entry_id', 'expert_id'])
        batch_op.drop_column('round_no')

    with op.batch_alter_table('result_runs', schema=None) as batch_op:
        batch_op.drop_column('list_kind')
        batch_op.drop_column('round_no')

    with op.batch_alter_table('result_entries', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_reason')
        batch_op.drop_column('shortlisted')
        batch_op.drop_column('round_scores')

    with op.batch_alter_table('panels', schema=None) as batch_op:
        batch_op.drop_column('round_no')

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_column('certificate_seal_key')
        batch_op.drop_column('certificate_issuer')
        batch_op.drop_column('objections_anonymous')
        batch_op.drop_column('notice_contact')
        batch_op.drop_column('notice_working_days')
        batch_op.drop_column('notice_days')
        batch_op.drop_column('notice_required')
        batch_op.drop_column('round_combination')

    with op.batch_alter_table('call_rubrics', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_call_rubrics_call_id_domain_round_no'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_call_rubrics_call_id_domain'), ['call_id', 'domain'])
        batch_op.drop_column('round_no')

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_assignments_entry_id_expert_id_round_no'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_assignments_entry_id_expert_id'), ['entry_id', 'expert_id'])
        batch_op.drop_column('round_no')

    with op.batch_alter_table('objection_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objection_files_objection_id'))

    op.drop_table('objection_files')
    with op.batch_alter_table('objection_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objection_questions_objection_id'))

    op.drop_table('objection_questions')
    with op.batch_alter_table('objection_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objection_notes_objection_id'))

    op.drop_table('objection_notes')
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.drop_index('ix_objections_notice_status')
        batch_op.drop_index(batch_op.f('ix_objections_entry_id'))
        batch_op.drop_index(batch_op.f('ix_objections_client_hash'))

    op.drop_table('objections')
    with op.batch_alter_table('shortlist_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shortlist_entries_entry_id'))
        batch_op.drop_index(batch_op.f('ix_shortlist_entries_call_id'))

    op.drop_table('shortlist_entries')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notices_call_id'))

    op.drop_table('notices')
    with op.batch_alter_table('defence_slots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_defence_slots_entry_id'))
        batch_op.drop_index('ix_defence_slots_call_start')

    op.drop_table('defence_slots')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_entry_id'))
        batch_op.drop_index(batch_op.f('ix_certificates_call_id'))

    op.drop_table('certificates')
    with op.batch_alter_table('review_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_rounds_call_id'))

    op.drop_table('review_rounds')
    with op.batch_alter_table('certificate_builds', schema=None) as batch_op:
        batch_op.drop_index('ix_certificate_builds_call_status')

    op.drop_table('certificate_builds')
