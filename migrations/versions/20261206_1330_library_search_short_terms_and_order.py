"""library search at scale: an index for one- and two-character terms, and the result order

Search (app/library/search.py) must stay fast at tens of thousands of
cases, where a one- or two-character Chinese term matches most of them.

- SQLite: ``library_search_grams``, a contentless FTS5 table (unicode61
  tokenizer, ``detail=none``, a one-character prefix index) whose tokens are
  the text's two-character runs (``app.db.search_grams``, registered on every
  connection as the SQL function ``library_search_grams``): a two-character
  term is one token, a one-character term a prefix query. Triggers keep it in
  step with ``library_cases`` (a later batch migration that recreates
  ``library_cases`` on SQLite must recreate them). And
  ``ix_library_cases_search_order``, the public order of search results
  (featured, newest call, rank, id) with the title and the hidden flag, which
  a search page walks instead of sorting every hit.
- PostgreSQL: the function ``library_search_grams(text)`` gives every one-,
  two- and three-character substring of a text, and the GIN index
  ``ix_library_cases_search_grams`` indexes it: a term of up to three
  characters is found exactly by ``@>``, a longer one through its trigrams
  (then checked with ``strpos``), without reading the text of the rows.

Revision ID: 4e7a9c2d1b80
Revises: 73fc9fd352d9
Create Date: 2026-12-06 13:30:00.000000
"""
from alembic import op


revision = '4e7a9c2d1b80'
down_revision = '73fc9fd352d9'
branch_labels = None
depends_on = None

# Every one-, two- and three-character substring (GIN drops the duplicates):
# each regexp_replace cuts the text into runs of n characters from one offset,
# C-speed, where a loop over the characters costs milliseconds a row. The
# high COST tells the planner that evaluating it row by row (a sequential
# scan) is far dearer than the index, which never calls it for ``@>``.
POSTGRES_GRAMS = r"""
CREATE OR REPLACE FUNCTION library_search_grams(t text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
BEGIN
  RETURN regexp_split_to_array(t, '')
    || regexp_split_to_array(regexp_replace(t, '(..)', '\1' || chr(1), 'g'), chr(1))
    || regexp_split_to_array(regexp_replace(substr(t, 2), '(..)', '\1' || chr(1), 'g'), chr(1))
    || regexp_split_to_array(regexp_replace(t, '(...)', '\1' || chr(1), 'g'), chr(1))
    || regexp_split_to_array(regexp_replace(substr(t, 2), '(...)', '\1' || chr(1), 'g'), chr(1))
    || regexp_split_to_array(regexp_replace(substr(t, 3), '(...)', '\1' || chr(1), 'g'), chr(1));
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE library_search_grams USING fts5(grams, content='', detail=none, prefix='1', "
                   "tokenize='unicode61 remove_diacritics 0')")
        op.execute("INSERT INTO library_search_grams(rowid, grams) "
                   "SELECT id, library_search_grams(search_text) FROM library_cases")
        op.execute("CREATE TRIGGER library_cases_search_grams_insert AFTER INSERT ON library_cases BEGIN "
                   "INSERT INTO library_search_grams(rowid, grams) VALUES (new.id, library_search_grams(new.search_text)); "
                   "END")
        # Contentless: a row is deleted by giving the tokens it was indexed with.
        op.execute("CREATE TRIGGER library_cases_search_grams_delete AFTER DELETE ON library_cases BEGIN "
                   "INSERT INTO library_search_grams(library_search_grams, rowid, grams) "
                   "VALUES ('delete', old.id, library_search_grams(old.search_text)); END")
        op.execute("CREATE TRIGGER library_cases_search_grams_update AFTER UPDATE OF search_text ON library_cases "
                   "BEGIN "
                   "INSERT INTO library_search_grams(library_search_grams, rowid, grams) "
                   "VALUES ('delete', old.id, library_search_grams(old.search_text)); "
                   "INSERT INTO library_search_grams(rowid, grams) VALUES (new.id, library_search_grams(new.search_text)); "
                   "END")
        # The order app.library.search walks (featured, newest call, rank, id), with what it checks on
        # the way. hidden last: as the first column, "hidden = 0" would draw every listing to this index.
        op.execute("CREATE INDEX ix_library_cases_search_order ON library_cases "
                   "(featured DESC, year DESC, rank, id, title, hidden)")
    else:
        op.execute(POSTGRES_GRAMS)
        op.execute("CREATE INDEX ix_library_cases_search_grams ON library_cases "
                   "USING gin (library_search_grams(search_text))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP INDEX IF EXISTS ix_library_cases_search_order")
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS library_cases_search_grams_{trigger}")
        op.execute("DROP TABLE IF EXISTS library_search_grams")
    else:
        op.execute("DROP INDEX IF EXISTS ix_library_cases_search_grams")
        op.execute("DROP FUNCTION IF EXISTS library_search_grams(text)")
