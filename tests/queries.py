"""Counting the SQL statements a piece of code sends, for the query-count tests.

``count_queries(engine)`` records every statement the engine's connections
execute inside the block. The SAVEPOINTs of the test transaction (a request's
commit only releases one there) and transaction control are left out: they
are the tests' own, and production sends a plain COMMIT instead.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import event

_TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")


@dataclass
class Queries:
    """The statements seen so far, in order."""

    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        return "\n".join(f"{number:3}. {' '.join(statement.split())[:200]}"
                         for number, statement in enumerate(self.statements, start=1))


@contextmanager
def count_queries(engine: sa.Engine) -> Iterator[Queries]:
    """The statements ``engine`` executes inside the block (transaction control left out)."""
    queries = Queries()

    def _record(_connection, _cursor, statement, _parameters, _context, _executemany):
        if not statement.lstrip().upper().startswith(_TRANSACTION_CONTROL):
            queries.statements.append(statement)

    event.listen(engine, "before_cursor_execute", _record)
    try:
        yield queries
    finally:
        event.remove(engine, "before_cursor_execute", _record)
