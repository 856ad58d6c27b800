"""Blind review on the entries' side: the copy of an attachment that experts
get, and the check that finds where an entry names its own organisation.

**The blind copy.** In a blind call an expert downloads a copy of each PDF
without its document metadata (:func:`app.entries.documents.strip_metadata`:
Author, Title, Creator, Producer, XMP, comment authors, embedded files, …).
It is made once, on the first such download, stored as a blob through the
storage protocol and referenced from ``entry_attachments.blind_blob_key``, so
``flask storage prune`` keeps it while the attachment exists and removes it
with it. The copy is deterministic (the same upload gives the same bytes), so
two experts making it at once store one blob. The applicant and the chair
keep downloading the original.

**The identity check.** When an entry is submitted (and when an attachment
is added to or removed from an entry past the draft), every text an expert
sees — title, summary, problem, solution, deployment scale, the note on the
investment, replicability, data security, the technology names, the outcome
rows, the photo captions and the attachments' text (pypdf, the first
:data:`MAX_PAGES` pages and :data:`MAX_CHARS` characters of each) — is
searched for the organisation's full name, its short names and its credit
code (:mod:`app.entries.mentions`). The result is stored in one
``identity_checks`` row per entry, so the chair's table reads a number, not
the texts. It is computed for every call: blindness is a review setting the
chair may still switch on after submissions, and pages show it only for
blind calls. Partners and contacts are not searched: experts never see them.
"""
from collections.abc import Iterator
from datetime import datetime

from flask import current_app
from sqlmodel import Session

from app.entries.documents import UnreadableDocument, page_texts, strip_metadata
from app.entries.mentions import CREDIT_CODE, NAME, SHORT_NAME, find_mentions, organisation_terms
from app.i18n import lazy_gettext as _l
from app.models import Entry, EntryAttachment, IdentityCheck
from app.storage import storage

MAX_PAGES = 20  # of each attachment
MAX_CHARS = 50_000  # of each attachment
MAX_FINDINGS = 20  # kept per entry (all are counted)
PER_PLACE = 3  # findings kept per field, caption or attachment page

TEXT_FIELDS = {
    "title": _l("Title"),
    "summary": _l("Summary"),
    "problem": _l("Problem solved"),
    "solution": _l("Solution"),
    "deployment_scale": _l("Deployment scale"),
    "investment_note": _l("About the investment"),
    "replicability": _l("Replicability"),
    "data_security": _l("Data security and ethics measures"),
}
KIND_LABELS = {
    NAME: _l("full name"),
    SHORT_NAME: _l("short name"),
    CREDIT_CODE: _l("credit code"),
}


# --- the blind copy of an attachment ----------------------------------------------


def has_blind_copy(attachment: EntryAttachment) -> bool:
    """Whether the attachment's copy without metadata is made and stored."""
    key = attachment.blind_blob_key
    return key is not None and storage().exists(key)


def blind_copy(session: Session, *, attachment: EntryAttachment) -> str | None:
    """The blob key of ``attachment``'s copy without document metadata, made
    and recorded on the first call; None when the original is not stored.

    Raises :class:`~app.entries.documents.UnreadableDocument` for a file qpdf
    cannot open (nothing is recorded: the next download tries again).
    """
    if has_blind_copy(attachment):
        return attachment.blind_blob_key
    blobs = storage()
    try:
        with blobs.open(attachment.blob_key) as file:
            data = file.read()
    except (FileNotFoundError, ValueError):
        return None
    try:
        cleaned = strip_metadata(data)
    except UnreadableDocument:
        current_app.logger.warning("Attachment %s (entry %s) cannot be copied without its metadata",
                                   attachment.id, attachment.entry_id)
        raise
    attachment.blind_blob_key = blobs.put(cleaned, suffix=".pdf")
    session.add(attachment)
    session.flush()
    return attachment.blind_blob_key


# --- where an entry names its organisation ---------------------------------------


def _entry_texts(entry: Entry) -> Iterator[tuple[dict, str]]:
    """(where, text) for every text of the entry an expert reads, attachments aside."""
    for name in TEXT_FIELDS:
        yield {"field": name}, getattr(entry, name) or ""
    yield {"field": "tech_tags"}, " / ".join(entry.tech_tags or ())
    for n, row in enumerate(entry.outcomes, start=1):
        yield {"field": "outcome", "n": n}, f"{row.metric} {row.unit}"
    for n, photo in enumerate(entry.photos, start=1):
        yield {"field": "photo", "n": n}, photo.caption


def _attachment_texts(attachment: EntryAttachment, n: int) -> Iterator[tuple[dict, str]]:
    try:
        with storage().open(attachment.blob_key) as file:
            data = file.read()
    except (FileNotFoundError, ValueError):
        return
    for page, text in enumerate(page_texts(data, max_pages=MAX_PAGES, max_chars=MAX_CHARS), start=1):
        yield {"field": "attachment", "n": n, "page": page, "file": attachment.filename}, text


def identity_findings(entry: Entry, *, attachments: bool = True) -> tuple[int, list[dict]]:
    """How many places of ``entry`` name its organisation, and the first
    :data:`MAX_FINDINGS` of them (at most :data:`PER_PLACE` per place); with
    ``attachments=False`` only the texts typed into the form."""
    organisation = entry.organisation
    terms = organisation_terms(organisation.name, organisation.credit_code)
    sources = [_entry_texts(entry)]
    if attachments:
        sources += [_attachment_texts(attachment, n) for n, attachment in enumerate(entry.attachments, start=1)]
    count, findings = 0, []
    for source in sources:
        for where, text in source:
            mentions = find_mentions(text, terms)
            count += len(mentions)
            for mention in mentions[:PER_PLACE]:
                if len(findings) < MAX_FINDINGS:
                    findings.append({"where": where, "kind": mention.kind, "text": mention.text,
                                     "before": mention.before, "after": mention.after})
    return count, findings


def check_entry(session: Session, *, entry: Entry, now: datetime) -> IdentityCheck:
    """Search ``entry`` for its organisation's names and store the result (one row per entry)."""
    count, findings = identity_findings(entry)
    check = session.get(IdentityCheck, entry.id) or IdentityCheck(entry_id=entry.id)
    check.mentions, check.findings, check.checked_at = count, findings, now
    session.add(check)
    session.flush()
    return check


def identity_check(session: Session, *, entry_id: int) -> IdentityCheck | None:
    """The stored check of an entry (None: never submitted since checks exist)."""
    return session.get(IdentityCheck, entry_id)


def place_label(where: dict) -> str:
    """Where a finding is, in words: a field, a photo's caption, an outcome row or an attachment's page."""
    field = where.get("field")
    if field == "photo":
        return str(_l("Caption of photo %(n)s", n=where.get("n")))
    if field == "outcome":
        return str(_l("Outcome %(n)s (metric or unit)", n=where.get("n")))
    if field == "attachment":
        return str(_l("Attachment %(n)s (%(file)s), page %(page)s", n=where.get("n"), file=where.get("file", ""),
                      page=where.get("page")))
    if field == "tech_tags":
        return str(_l("AI technologies"))
    return str(TEXT_FIELDS.get(field, field))


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))
