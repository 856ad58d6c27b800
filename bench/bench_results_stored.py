"""How fast is a full results recompute, from the database and back?

Where ``bench_results.py`` times the pure pipeline on plain data, this one
times what ``flask results compute`` and the chair's "compute" button do:
``app.results.compute.compute_results`` on a migrated SQLite database holding a
call of 5,000 entries × 5 submitted sheets × 8 criteria by 250 experts in 8
panels (25,000 sheets, 200,000 criterion scores): load the sheets and scores,
aggregate (trimmed mean, then again with the calibrated method: entry
effect + shrunk expert offset per panel), rank overall/per domain/per city, flag
disagreement, select under quotas, 1,000 bootstrap resamples per domain,
reliability per panel and for the call (on all sheets: ICC(1), the variance
shares by Henderson III and Krippendorff's alpha with seeded bootstrap
intervals; ICC(2)/(3) on the largest complete block), the expert calibration
and the method sensitivity, expert statistics, then store 5,000
result rows and the summary — and, separately, the rankings page query (one
filtered, sorted page of 50) on the stored rows.

Baseline, in the same run on the same database: reading the 25,000 sheet
totals with one ``SELECT``. Target: the full recompute in ≤ 3 s with either method.

    .venv/bin/python bench/bench_results_stored.py [--entries 5000] [--runs 3]
"""
import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.db import db  # noqa: E402
from app.enums import AssignmentSource, Domain, EntryStatus, Role, SheetStatus  # noqa: E402
from app.models import (  # noqa: E402
    Assignment,
    Call,
    Entry,
    Panel,
    PanelMember,
    RubricVersion,
    Score,
    ScoreSheet,
    User,
    UserRole,
)
from app.results import rankings  # noqa: E402
from app.results.compute import compute_results  # noqa: E402
from bench.bench_entry_table import build as build_entries  # noqa: E402

EXPERTS = 250
SHEETS = 5
CRITERIA = 8
TARGET_SECONDS = 3.0


def build(url: str, entries: int, rng: random.Random) -> int:
    """Entries (``bench_entry_table.build``), then panels, experts, sheets and scores."""
    call_id = build_entries(url, entries, rng)
    engine = sa.create_engine(url)
    now = datetime.now(timezone.utc)
    keys = [f"criterion_{k}" for k in range(CRITERIA)]
    weights = [15, 15, 15, 15, 10, 10, 10, 10]
    with engine.begin() as connection:
        connection.execute(sa.update(Entry.__table__).values(status=EntryStatus.SCORED))
        version_id = connection.execute(
            sa.insert(RubricVersion.__table__).values(
                key="bench", source_file="bench.yaml", content_hash="0" * 64, frozen_at=now,
                content={"key": "bench", "aggregation": "trimmed_mean", "criteria": [
                    {"key": key, "name": {"zh": f"指标{k}", "en": f"Criterion {k}"}, "weight": weights[k], "max_score": 100}
                    for k, key in enumerate(keys)]},
            )
        ).inserted_primary_key[0]
        connection.execute(sa.insert(User.__table__), [
            {"email": f"expert{n}@bench.local", "name": f"专家{n}", "password_hash": None, "active": True,
             "created_at": now} for n in range(EXPERTS)
        ])
        expert_ids = [row[0] for row in connection.execute(sa.select(User.__table__.c.id).order_by(User.__table__.c.id))]
        connection.execute(sa.insert(UserRole.__table__), [{"user_id": i, "role": Role.EXPERT} for i in expert_ids])
        per_panel = EXPERTS // len(Domain)
        panel_of: dict[str, int] = {}
        members: dict[str, list[int]] = {}
        for d, domain in enumerate(Domain):
            panel_id = connection.execute(
                sa.insert(Panel.__table__).values(call_id=call_id, name=f"{domain.value} panel", domains=[domain.value])
            ).inserted_primary_key[0]
            panel_of[domain.value] = panel_id
            members[domain.value] = expert_ids[d * per_panel:(d + 1) * per_panel]
            connection.execute(sa.insert(PanelMember.__table__),
                               [{"panel_id": panel_id, "user_id": u} for u in members[domain.value]])
        severity = {u: rng.gauss(0, 5) for u in expert_ids}
        entry_rows = connection.execute(sa.select(Entry.__table__.c.id, Entry.__table__.c.domain)).all()
        assignments, pairs = [], []
        for entry_id, domain in entry_rows:
            for expert_id in rng.sample(members[str(domain)], SHEETS):
                pairs.append((entry_id, expert_id))
                assignments.append({"call_id": call_id, "entry_id": entry_id, "expert_id": expert_id,
                                    "panel_id": panel_of[str(domain)], "source": AssignmentSource.AUTOMATIC,
                                    "created_at": now})
        connection.execute(sa.insert(Assignment.__table__), assignments)
        assignment_ids = dict(
            ((e, x), i) for i, e, x in connection.execute(
                sa.select(Assignment.__table__.c.id, Assignment.__table__.c.entry_id, Assignment.__table__.c.expert_id))
        )
        quality = {entry_id: rng.gauss(72, 8) for entry_id, _ in entry_rows}
        sheets, scores = [], []
        for entry_id, expert_id in pairs:
            values = [min(100, max(0, round(quality[entry_id] + severity[expert_id] + rng.gauss(0, 6)))) for _ in keys]
            opened = now - timedelta(days=3, minutes=rng.randrange(3000))
            sheets.append({"assignment_id": assignment_ids[(entry_id, expert_id)], "entry_id": entry_id,
                           "expert_id": expert_id, "rubric_version_id": version_id, "status": SheetStatus.SUBMITTED,
                           "version": 1, "comment": "", "vetoes": {},
                           "total": sum(v * w for v, w in zip(values, weights)) / 100, "opened_at": opened,
                           "updated_at": opened + timedelta(minutes=25), "submitted_at": opened + timedelta(minutes=25)})
            scores.append(values)
        connection.execute(sa.insert(ScoreSheet.__table__), sheets)
        sheet_ids = [row[0] for row in connection.execute(sa.select(ScoreSheet.__table__.c.id).order_by(ScoreSheet.__table__.c.id))]
        connection.execute(sa.insert(Score.__table__), [
            {"sheet_id": sheet_id, "criterion_key": key, "score": value, "comment": ""}
            for sheet_id, values in zip(sheet_ids, scores) for key, value in zip(keys, values)
        ])
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return call_id


