"""How fast is the chair's review progress at the scale of a call?

Builds a temporary SQLite database (migrated with Alembic) with one call in
its review phase: 5,000 entries in review, 150 experts in 8 panels, 5
experts per entry (25,000 assignments), about 85 % of the sheets opened and
70 % submitted, 1 % of the submitted sheets with a veto, 1 % of the
assignments removed. Then times the functions of ``app.review.manage.progress`` as
the progress page runs them. Each figure is the median of N runs, in
milliseconds and as a ratio to a baseline measured on the same connection:
one pass over every assignment joined to its sheet (:data:`BASELINE`).

    .venv/bin/python bench/bench_progress.py [--entries 5000] [--experts 150] [--runs 15]
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

import sqlalchemy as sa
from sqlmodel import Session

from app import create_app
from app.accounts.credit_code import make_credit_code
from app.db import create_engine
from app.enums import AssignmentSource, Domain, EntryStatus, Phase, Role, SheetStatus
from app.models import (
    Assignment,
    Call,
    CallPhase,
    CallQuota,
    Entry,
    Organisation,
    Panel,
    RubricVersion,
    ScoreSheet,
    User,
    UserRole,
)
from app.review.manage import progress
from tests.databases import migrate

EXPERTS_PER_ENTRY = 5
# One pass over every assignment and its sheet: what any progress figure must read.
BASELINE = "SELECT count(s.id) FROM assignments a LEFT JOIN score_sheets s ON s.assignment_id = a.id"


def build(url: str, entries: int, experts: int, rng: random.Random) -> int:
    """Create the call and its review data with bulk inserts; return the call's id."""
    migrate(url)
    engine = create_engine(url)
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        call_id = connection.execute(
            sa.insert(Call.__table__).values(name="基准测试批次", year=now.year, target_count=200, created_at=now,
                                             experts_per_entry=EXPERTS_PER_ENTRY, blind_review=True, show_others_scores=False)
        ).inserted_primary_key[0]
        review_index = list(Phase).index(Phase.REVIEW)
        connection.execute(
            sa.insert(CallPhase.__table__),
            [
                {"call_id": call_id, "phase": phase, "starts_at": now + timedelta(days=10 * (i - review_index) - 5),
                 "ends_at": now + timedelta(days=10 * (i - review_index) + 4)}
                for i, phase in enumerate(Phase)
            ],
        )
        connection.execute(sa.insert(CallQuota.__table__), [{"call_id": call_id, "domain": d, "quota": 25} for d in Domain])
        organisation_id = connection.execute(
            sa.insert(Organisation.__table__).values(name="基准测试公司", credit_code=make_credit_code("91440300000000001"),
                                                     city_code="440300", created_at=now)
        ).inserted_primary_key[0]
        connection.execute(
            sa.insert(User.__table__),
            [{"email": f"expert{n:03d}@bench.local", "name": f"专家{n:03d}", "phone": "", "active": True,
              "created_at": now} for n in range(experts)],
        )
        expert_ids = [row[0] for row in connection.execute(sa.select(User.__table__.c.id).order_by(User.__table__.c.id))]
        connection.execute(sa.insert(UserRole.__table__), [{"user_id": uid, "role": Role.EXPERT} for uid in expert_ids])
        domains = list(Domain)
        panel_experts = {domain: expert_ids[i::len(domains)] for i, domain in enumerate(domains)}
        for domain in domains:
            connection.execute(sa.insert(Panel.__table__).values(call_id=call_id, name=f"{domain.label}组", domains=[domain.value]))
        panel_ids = dict(zip(domains, [row[0] for row in connection.execute(sa.select(Panel.__table__.c.id).order_by(Panel.__table__.c.id))]))
        version_id = connection.execute(
            sa.insert(RubricVersion.__table__).values(
                key="default", source_file="default.yaml", content_hash="0" * 64, frozen_at=now,
                content={"key": "default", "criteria": [], "vetoes": [{"key": "data", "question": {"zh": "数据违规", "en": "Data"}}]},
            )
        ).inserted_primary_key[0]
        connection.execute(
            sa.insert(Entry.__table__),
            [{"call_id": call_id, "organisation_id": organisation_id, "status": EntryStatus.IN_REVIEW, "version": 1,
              "title": f"场景{n:04d}", "domain": domains[n % len(domains)], "city_code": "440300", "partners": [],
              "summary": "", "tech_tags": [], "problem": "", "solution": "", "deployment_scale": "", "investment_note": "",
              "replicability": "", "data_security": "", "contact_name": "", "contact_position": "", "contact_phone": "",
              "contact_email": "", "created_at": now, "updated_at": now, "submitted_at": now} for n in range(entries)],
        )
        entry_rows = connection.execute(sa.select(Entry.__table__.c.id, Entry.__table__.c.domain)).all()
        assignments = []
        for entry_id, domain in entry_rows:
            for expert_id in rng.sample(panel_experts[Domain(domain)], EXPERTS_PER_ENTRY):
                removed = rng.random() < 0.01
                assignments.append({
                    "call_id": call_id, "entry_id": entry_id, "expert_id": expert_id, "panel_id": panel_ids[Domain(domain)],
                    "source": AssignmentSource.AUTOMATIC, "created_at": now,
                    "removed_at": now if removed else None, "removed_reason": "基准" if removed else None,
                })
        connection.execute(sa.insert(Assignment.__table__), assignments)
        sheets = []
        for assignment_id, entry_id, expert_id in connection.execute(
            sa.select(Assignment.__table__.c.id, Assignment.__table__.c.entry_id, Assignment.__table__.c.expert_id)
        ):
            roll = rng.random()
            if roll < 0.15:
                continue
            submitted = roll < 0.85
            sheets.append({
                "assignment_id": assignment_id, "entry_id": entry_id, "expert_id": expert_id, "rubric_version_id": version_id,
                "status": SheetStatus.SUBMITTED if submitted else SheetStatus.DRAFT, "version": 1, "comment": "",
                "vetoes": {"data": submitted and rng.random() < 0.01}, "total": 80.0 if submitted else None,
                "opened_at": now, "updated_at": now, "submitted_at": now if submitted else None,
            })
        connection.execute(sa.insert(ScoreSheet.__table__), sheets)
    engine.dispose()
    return call_id


