"""A published snapshot as two canonical documents, and the hashes that pin it.

Pure: a run and its rows in (anything with their attributes), plain
documents, bytes and hex digests out; no database, no Flask.

- The **public** document holds what the public may see: the call, the
  snapshot, when it was published, the method and settings, and the
  selection; ranks and scores only when the chair made them public
  (``public_scores``), as in the case library. Anyone may download it.
- The **private** document holds the rest of the run as stored: expert
  names and statistics, the full summary, user ids, the raw figures of every
  entry. It never leaves the staff side.

Each document is hashed as its canonical JSON (:func:`canonical_json`) with
SHA-256, and the snapshot hash (``ResultRun.content_hash``) is the SHA-256
of the canonical JSON of ``{"private": <private hash>, "public": <public
hash>}`` (:func:`snapshot_hash`). The README ("Verifying a published
snapshot") documents this for third parties; change it only together with
that section and a new ``format``.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

PUBLIC_FORMAT = "scenario-showcase/results-public/1"
PRIVATE_FORMAT = "scenario-showcase/results-private/1"

#: The fields of an entry in the public document; the ranks and the score
#: only when ``public_scores``.
PUBLIC_ENTRY_FIELDS = ("entry_id", "title", "organisation_name", "domain", "city_code", "selected", "decision")
PUBLIC_SCORE_FIELDS = ("rank", "domain_rank", "score")
#: Row columns the private document leaves out: the row's own keys.
PRIVATE_SKIPPED = ("id", "run_id")
#: Row columns added with review rounds: in both documents only for a run
#: that combines several rounds (:func:`multi_round`), so that every other
#: document — and every snapshot published before rounds existed — hashes
#: exactly as it did.
ROUND_FIELDS = ("round_scores", "shortlisted")
#: Row columns kept for the official list (public notice); left out while unused.
LIST_FIELDS = ("withdrawn_reason",)


def canonical_json(document: Any) -> bytes:
    """The one byte form of ``document`` that is hashed: keys sorted, UTF-8
    (no ``\\u`` escapes but for control characters), no spaces, numbers as
    Python writes them; NaN and infinities are refused (ValueError)."""
    return json.dumps(
        document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def document_hash(document: Any) -> str:
    """SHA-256 (lower-case hex) of the canonical JSON of ``document``."""
    return hashlib.sha256(canonical_json(document)).hexdigest()


def snapshot_hash(public_hash: str, private_hash: str) -> str:
    """The snapshot hash over both document hashes (see the module)."""
    return document_hash({"private": private_hash, "public": public_hash})


def utc_time(value: datetime | None) -> str | None:
    """An aware time as UTC ISO 8601 with microseconds: ``2026-07-01T08:30:00.000000Z``."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def multi_round(rows: Sequence) -> bool:
    """True for the rows of a run that combines several review rounds."""
    return any(getattr(row, "round_scores", None) for row in rows)


def public_document(run, rows: Sequence) -> dict[str, Any]:
    """What the public may see of the published ``run`` with its ``rows``.

    With public scores, every ranked entry in rank order with its rank,
    domain rank and score beside the selection; without, only the selected
    entries, by entry id, and no ranks or scores (the order would give the
    ranks away). A run combining several rounds adds each entry's
    ``shortlisted``, and with public scores its ``round_scores``.
    """
    parameters = dict(run.parameters)
    call = parameters.pop("call", {})  # as it was when computed: renaming the call later changes nothing
    fields = PUBLIC_ENTRY_FIELDS + (PUBLIC_SCORE_FIELDS if run.public_scores else ())
    if multi_round(rows):
        fields += ("shortlisted",) + (("round_scores",) if run.public_scores else ())
    if run.public_scores:
        shown = sorted(rows, key=lambda row: (row.rank, row.entry_id))
    else:
        shown = sorted((row for row in rows if row.selected), key=lambda row: row.entry_id)
    return {
        "format": PUBLIC_FORMAT,
        "call": {"id": run.call_id, "name": call.get("name"), "year": call.get("year")},
        "snapshot": run.id,
        "published_at": utc_time(run.published_at),
        "method": run.method,
        "settings": parameters,
        "public_scores": run.public_scores,
        "entries": [{name: _plain(getattr(row, name)) for name in fields} for row in shown],
    }


def private_document(run, rows: Sequence, *, columns: Iterable[str]) -> dict[str, Any]:
    """Everything else the run holds: its summary (expert names and
    statistics), user ids, the inputs' hash and every stored column of every
    row (``columns``: the row's column names), in rank order."""
    skipped = PRIVATE_SKIPPED + (() if multi_round(rows) else ROUND_FIELDS)
    skipped += tuple(name for name in LIST_FIELDS if all(getattr(row, name, None) is None for row in rows))
    names = [name for name in columns if name not in skipped]
    return {
        "format": PRIVATE_FORMAT,
        "call_id": run.call_id,
        "snapshot": run.id,
        "computed_at": utc_time(run.computed_at),
        "computed_by_id": run.computed_by_id,
        "published_at": utc_time(run.published_at),
        "published_by_id": run.published_by_id,
        "public_scores": run.public_scores,
        "inputs_hash": run.inputs_hash,
        "method": run.method,
        "parameters": run.parameters,
        "summary": run.summary,
        "entries": [
            {name: _plain(getattr(row, name)) for name in names}
            for row in sorted(rows, key=lambda row: (row.rank, row.entry_id))
        ],
    }


def _plain(value):
    if isinstance(value, datetime):
        return utc_time(value)
    if hasattr(value, "value"):  # enums: their stored key
        return value.value
    return value

