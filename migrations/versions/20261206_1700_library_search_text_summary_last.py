"""library search text: the summary last

``library_cases.search_text`` (``app.library.services.search_text``) held the
title, the summary, the organisation and the tag names, a line each; the
summary now comes last. PostgreSQL checks the candidates of a term of four
characters or more with ``strpos``, which stops at the first match: a term
found in the organisation or a tag name (an English tag name such as
"vision") is then found after ~150 bytes instead of ~800. Search finds the
same cases either way (no term spans two lines).

Existing rows are rewritten where their text has the old shape; any other
(none is expected) keeps its text, which search reads the same. On SQLite the
update triggers re-index the rewritten rows.

Revision ID: 9b3f1c7e2a64
Revises: 4e7a9c2d1b80
Create Date: 2026-12-06 17:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '9b3f1c7e2a64'
down_revision = '4e7a9c2d1b80'
branch_labels = None
depends_on = None

CASES = sa.table("library_cases", sa.column("id", sa.Integer), sa.column("title", sa.Text),
                 sa.column("summary", sa.Text), sa.column("public_summary", sa.Text),
                 sa.column("search_text", sa.Text))


def summary_last(text: str, title: str, summary: str) -> str:
    """title, summary, rest → title, rest, summary (unchanged when it is not that shape)."""
    head = f"{title}\n{summary}\n"
    if summary and text.startswith(head):
        return f"{title}\n{text[len(head):]}\n{summary}"
    return text


def summary_second(text: str, title: str, summary: str) -> str:
    """title, rest, summary → title, summary, rest (unchanged when it is not that shape)."""
    head, tail = f"{title}\n", f"\n{summary}"
    if summary and text.startswith(head) and text.endswith(tail) and len(text) > len(head) + len(tail):
        return f"{title}\n{summary}\n{text[len(head):-len(tail)]}"
    return text


def _rewrite(reorder) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(CASES.c.id, CASES.c.title, CASES.c.summary, CASES.c.public_summary,
                                        CASES.c.search_text)).all()
    changed = []
    for case_id, title, summary, public_summary, text in rows:
        shown = public_summary if public_summary is not None else summary
        new = reorder(text, (title or "").lower(), (shown or "").lower())
        if new != text:
            changed.append({"case_id": case_id, "text": new})
    if changed:
        connection.execute(sa.update(CASES).where(CASES.c.id == sa.bindparam("case_id"))
                           .values(search_text=sa.bindparam("text")), changed)


def upgrade() -> None:
    _rewrite(summary_last)


def downgrade() -> None:
    _rewrite(summary_second)