def median_ms(function, runs: int) -> float:
    function()  # warm up
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def run_cases(session: Session, *, call: Call, runs: int) -> None:
    baseline_sql = sa.text(BASELINE)
    baseline = median_ms(lambda: session.connection().execute(baseline_sql).all(), runs)
    now = datetime.now(timezone.utc)
    last_page = progress.short_entries(session, call=call).pages
    cases = [
        ("call_counts", lambda: progress.call_counts(session, call=call), lambda result: 1),
        ("expert_progress", lambda: progress.expert_progress(session, call=call), len),
        ("panel_progress", lambda: progress.panel_progress(session, call=call), len),
        ("short_entries: page 1 of 50, and the total", lambda: progress.short_entries(session, call=call), lambda result: result.total),
        ("short_entries: last page", lambda: progress.short_entries(session, call=call, page=last_page), lambda result: len(result.rows)),
        ("short_entries: past the end (3 queries)", lambda: progress.short_entries(session, call=call, page=10_000),
         lambda result: len(result.rows)),
        ("veto_flags", lambda: progress.veto_flags(session, call=call), len),
        ("leftovers (review running: none)", lambda: progress.leftovers(session, call=call, now=now), lambda result: 0),
    ]
    print(f"median of {runs} runs; baseline `{BASELINE}`: {baseline:.3f} ms")
    print(f"{'function':<40} {'rows':>6} {'ms':>8} {'× baseline':>11}")
    for name, function, size in cases:
        rows = size(function())
        ms = median_ms(function, runs)
        print(f"{name:<40} {rows:>6} {ms:>8.2f} {ms / baseline:>11.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--experts", type=int, default=150)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(20260301)

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        started = time.perf_counter()
        call_id = build(url, args.entries, args.experts, rng)
        print(f"built {args.entries} entries × {EXPERTS_PER_ENTRY} experts ({args.experts} experts) in "
              f"{time.perf_counter() - started:.1f} s ({url})")
        app = create_app({"SHOWCASE_ENV": "testing", "SECRET_KEY": "bench-" * 8, "DATABASE_URL": url,
                          "MAIL_OUTBOX_DIR": str(Path(tmp) / "mail"), "UPLOAD_FOLDER": str(Path(tmp) / "uploads")})
        engine = create_engine(url)
        with app.app_context():
            for label in ("fresh database (no planner statistics)", "after ANALYZE"):
                if label == "after ANALYZE":
                    with engine.begin() as connection:
                        connection.exec_driver_sql("ANALYZE")
                print(f"\n== {label}")
                with Session(engine) as session:
                    run_cases(session, call=session.get(Call, call_id), runs=args.runs)
        engine.dispose()
        app.extensions["db"].engine.dispose()


if __name__ == "__main__":
    main()
