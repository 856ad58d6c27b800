"""Published lists of a call made directly (no scoring), for the certificate
and programme tests: ``official_list(make, rows=[...])``.

Each row is ``(domain, city code, selected)`` or a dict of ResultEntry
fields; the entries are made in the call with those fields, the run is
published now (or at ``published_at``) with ``list_kind``.
"""
from datetime import datetime

from app.db import utcnow
from app.enums import Domain, EntryStatus, Phase
from app.models import Call, Entry, ResultEntry, ResultRun


def official_list(make, *, call: Call | None = None, rows=(), entries: list[Entry] | None = None,
                  list_kind: str = "results", published_at: datetime | None = None, selected=None,
                  withdrawn: dict[int, str] | None = None, **call_fields) -> tuple[Call, ResultRun, list[Entry]]:
    """A published run of ``call`` (made with ``call_fields`` unless given).

    Either ``rows`` of new entries ``(domain, city, selected)``, or existing
    ``entries`` with ``selected`` a set of their positions on the list;
    ``withdrawn`` maps a position to the reason it left the list (not selected).
    """
    session = make.session
    call = call or make.call(open_phase=Phase.PUBLICATION, **call_fields)
    if entries is None:
        entries, selected = [], set()
        for position, (domain, city, chosen) in enumerate(rows):
            entries.append(make.entry(call=call, status=EntryStatus.SELECTED if chosen else EntryStatus.NOT_SELECTED,
                                      photos=0, domain=Domain(domain), city_code=city))
            if chosen:
                selected.add(position)
    run = ResultRun(call_id=call.id, method="mean", inputs_hash="0" * 64, published_at=published_at or utcnow(),
                    content_hash="1" * 64, list_kind=list_kind, summary={"selection": {"selected": len(selected)}})
    session.add(run)
    session.flush()
    for rank, entry in enumerate(entries, start=1):
        score = 90.0 - rank
        session.add(ResultEntry(
            run_id=run.id, entry_id=entry.id, title=entry.title, organisation_id=entry.organisation_id,
            organisation_name=entry.organisation.name, domain=entry.domain, city_code=entry.city_code, score=score,
            sheets=3, assigned=3, raw_mean=score, raw_median=score, raw_min=score, raw_max=score, raw_range=0.0,
            rank=rank, domain_rank=rank, city_rank=rank, rank_lo=rank, rank_hi=rank,
            selected=rank - 1 in selected, withdrawn_reason=(withdrawn or {}).get(rank - 1),
        ))
    session.commit()
    return call, run, entries
