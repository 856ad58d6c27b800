"""How a search term is matched on each database: the full-text tables'
queries on SQLite, the grams index and its statistics on PostgreSQL
(:mod:`app.library.search` puts them together).

- SQLite: the FTS5 table ``library_search`` (trigram tokenizer) holds a copy
  of every text; a term of three characters or more is a phrase query there
  (a substring match through the index). A shorter one of letters, digits
  and ideographs is a token of the FTS5 table ``library_search_grams``
  (``app.db.search_grams``: "智能" one token, "智" a prefix query); any other
  is ``instr()`` over the trigram table's narrow copy — never ``LIKE`` on the
  trigram table, which SQLite 3.40 answers wrongly for two Chinese characters.
- PostgreSQL: the GIN index over ``library_search_grams(search_text)`` (every
  one-, two- and three-character substring) finds a term of up to three
  characters exactly and a longer one through its trigrams (checked with
  ``strpos``); a term in nearly every case is ``strpos`` alone. ANALYZE's
  statistics on that index say how common a term is.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session, func, select

from app.db import gram_character
from app.models import LibraryCase


def sqlite_sources(found: list[str]) -> list:
    """SQLite: the ids (``rowid``) of the cases holding every term of ``found``,
    as one query per full-text table — the long terms as one phrase query
    through the trigram table; the short ones of letters, digits and
    ideographs as tokens of the grams table; any other short term with
    instr() on the trigram table's own narrow copy of the text (never LIKE on
    the trigram table: SQLite 3.40 gets two Chinese characters wrong there).
    Hidden cases are among them."""
    sources = []
    long_terms = [term for term in found if len(term) >= 3]
    gram_terms = [term for term in found if len(term) < 3 and all(map(gram_character, term))]
    other_terms = [term for term in found if len(term) < 3 and term not in gram_terms]
    if long_terms or other_terms:
        text = []
        if long_terms:
            query = " ".join('"' + term.replace('"', '""') + '"' for term in long_terms)
            text.append(sa.text("library_search MATCH :phrases").bindparams(
                sa.bindparam("phrases", query, unique=True)))
        text += [sa.func.instr(sa.column("search_text"), sa.bindparam("term", term, unique=True)) > 0
                 for term in other_terms]
        sources.append(sa.select(sa.column("rowid")).select_from(sa.table("library_search")).where(*text))
    if gram_terms:
        # A two-character term is one token, a one-character one a prefix ("智*").
        query = " ".join(f'"{term}"' + ("*" if len(term) == 1 else "") for term in gram_terms)
        sources.append(sa.select(sa.column("rowid")).select_from(sa.table("library_search_grams")).where(
            sa.text("library_search_grams MATCH :grams").bindparams(sa.bindparam("grams", query, unique=True))))
    return sources


def sqlite_count(session: Session, found: list[str]) -> int:
    """SQLite: how many visible cases hold every term of ``found``, from the
    full-text tables alone (their hits, less the hidden ones among them,
    checked one by one) — never reading ``library_cases`` for every hit."""
    sources = sqlite_sources(found)
    # rowid + 0: checked against the other table's hits, not looked up one by one in the first.
    hits = sources[0].where(*((sa.column("rowid") + 0).in_(source) for source in sources[1:]))
    total = select(func.count()).select_from(hits.subquery()).scalar_subquery()
    hidden = select(func.count()).select_from(LibraryCase).where(
        LibraryCase.hidden.is_(True),
        *(sa.exists(source.where(sa.column("rowid") == LibraryCase.id)) for source in sources)).scalar_subquery()
    return session.exec(select(total - hidden)).one()


#: A gram in at least this share of the cases (by the planner's statistics) is
#: looked for with strpos() instead of the grams index: for a gram in (nearly)
#: every case the planner prefers a sequential scan, which would call
#: library_search_grams() on every row. (At 50,000 cases it still chose the
#: index at 0.99; a margin, since reading nearly every row costs a scan anyway.)
COMMON_GRAM = 0.9


#: How long a process keeps the gram statistics it read (they change with
#: ANALYZE, which autovacuum runs after many changes; stale shares only pick
#: another way of finding a term, never other hits).
GRAM_SHARES_SECONDS = 300.0


@dataclass(frozen=True)
class GramShares:
    """PostgreSQL: the share of the cases whose search text holds each of the
    most common grams, as ANALYZE estimated it from a sample for the grams
    index, and the table's estimated number of rows, hidden cases among them
    (``pg_class.reltuples``); no shares and 0 before the first ANALYZE. A
    gram not listed is in fewer cases than (about) any listed one."""

    shares: dict[str, float]
    cases: int

    def of(self, term: str) -> float:
        """The estimated share of the cases holding ``term``: at most that of
        its rarest gram; 0, taken as rare, when one of its grams is not listed."""
        return min(self.shares.get(gram, 0.0) for gram in grams_of(term))


_gram_shares_read: dict[str, tuple[float, GramShares]] = {}


def gram_shares(session: Session) -> GramShares:
    """The statistics of the grams, read at most every :data:`GRAM_SHARES_SECONDS`
    per database (``pg_stats`` costs more than a millisecond, a thirtieth of a
    common term's search)."""
    database = session.get_bind().engine.url.render_as_string()
    read_at, shares = _gram_shares_read.get(database, (None, None))
    if read_at is not None and time.monotonic() - read_at < GRAM_SHARES_SECONDS:
        return shares
    row = session.connection().exec_driver_sql(
        "SELECT most_common_elems::text::text[], most_common_elem_freqs, "
        "(SELECT reltuples FROM pg_class WHERE oid = 'library_cases'::regclass) FROM pg_stats "
        "WHERE schemaname = current_schema() AND tablename = 'ix_library_cases_search_grams'").first()
    shares = GramShares(shares=dict(zip(row[0], row[1])), cases=max(int(row[2]), 0)) if row and row[0] \
        else GramShares(shares={}, cases=0)
    _gram_shares_read[database] = (time.monotonic(), shares)
    return shares


def grams_of(term: str) -> list[str]:
    """The grams the index holds for ``term``: itself up to three characters, else its trigrams."""
    return [term] if len(term) <= 3 else [term[i:i + 3] for i in range(len(term) - 2)]


def postgres_conditions(session: Session, found: list[str]) -> list:
    """PostgreSQL: the grams index finds a term of up to three characters
    exactly, and a longer one's candidates by its trigrams, which strpos()
    then checks — the text of a row is read only for those.
    """
    shares = gram_shares(session).shares
    grams, checks = [], []
    for term in found:
        grams += [gram for gram in grams_of(term) if shares.get(gram, 0.0) < COMMON_GRAM]
        if len(term) > 3 or shares.get(term, 0.0) >= COMMON_GRAM:
            checks.append(sa.func.strpos(LibraryCase.search_text, sa.bindparam("term", term, unique=True)) > 0)
    where = []
    if grams:
        where.append(sa.func.library_search_grams(LibraryCase.search_text).op("@>")(
            sa.cast(sa.bindparam("grams", sorted(set(grams)), type_=ARRAY(sa.Text), unique=True), ARRAY(sa.Text))))
    return where + checks
