"""The formal check: a call's entries as a filtered, sorted, paged table, and
the chair's decisions on one entry or on a selection.

Filtering, sorting, counting and paging happen in SQL (one COUNT and one page
query, joined to the organisations; the stored identity checks of blind
review are looked up for the page's rows), so the table stays fast with
thousands of entries. Every status change goes through
:func:`app.entries.states.transition`, which checks role, phase, reason and
deadline and writes the audit row; services only flush, the view commits.
"""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from app.entries.services import with_call
from app.entries.states import DECISIONS, RULES, transition
from app.enums import Domain, EntryStatus
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import Call, Entry, EntryPhoto, IdentityCheck, Organisation

PER_PAGE = 50
MAX_SELECTION = 200  # entries one bulk decision may change
MAX_SEARCH_WORDS = 5

SORTS = ("submitted", "title", "organisation", "domain", "city", "status")
# Whether the entry names its own organisation (blind review; see entries/blind.py).
IDENTITY_FILTERS = ("named", "clear")


@dataclass(frozen=True)
class EntryFilters:
    """What the chair narrowed the table to, and how it is sorted.

    ``organisation`` matches part of the organisation's name; each word of
    ``text`` must appear in the title, the summary or the organisation's name;
    ``identity`` keeps the entries whose identity check found their
    organisation's name ("named") or found nothing ("clear"; unchecked drafts
    are neither). By default the oldest submissions come first (the order
    they are checked in).
    """

    domain: Domain | None = None
    city_code: str | None = None
    status: EntryStatus | None = None
    organisation: str = ""
    text: str = ""
    identity: str = ""
    sort: str = "submitted"
    descending: bool = False

    def __post_init__(self):
        if self.sort not in SORTS:
            raise ValueError(f"unknown sort key {self.sort!r}")
        if self.identity and self.identity not in IDENTITY_FILTERS:
            raise ValueError(f"unknown identity filter {self.identity!r}")


@dataclass(frozen=True)
class EntryTable:
    """One page of the table: ``rows`` (plain rows, no ORM objects), the
    number of matching entries, and where this page stands."""

    rows: list
    total: int
    page: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _sort_expression(sort: str):
    """The SQL expression a sort key orders by: domains and statuses in their
    natural order (as listed in the product brief and the entry's life), cities
    by their GB/T 2260 code."""
    if sort == "domain":
        return sa.case({domain.value: index for index, domain in enumerate(Domain)}, value=Entry.domain)
    if sort == "status":
        return sa.case({status.value: index for index, status in enumerate(EntryStatus)}, value=Entry.status)
    return {
        "submitted": Entry.submitted_at,
        "title": Entry.title,
        "organisation": Organisation.name,
        "city": Entry.city_code,
    }[sort]


def _order_by(filters: EntryFilters) -> list:
    """Sort key first (empty values last in both directions), then the id, so
    pages never overlap or skip rows."""
    expression = _sort_expression(filters.sort)
    if filters.descending:
        return [sa.nulls_last(expression.desc()), Entry.id.desc()]
    return [sa.nulls_last(expression.asc()), Entry.id.asc()]


def _conditions(call_id: int, filters: EntryFilters) -> list:
    conditions = [Entry.call_id == call_id]
    if filters.domain is not None:
        conditions.append(Entry.domain == filters.domain)
    if filters.city_code:
        conditions.append(Entry.city_code == filters.city_code)
    if filters.status is not None:
        conditions.append(Entry.status == filters.status)
    if filters.organisation.strip():
        conditions.append(Organisation.name.icontains(filters.organisation.strip(), autoescape=True))
    for word in filters.text.split()[:MAX_SEARCH_WORDS]:
        conditions.append(
            sa.or_(
                Entry.title.icontains(word, autoescape=True),
                Entry.summary.icontains(word, autoescape=True),
                Organisation.name.icontains(word, autoescape=True),
            )
        )
    if filters.identity:
        found = IdentityCheck.mentions > 0 if filters.identity == "named" else IdentityCheck.mentions == 0
        conditions.append(sa.exists().where(IdentityCheck.entry_id == Entry.id, found))
    return conditions


# Looked up for the rows of the page only (a join would look it up for every
# row sorted before an OFFSET).
_identity_mentions = (
    select(IdentityCheck.mentions).where(IdentityCheck.entry_id == Entry.id).correlate(Entry).scalar_subquery()
)


_TABLE_COLUMNS = (
    Entry.id,
    Entry.title,
    Entry.status,
    Entry.domain,
    Entry.city_code,
    Entry.submitted_at,
    Entry.revision_deadline,
    Organisation.id.label("organisation_id"),
    Organisation.name.label("organisation_name"),
    _identity_mentions.label("identity_mentions"),
)