def timed(function, runs: int) -> tuple[float, object]:
    timings, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(20261127)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        started = time.perf_counter()
        call_id = build(url, args.entries, rng)
        print(f"built {args.entries:,} entries x {SHEETS} sheets x {CRITERIA} criteria by {EXPERTS} experts "
              f"in {time.perf_counter() - started:.1f} s")
        app = create_app({"SHOWCASE_ENV": "development", "SECRET_KEY": "bench-" * 8, "DATABASE_URL": url,
                          "UPLOAD_FOLDER": str(Path(tmp) / "uploads")})
        with app.app_context():
            call = db.session.get(Call, call_id)
            baseline, _ = timed(lambda: db.session.exec(sa.select(ScoreSheet.total)).all(), max(5, args.runs))

            def recompute():
                run = compute_results(db.session, call=call, actor=None, now=datetime.now(timezone.utc))
                db.session.commit()
                return run

            print(f"baseline: SELECT of 25,000 sheet totals: {baseline * 1e3:.1f} ms")
            for method in ("trimmed_mean", "calibrated"):
                call.results_method = method
                db.session.commit()
                seconds, run = timed(recompute, args.runs)
                counts = run.summary["counts"]
                print(f"full recompute, {method} (load, aggregate, rank, bootstrap {run.parameters['resamples']:,}, "
                      f"reliability, calibration, experts, selection, store): {seconds:.2f} s  "
                      f"({seconds / baseline:,.0f} x the baseline), median of {args.runs}")
                print(f"  target {TARGET_SECONDS:g} s: {'within' if seconds <= TARGET_SECONDS else 'NOT within'}; "
                      f"ranked {counts['entries']:,}, selected {run.summary['selection']['selected']}, "
                      f"borderline {counts['borderline']}, alpha {run.summary['call']['alpha']:.3f}")

            filters = rankings.Filters(scope="domain", domain=Domain.HEALTHCARE.value, flag="borderline", sort="raw_sd")
            page_seconds, page = timed(lambda: rankings.ranking_page(db.session, run=run, filters=filters, page=1), 25)
            print(f"rankings page (domain + flag filter, sorted by SD, page of 50 of {page.total}): "
                  f"{page_seconds * 1e3:.1f} ms ({page_seconds / baseline:.1f} x the baseline)")


if __name__ == "__main__":
    main()
