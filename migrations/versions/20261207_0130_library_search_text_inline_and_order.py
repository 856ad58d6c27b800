"""library search on PostgreSQL: the search text kept in the row, and the order index

- ``library_cases.search_text`` is stored ``MAIN``: kept in the row, where
  the default (``EXTENDED``) moved it out of line in most rows beside the
  long problem and solution texts, so every ``strpos`` check of a candidate
  fetched it from the TOAST table (a term of four characters or more, found
  in 14,581 of 50,000 cases: 49 → 35 ms). Existing rows are written again
  to take the new storage: the table is locked while the migration runs (a
  few seconds for a few thousand cases; a few minutes at 50,000), and
  ``VACUUM ANALYZE library_cases`` afterwards gives back the old rows' room
  (autovacuum does it in its own time).
- ``ix_library_cases_search_order``: the visible cases in the order search
  results take after the title hits (featured, newest call, rank, id), as
  SQLite has had since ``20261206_1330``; a common term's page of hits is
  read from it (``app.library.search._walk_postgres``).

SQLite: nothing changes. Downgrading drops the index and sets the storage
back; the rows need no rewrite (a value kept in the row suits either).

Revision ID: 5d2e8a41c7f3
Revises: 9b3f1c7e2a64
Create Date: 2026-12-07 01:30:00.000000
"""
from alembic import op

revision = '5d2e8a41c7f3'
down_revision = '9b3f1c7e2a64'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE library_cases ALTER COLUMN search_text SET STORAGE MAIN")
    # A value is stored as the storage says only when written: write each again (a new value, so not
    # the old TOAST pointer carried over).
    op.execute("UPDATE library_cases SET search_text = search_text || ''")
    op.execute("CREATE INDEX ix_library_cases_search_order ON library_cases "
               "(featured DESC, year DESC, (rank IS NULL), rank, id) WHERE hidden IS FALSE")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_library_cases_search_order")
    op.execute("ALTER TABLE library_cases ALTER COLUMN search_text SET STORAGE EXTENDED")
