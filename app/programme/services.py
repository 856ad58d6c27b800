"""The programme's progress: the showcase scenarios selected so far over all
calls (each call's official list, :mod:`app.programme.lists`) against the
programme target (a site setting, default 200), by domain, city and year,
each domain's gap and the quotas that would close the gaps
(:mod:`app.programme.quotas`). Read only."""
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from app.enums import Domain
from app.models import Call
from app.programme.lists import listed_rows, official_runs
from app.programme.quotas import domain_targets, gaps, suggest_quotas


@dataclass(frozen=True)
class DomainProgress:
    domain: Domain
    selected: int
    target: int  # the domain's share of the programme target
    gap: int
    suggested: int  # its quota in the suggestion for the next call

    @property
    def percent(self) -> int:
        """How far the domain is towards its share (0–100)."""
        return min(100, round(100 * self.selected / self.target)) if self.target else 100


@dataclass(frozen=True)
class CallProgress:
    call_id: int
    name: str
    year: int
    run_id: int
    published_at: datetime
    list_kind: str
    selected: int


@dataclass(frozen=True)
class Progress:
    """Everything the programme page, its exports and the library's summary show."""

    target: int
    total: int
    domains: tuple[DomainProgress, ...]
    cities: tuple[tuple[str, int], ...]  # (city code, scenarios), most first
    years: tuple[tuple[int, int], ...]  # (year, scenarios), oldest first
    calls: tuple[CallProgress, ...]
    next_total: int  # the next call's target the suggestion spreads

    @property
    def remaining(self) -> int:
        return max(0, self.target - self.total)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.total / self.target)) if self.target else 100

    @property
    def gap_total(self) -> int:
        """The places that would close every domain's gap."""
        return sum(row.gap for row in self.domains)

    def suggested_quotas(self) -> dict[Domain, int]:
        return {row.domain: row.suggested for row in self.domains}


def programme_progress(session: Session, *, target: int, next_total: int | None = None) -> Progress:
    """The programme's progress against ``target``. ``next_total`` is the
    next call's target to spread over the gaps (default: the places that
    close every gap)."""
    runs = official_runs(session)
    rows = listed_rows(session, run_ids=[run.id for run in runs.values()])
    calls = {call.id: call for call in session.exec(select(Call).where(Call.id.in_(list(runs)))).all()} if runs else {}
    by_domain = Counter(row.domain for row in rows)
    by_city = Counter(row.city_code for row in rows)
    by_run = Counter(row.run_id for row in rows)
    by_year = Counter()
    for call_id, run in runs.items():
        by_year[calls[call_id].year] += by_run.get(run.id, 0)

    domains = list(Domain)
    shares = domain_targets(target, domains)
    domain_gaps = gaps(shares, by_domain)
    total_gap = sum(domain_gaps.values())
    spread = total_gap if next_total is None else next_total
    suggested = suggest_quotas(spread, domain_gaps)
    return Progress(
        target=target,
        total=len(rows),
        domains=tuple(DomainProgress(domain=domain, selected=by_domain.get(domain, 0), target=shares[domain],
                                     gap=domain_gaps[domain], suggested=suggested[domain]) for domain in domains),
        cities=tuple(sorted(by_city.items(), key=lambda item: (-item[1], item[0]))),
        years=tuple(sorted((year, count) for year, count in by_year.items() if count)),
        calls=tuple(sorted(
            (CallProgress(call_id=call_id, name=calls[call_id].name, year=calls[call_id].year, run_id=run.id,
                          published_at=run.published_at, list_kind=run.list_kind, selected=by_run.get(run.id, 0))
             for call_id, run in runs.items()),
            key=lambda row: (row.year, row.call_id))),
        next_total=spread,
    )
