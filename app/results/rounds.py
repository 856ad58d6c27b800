"""Results of a call with several review rounds: what the last round's run
reads of the earlier rounds' runs, the rows of the entries that did not
reach it, and the rounds in its summary.

Each round's run is computed from that round's sheets by the ordinary code
(:mod:`app.results.compute`); the last round's run also holds the combined
score (:mod:`app.results.combination`) and every round's figures. Services
only flush; the caller commits.
"""
from __future__ import annotations

from sqlmodel import Session, select

from app.models import Call, ResultEntry, ResultRun
from app.results.combination import NOT_SHORTLISTED, RoundFigures, group_positions, round_scores
from app.review.rounds.services import rounds_of


def earlier_runs(session: Session, *, call: Call, round_no: int) -> dict[int, ResultRun]:
    """Round number → the run of each earlier round the combination reads:
    its newest run (the draft the shortlist was drawn from, else a snapshot)."""
    runs = {}
    for number in range(1, round_no):
        run = session.exec(
            select(ResultRun).where(ResultRun.call_id == call.id, ResultRun.round_no == number)
            .order_by(ResultRun.published_at.is_not(None), ResultRun.id.desc())
        ).first()
        if run is not None:
            runs[number] = run
    return runs


def earlier_rows(session: Session, runs: dict[int, ResultRun]) -> dict[int, dict[int, ResultEntry]]:
    """Round number → entry id → that round's result row."""
    return {
        number: {row.entry_id: row for row in session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id)).all()}
        for number, run in runs.items()
    }


def own_figures(rows: dict[int, ResultEntry]) -> dict[int, RoundFigures]:
    """Entry id → its figures in a round, from that round's rows (the round's
    own score: a combined run keeps it in ``round_scores``)."""
    figures = {}
    for entry_id, row in rows.items():
        own = (row.round_scores or {}).get(str(row.run.round_no)) if row.round_scores else None
        figures[entry_id] = RoundFigures(own["score"], own["sheets"], own["rank"]) if own else RoundFigures(
            row.score, row.sheets, row.rank)
    return figures


def left_behind_rows(previous: dict[int, ResultEntry], *, shortlisted_rows: list[dict], run_id: int,
                     figures: dict[int, dict[int, RoundFigures]]) -> list[dict]:
    """The rows of the entries that did not reach the last round: copied from
    the previous round's rows, ranked after every shortlisted entry in the
    previous round's order, never selected."""
    taken = {row["entry_id"] for row in shortlisted_rows}
    rest = sorted((row for entry_id, row in previous.items() if entry_id not in taken), key=lambda row: row.rank)
    ids = [row.entry_id for row in rest]
    domains = {row.entry_id: str(row.domain) for row in rest}
    cities = {row.entry_id: row.city_code for row in rest}
    domain_start: dict = {}
    city_start: dict = {}
    for row in shortlisted_rows:
        domain_start[str(row["domain"])] = max(domain_start.get(str(row["domain"]), 0), row["domain_rank"])
        city_start[row["city_code"]] = max(city_start.get(row["city_code"], 0), row["city_rank"])
    domain_rank = group_positions(ids, domains, start=domain_start)
    city_rank = group_positions(ids, cities, start=city_start)
    skipped = ("id", "run_id")
    rows = []
    for position, row in enumerate(rest, start=len(shortlisted_rows) + 1):
        copied = {column.name: getattr(row, column.name) for column in ResultEntry.__table__.columns
                  if column.name not in skipped}
        copied |= {
            "run_id": run_id, "rank": position, "domain_rank": domain_rank[row.entry_id],
            "city_rank": city_rank[row.entry_id], "rank_lo": position, "rank_hi": position, "borderline": False,
            "selected": False, "decision": NOT_SHORTLISTED, "chair_reason": None, "shortlisted": False,
            "withdrawn_reason": None,
            "round_scores": round_scores({n: f[row.entry_id] for n, f in figures.items() if row.entry_id in f}),
        }
        rows.append(copied)
    return rows


def rounds_summary(session: Session, *, call: Call, runs: dict[int, ResultRun], own_summary: dict, round_no: int,
                   shortlisted: int) -> list[dict]:
    """Each round as the combined run's summary keeps it: name, kind, weight,
    how many entries and sheets, and its reliability verdict."""
    rounds = {r.number: r for r in rounds_of(session, call=call)}
    found = []
    for number in range(1, round_no + 1):
        summary = own_summary if number == round_no else (runs[number].summary if number in runs else {})
        review_round = rounds.get(number)
        found.append({
            "number": number,
            "name": review_round.name if review_round else "",
            "kind": review_round.kind if review_round else "online",
            "weight": review_round.weight if review_round else None,
            "run_id": runs[number].id if number in runs else None,
            "entries": (summary.get("counts") or {}).get("entries"),
            "sheets": (summary.get("counts") or {}).get("sheets"),
            "verdict": (summary.get("call") or {}).get("verdict"),
        })
    found[-1]["entries"] = shortlisted
    return found