def entry_table(session: Session, *, call_id: int, filters: EntryFilters, page: int = 1, per_page: int = PER_PAGE) -> EntryTable:
    """One page of the call's entries that match ``filters``, in their order.

    A page past the end shows the last page. Rows carry the columns the
    table shows (``id``, ``title``, ``status``, ``domain``, ``city_code``,
    ``submitted_at``, ``revision_deadline``, ``organisation_id``,
    ``organisation_name``, ``identity_mentions``: places naming the
    organisation, None when unchecked); photos and outcomes are never loaded.
    """
    conditions = _conditions(call_id, filters)
    count = select(sa.func.count(Entry.id)).select_from(Entry)
    if filters.organisation.strip() or filters.text.strip():
        # Every entry has exactly one organisation (a NOT NULL foreign key),
        # so the count needs the join only to match organisation names;
        # without it, SQLite counts from the index alone.
        count = count.join(Organisation, Organisation.id == Entry.organisation_id)
    total = session.exec(count.where(*conditions)).one()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = session.exec(
        select(*_TABLE_COLUMNS)
        .join(Organisation, Organisation.id == Entry.organisation_id)
        .where(*conditions)
        .order_by(*_order_by(filters))
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return EntryTable(rows=list(rows), total=total, page=page, per_page=per_page)


_photo_count = (
    select(sa.func.count(EntryPhoto.id)).where(EntryPhoto.entry_id == Entry.id).correlate(Entry).scalar_subquery()
)

_EXPORT_COLUMNS = (
    Entry.id,
    Entry.title,
    Organisation.name.label("organisation_name"),
    Organisation.credit_code,
    Entry.domain,
    Entry.city_code,
    Entry.status,
    Entry.submitted_at,
    Entry.contact_name,
    Entry.contact_phone,
    Entry.contact_email,
    Entry.tech_tags,
    Entry.investment,
    _photo_count.label("photo_count"),
)


def export_rows(session: Session, *, call_id: int, filters: EntryFilters) -> list:
    """Every entry of the call that matches ``filters``, in the table's order,
    with the columns of the exports (one query; photos are only counted)."""
    return list(
        session.exec(
            select(*_EXPORT_COLUMNS)
            .join(Organisation, Organisation.id == Entry.organisation_id)
            .where(*_conditions(call_id, filters))
            .order_by(*_order_by(filters))
        ).all()
    )


def call_choices(session: Session) -> list[Call]:
    """The calls a chair can pick, newest first."""
    return list(session.exec(select(Call).order_by(Call.year.desc(), Call.id.desc())).all())


def decisions_from(status: EntryStatus) -> tuple[EntryStatus, ...]:
    """The formal check decisions an entry in ``status`` can take (by the
    transition rules; phase and role are checked when it is recorded)."""
    return tuple(target for target in DECISIONS if any(status in rule.sources for rule in RULES[target]))


# --- decisions --------------------------------------------------------------


def decide(
    session: Session,
    *,
    entry: Entry,
    decision: EntryStatus,
    actor,
    now: datetime,
    reason: str | None = None,
    revision_deadline: datetime | None = None,
) -> None:
    """Record the formal check of ``entry``: eligible, returned for revision
    (with a reason and a resubmission deadline) or ineligible (with a reason).

    Raises DomainError with the message for the chair when it is not allowed.
    """
    if decision not in DECISIONS:
        raise ValueError(f"{decision!r} is not a formal check decision")
    transition(
        session,
        entry=entry,
        target=decision,
        actor=actor,
        now=now,
        reason=reason,
        revision_deadline=revision_deadline if decision == EntryStatus.RETURNED else None,
    )


@dataclass(frozen=True)
class Refusal:
    """Why one entry of a selection cannot take the decision."""

    entry_id: int
    title: str
    message: object


class SelectionRefused(DomainError):
    """Some entries of a selection cannot take the decision; nothing is recorded."""

    def __init__(self, refusals: list[Refusal]):
        super().__init__(
            _l(
                "Nothing was recorded: %(count)s of the selected entries cannot take this decision.",
                count=len(refusals),
            )
        )
        self.refusals = refusals


def decide_many(
    session: Session,
    *,
    call_id: int,
    entry_ids: list[int],
    decision: EntryStatus,
    actor,
    now: datetime,
    reason: str | None = None,
    revision_deadline: datetime | None = None,
) -> list[Entry]:
    """Record one decision for every selected entry of the call, or for none.

    Each entry goes through :func:`decide` (one audit row each). If any
    cannot, :class:`SelectionRefused` lists every refused entry and why; the
    caller then rolls back whatever the others changed.
    """
    ids = sorted(set(entry_ids))
    if not ids:
        raise DomainError(_l("Select at least one entry."))
    if len(ids) > MAX_SELECTION:
        raise DomainError(_l("Select at most %(count)s entries at a time.", count=MAX_SELECTION))
    # Lock the rows (PostgreSQL): two chairs deciding on overlapping
    # selections at once are served one after the other.
    entries = list(
        session.exec(
            select(Entry)
            .where(Entry.id.in_(ids), Entry.call_id == call_id)
            .options(selectinload(Entry.organisation), with_call(locked=True))
            .order_by(Entry.id)
            .with_for_update(of=Entry)
        ).all()
    )
    found = {entry.id for entry in entries}
    refusals = [
        Refusal(entry_id=entry_id, title=f"#{entry_id}", message=_l("This entry is not part of the call."))
        for entry_id in ids
        if entry_id not in found
    ]
    for entry in entries:
        try:
            decide(
                session, entry=entry, decision=decision, actor=actor, now=now, reason=reason, revision_deadline=revision_deadline
            )
        except DomainError as error:
            # transition() checks everything before it changes anything, so
            # a refused entry is left as it was; the others are rolled back
            # by the caller.
            refusals.append(Refusal(entry_id=entry.id, title=entry.title, message=error.message))
    if refusals:
        raise SelectionRefused(sorted(refusals, key=lambda refusal: refusal.entry_id))
    return entries
