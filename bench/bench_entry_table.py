"""How fast is the formal check table at the scale of a call?

Builds a temporary SQLite database (migrated with Alembic), inserts 5,000
entries of 30 organisations across the 8 domains and 21 cities, with the
identity check of every entry past the draft (1 in 12 naming its
organisation), with bulk inserts, then times ``app.formal_check.services.entry_table`` — filter, sort,
count and one page of 50, as the chair's table runs it — for typical
combinations, and the export query. Each figure is the median of N runs,
printed in milliseconds and as a ratio to a baseline measured in the same
run on the same connection: ``SELECT id FROM entries ORDER BY id LIMIT 50``.

    .venv/bin/python bench/bench_entry_table.py [--entries 5000] [--runs 25]
"""
import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa
from sqlmodel import Session

from app.accounts.credit_code import make_credit_code
from app.db import create_engine
from app.enums import Domain, EntryStatus, Phase, Technology
from app.formal_check.services import EntryFilters, entry_table, export_rows
from app.models import Call, CallPhase, CallQuota, Entry, EntryPhoto, IdentityCheck, Organisation
from app.reference import CITIES
from tests.databases import migrate

ORGANISATIONS = 30
STATUSES = (
    [EntryStatus.SUBMITTED] * 70
    + [EntryStatus.DRAFT] * 10
    + [EntryStatus.ELIGIBLE] * 8
    + [EntryStatus.RETURNED] * 5
    + [EntryStatus.INELIGIBLE] * 4
    + [EntryStatus.WITHDRAWN] * 3
)
WORDS = ("智能", "视觉", "质检", "巡检", "调度", "诊断", "预测", "平台", "机器人", "大模型", "知识图谱", "政务", "安防", "教学", "风控", "无人机")


def _phrase(rng: random.Random, words: int) -> str:
    return "".join(rng.choice(WORDS) for _ in range(words))


def build(url: str, entries: int, rng: random.Random) -> int:
    """Create one call with ``entries`` entries; return the call's id."""
    migrate(url)
    engine = create_engine(url)
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        call_id = connection.execute(
            sa.insert(Call.__table__).values(name="基准测试批次", year=now.year, target_count=200, created_at=now)
        ).inserted_primary_key[0]
        start = now - timedelta(days=40)
        connection.execute(
            sa.insert(CallPhase.__table__),
            [
                {"call_id": call_id, "phase": phase, "starts_at": start + timedelta(days=30 * i), "ends_at": start + timedelta(days=30 * i + 29)}
                for i, phase in enumerate(Phase)
            ],
        )
        connection.execute(sa.insert(CallQuota.__table__), [{"call_id": call_id, "domain": d, "quota": 25} for d in Domain])
        cities = list(CITIES)
        connection.execute(
            sa.insert(Organisation.__table__),
            [
                {"name": f"广东{_phrase(rng, 2)}科技有限公司{n:02d}", "credit_code": make_credit_code(f"91{cities[n % 21]}{n:09d}"),
                 "city_code": cities[n % 21], "created_at": now}
                for n in range(ORGANISATIONS)
            ],
        )
        organisation_ids = [row[0] for row in connection.execute(sa.select(Organisation.__table__.c.id))]
        rows = []
        for n in range(entries):
            status = rng.choice(STATUSES)
            rows.append({
                "call_id": call_id, "organisation_id": rng.choice(organisation_ids), "status": status, "version": 1,
                "title": f"{_phrase(rng, 3)}场景{n:04d}", "domain": rng.choice(list(Domain)), "city_code": rng.choice(cities),
                "partners": [], "summary": _phrase(rng, 40), "tech_tags": rng.sample([t.value for t in Technology], 3),
                "problem": _phrase(rng, 100), "solution": _phrase(rng, 200), "deployment_scale": "3个工厂",
                "deployment_start": date(2024, 3, 1), "investment": round(rng.uniform(50, 5000), 1), "investment_note": "",
                "replicability": _phrase(rng, 50), "data_security": _phrase(rng, 50),
                "contact_name": "王芳", "contact_position": "经理", "contact_phone": "13800138000",
                "contact_email": f"contact{n}@example.com", "created_at": now, "updated_at": now,
                "submitted_at": None if status == EntryStatus.DRAFT else now - timedelta(minutes=rng.randrange(60 * 24 * 30)),
            })
        connection.execute(sa.insert(Entry.__table__), rows)
        entry_ids = [row[0] for row in connection.execute(sa.select(Entry.__table__.c.id))]
        checked = [row[0] for row in connection.execute(
            sa.select(Entry.__table__.c.id).where(Entry.__table__.c.status != EntryStatus.DRAFT.value))]
        connection.execute(
            sa.insert(IdentityCheck.__table__),
            [
                {"entry_id": entry_id, "mentions": mentions, "checked_at": now,
                 "findings": [{"where": {"field": "solution"}, "kind": "short_name", "text": "明珠", "before": "由",
                               "after": "团队实施"}] * min(mentions, 3)}
                for entry_id in checked
                for mentions in [rng.choice([1, 2, 5]) if rng.random() < 1 / 12 else 0]
            ],
        )
        connection.execute(
            sa.insert(EntryPhoto.__table__),
            [
                {"entry_id": entry_id, "position": p, "caption": "", "master_key": f"m{entry_id}-{p}", "display_key": f"d{entry_id}-{p}",
                 "thumb_key": f"t{entry_id}-{p}", "width": 1600, "height": 1200, "created_at": now}
                for entry_id in entry_ids
                for p in range(rng.randint(1, 4))
            ],
        )
    engine.dispose()
    return call_id


