"""Checking a public snapshot document, or a hash, against the published
snapshots: what ``flask results verify`` and the public page
``/results/verify`` say.

A document is read as JSON and hashed by the documented rule
(``app.results.snapshot``), so a reformatted copy of a public document
still matches; a hash is looked up among the public hashes and the snapshot
hashes of published runs. Only published runs ever match.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC
from urllib.parse import urlencode

from flask import current_app
from sqlmodel import Session, or_, select

from app.i18n import lazy_gettext as _l
from app.input_rules import MAX_ID
from app.models import ResultRun
from app.results import snapshot

#: The largest document the public page takes: the public document of a
#: call of 5,000 entries is about 1.5 MB.
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024

#: The public page that checks a document or a hash (``public_views``
#: serves it; exports and the library print it).
VERIFY_PATH = "/results/verify"

# Outcomes.
MATCH = "match"  # the document's (or the given) hash is a published snapshot's
EMPTY = "empty"
TOO_LARGE = "too_large"
NOT_JSON = "not_json"
NOT_A_HASH = "not_a_hash"
ALTERED = "altered"  # names a published snapshot, but hashes to something else
LEGACY = "legacy"  # names a snapshot published before public documents existed
UNKNOWN = "unknown"  # matches no published snapshot

# What matched.
PUBLIC_HASH = "public"
SNAPSHOT_HASH = "snapshot"

_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Verification:
    outcome: str
    digest: str | None = None  # the hash recomputed (or given)
    run: ResultRun | None = None  # the snapshot matched, or the one the document names
    matched: str | None = None  # PUBLIC_HASH or SNAPSHOT_HASH, for a match

    @property
    def ok(self) -> bool:
        return self.outcome == MATCH


def verify_url(digest: str | None = None) -> str:
    """The absolute address of the public verification page (on ``BASE_URL``),
    checking ``digest`` when given; usable outside a request (exports)."""
    query = f"?{urlencode({'hash': digest})}" if digest else ""
    return f"{current_app.config['BASE_URL'].rstrip('/')}{VERIFY_PATH}{query}"


def verify_document(session: Session, data: bytes, *, limit: int | None = MAX_DOCUMENT_BYTES) -> Verification:
    """Whether ``data``, a public snapshot document (JSON, UTF-8), is one of a
    published snapshot: its SHA-256 by the documented rule is looked up among
    the public hashes. No limit when ``limit`` is None (the command line)."""
    if limit is not None and len(data) > limit:
        return Verification(TOO_LARGE)
    if not data.strip():
        return Verification(EMPTY)
    try:
        document = json.loads(data.decode("utf-8-sig"), parse_constant=_no_constant)
        digest = snapshot.document_hash(document)
    except (UnicodeDecodeError, ValueError, RecursionError):  # JSONDecodeError is a ValueError
        return Verification(NOT_JSON)
    run = session.exec(
        select(ResultRun).where(ResultRun.public_hash == digest, ResultRun.published_at.is_not(None))
    ).first()
    if run is not None:
        return Verification(MATCH, digest=digest, run=run, matched=PUBLIC_HASH)
    named = _named_snapshot(session, document)
    if named is None:
        return Verification(UNKNOWN, digest=digest)
    return Verification(LEGACY if named.public_hash is None else ALTERED, digest=digest, run=named)


def verify_hash(session: Session, text: str) -> Verification:
    """Whether ``text`` is the public hash or the snapshot hash of a published snapshot."""
    digest = text.strip().lower()
    if not digest:
        return Verification(EMPTY)
    if not _HEX64.fullmatch(digest):
        return Verification(NOT_A_HASH)
    run = session.exec(
        select(ResultRun)
        .where(or_(ResultRun.public_hash == digest, ResultRun.content_hash == digest),
               ResultRun.published_at.is_not(None))
    ).first()
    if run is None:
        return Verification(UNKNOWN, digest=digest)
    matched = PUBLIC_HASH if run.public_hash == digest else SNAPSHOT_HASH
    return Verification(MATCH, digest=digest, run=run, matched=matched)


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python's json would read them


def _named_snapshot(session: Session, document) -> ResultRun | None:
    """The published run a document says it is (its "snapshot" id), if any."""
    snapshot_id = document.get("snapshot") if isinstance(document, dict) else None
    if type(snapshot_id) is not int or not 0 < snapshot_id <= MAX_ID:  # an id the column can hold
        return None
    run = session.get(ResultRun, snapshot_id)
    return run if run is not None and run.published else None


def message(verification: Verification):
    """What the person checking reads (translated when shown)."""
    run = verification.run
    if verification.outcome == MATCH:
        call = run.parameters.get("call", {})
        facts = {"call": call.get("name", run.call_id), "year": call.get("year", ""), "snapshot": run.id,
                 "published": run.published_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")}
        if verification.matched == SNAPSHOT_HASH:
            return _l("This is the snapshot hash of results snapshot %(snapshot)s of “%(call)s” (%(year)s), "
                      "published %(published)s.", **facts)
        return _l("The document matches results snapshot %(snapshot)s of “%(call)s” (%(year)s), published "
                  "%(published)s: it is unaltered.", **facts)
    if verification.outcome == EMPTY:
        return _l("Nothing to check: paste the document, choose its file or enter a hash.")
    if verification.outcome == TOO_LARGE:
        return _l("The document is larger than %(mb)s MB: no public snapshot document is that large.",
                  mb=MAX_DOCUMENT_BYTES // (1024 * 1024))
    if verification.outcome == NOT_JSON:
        return _l("This is not a JSON document (or not UTF-8 text): a public snapshot document is JSON.")
    if verification.outcome == NOT_A_HASH:
        return _l("A SHA-256 hash is 64 hexadecimal characters (0–9, a–f).")
    if verification.outcome == ALTERED:
        return _l("The document names results snapshot %(snapshot)s, but it has been altered: it hashes to "
                  "%(digest)s, and the snapshot's public hash is %(expected)s.",
                  snapshot=run.id, digest=verification.digest, expected=run.public_hash)
    if verification.outcome == LEGACY:
        return _l("Results snapshot %(snapshot)s was published before public snapshot documents existed: it can "
                  "only be checked by its snapshot hash %(expected)s.", snapshot=run.id, expected=run.content_hash)
    return _l("The hash %(digest)s matches no published results snapshot.", digest=verification.digest)
