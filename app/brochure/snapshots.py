"""The published results snapshot a brochure prints from (its start checks
it, its content reads it, ``flask brochure build`` names it)."""
from sqlmodel import Session

from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import Call, ResultRun
from app.results.runs import latest_published


def published_snapshot(session: Session, *, call: Call, snapshot_id: int | None) -> ResultRun | None:
    """The published snapshot ``snapshot_id`` of ``call`` (DomainError if it is
    not one), or without an id the call's latest (None if it has none)."""
    if snapshot_id is None:
        return latest_published(session, call=call)
    run = session.get(ResultRun, snapshot_id)
    if run is None or run.call_id != call.id or run.published_at is None:
        raise DomainError(_l("That is not a published results snapshot of this call."))
    return run