def median_ms(function, runs: int) -> float:
    function()  # warm up: statement cache, page cache
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def run_cases(session: Session, *, call_id: int, entries: int, runs: int) -> None:
    baseline_sql = sa.text("SELECT id FROM entries ORDER BY id LIMIT 50")
    baseline = median_ms(lambda: session.connection().execute(baseline_sql).all(), runs)
    pages = -(-entries // 50)
    cases = [
        ("default: all, submitted ↑, page 1", EntryFilters(), 1),
        ("all, submitted ↓, last page", EntryFilters(descending=True), pages),
        ("domain, sorted by title", EntryFilters(domain=Domain.HEALTHCARE, sort="title"), 1),
        ("city + status, organisation ↓",
         EntryFilters(city_code="440300", status=EntryStatus.SUBMITTED, sort="organisation", descending=True), 1),
        ("status, sorted by domain, page 5", EntryFilters(status=EntryStatus.SUBMITTED, sort="domain"), 5),
        ("free text (1 word), submitted ↓", EntryFilters(text="视觉", descending=True), 1),
        ("free text (2 words) + domain, status ↓",
         EntryFilters(text="巡检 平台", domain=Domain.UNMANNED, sort="status", descending=True), 1),
        ("organisation name + city", EntryFilters(organisation="科技", city_code="440100", sort="city"), 1),
        ("names its organisation, submitted ↑", EntryFilters(identity="named"), 1),
        ("no mention found + status, title ↓",
         EntryFilters(identity="clear", status=EntryStatus.SUBMITTED, sort="title", descending=True), 1),
    ]
    print(f"median of {runs} runs; baseline `SELECT id FROM entries ORDER BY id LIMIT 50`: {baseline:.3f} ms")
    print(f"{'case':<42} {'rows':>5} {'total':>6} {'ms':>8} {'× baseline':>11}")
    for name, filters, page in cases:
        table = entry_table(session, call_id=call_id, filters=filters, page=page)
        ms = median_ms(lambda f=filters, p=page: entry_table(session, call_id=call_id, filters=f, page=p), runs)
        print(f"{name:<42} {len(table.rows):>5} {table.total:>6} {ms:>8.2f} {ms / baseline:>11.1f}")
    rows = export_rows(session, call_id=call_id, filters=EntryFilters())
    ms = median_ms(lambda: export_rows(session, call_id=call_id, filters=EntryFilters()), max(3, runs // 5))
    print(f"{'export query: every entry, photo counts':<42} {len(rows):>5} {len(rows):>6} {ms:>8.2f} {ms / baseline:>11.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()
    rng = random.Random(20260301)

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        started = time.perf_counter()
        call_id = build(url, args.entries, rng)
        print(f"built {args.entries} entries, {ORGANISATIONS} organisations in {time.perf_counter() - started:.1f} s ({url})")

        engine = create_engine(url)
        for label in ("fresh database (no planner statistics)", "after ANALYZE"):
            if label == "after ANALYZE":
                with engine.begin() as connection:
                    connection.exec_driver_sql("ANALYZE")
            print(f"\n== {label}")
            with Session(engine) as session:
                run_cases(session, call_id=call_id, entries=args.entries, runs=args.runs)
        engine.dispose()


if __name__ == "__main__":
    main()
