"""Soak: 50 experts for 10 minutes against the production stack — does it
stay correct, and do its processes keep their memory?

Starts its own servers (nothing shared is touched): a PostgreSQL cluster made
with ``initdb`` in a temporary folder, a ``redis-server`` (job queue and
rate limits), a local SMTP server, gunicorn (``SHOWCASE_ENV=production``,
gthread workers as the load bench) and ``flask worker`` — the harness of the
production-stack tests (``tests/stack/processes.py``). The database is the
load bench's last evening of review (``bench_review_load.seed``: 50 experts,
320 entries, 1,600 assignments), and the experts are the load bench's
clients, with think time (default 1 s, ×0.5–1.5 per request). Meanwhile the
chair starts a brochure build of 12 hand-picked entries (others each time)
every ``--build-every`` seconds (default 60) through the brochure page and
waits for the worker to finish it, so the worker works too.

After a warm-up (a twentieth of the run, 30 s at least), the resident memory
(VmRSS, /proc/PID/status) of every gunicorn worker and of the flask worker
is read; the experts then work for ``--minutes``; memory is read again.
Passes when: no request failed, every brochure build finished, no error in
the gunicorn or worker log, no worker restarted, each process grew by less than 10 %, and every database check of
the load bench holds (one sheet per pair, one score per criterion, every
sheet a client saw submitted holds exactly its scores, totals, audit rows).
Exits 1 when a check fails, 2 when it cannot run.

    .venv/bin/python bench/bench_soak.py               # 10 minutes (+ ~1 minute of setup)
    .venv/bin/python bench/bench_soak.py --minutes 2
"""
import argparse
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402
from bench_review_load import (  # noqa: E402 - after the path is set
    EXPERTS,
    KINDS,
    PASSWORD,
    Ledger,
    check_database,
    load,
    log_in,
    percentile,
    prepare_database,
    seed,
)

from app import create_app  # noqa: E402
from tests.stack import processes as proc  # noqa: E402
from tests.stack.browser import Browser, alert  # noqa: E402

MAX_GROWTH = 0.10
THREADS = 8
PICKED = 12  # entries per brochure build


class Builds(threading.Thread):
    """The chair building brochures of hand-picked entries, one after another, until stopped."""

    def __init__(self, base_url: str, call_id: int, entry_ids: list[int], every: float):
        super().__init__(daemon=True)
        self.base_url, self.call_id, self.entry_ids, self.every = base_url, call_id, entry_ids, every
        self.stop = threading.Event()
        self.done: list[float] = []
        self.problems: list[str] = []
        self.rng = random.Random(7)

    def run(self) -> None:
        try:
            chair = Browser(self.base_url)
            chair.login("chair@bench.local", PASSWORD)
            number = 0
            while not self.stop.is_set():
                number += 1
                self.build(chair, number)
                self.stop.wait(self.every)
        except Exception as error:  # noqa: BLE001 - reported as a failed check
            self.problems.append(f"{type(error).__name__}: {error}")

    def build(self, chair: Browser, number: int) -> None:
        started = time.perf_counter()
        picked = self.rng.sample(self.entry_ids, PICKED)
        chair.get(f"/brochure/?call={self.call_id}")
        response = chair.submit(f"/brochure/calls/{self.call_id}/build", title=f"浸泡测试案例集 {number}",
                                entries=",".join(str(entry_id) for entry_id in picked))
        if response.status_code != 302:
            self.problems.append(f"build {number} refused: HTTP {response.status_code} {alert(response.text)}")
            return
        while True:  # the page polls its status the same way
            status = chair.get(f"/brochure/calls/{self.call_id}/status").json()
            if status["status"] == "done":
                self.done.append(time.perf_counter() - started)
                return
            if status["status"] == "failed":
                self.problems.append(f"build {number} failed: {status['error']}")
                return
            time.sleep(0.5)


def fail(message: str) -> None:
    print(f"bench_soak: {message}", file=sys.stderr)
    sys.exit(2)


def memory(pids: dict[str, int]) -> dict[str, int]:
    return {name: proc.vm_rss_kib(pid) for name, pid in pids.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the measured run (default 10)")
    parser.add_argument("--clients", type=int, default=EXPERTS, help=f"experts at once (default {EXPERTS})")
    parser.add_argument("--think-ms", type=float, default=1000.0, help="pause between an expert's requests (default 1000)")
    parser.add_argument("--build-every", type=float, default=60.0, help="seconds between brochure builds (default 60)")
    args = parser.parse_args()
    if not 1 <= args.clients <= EXPERTS:
        fail(f"--clients must be between 1 and {EXPERTS}")
    missing = proc.missing_servers()
    if missing:
        fail(f"cannot start the stack: {missing}")
    seconds, think = args.minutes * 60, args.think_ms / 1000
    warm_up = max(30.0, seconds / 20)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="showcase-soak-") as tmp_name:
        tmp = Path(tmp_name)
        processes = proc.Processes(tmp)
        try:
            return run(processes, tmp, args, seconds, think, warm_up, started)
        finally:
            processes.close()


def run(processes: proc.Processes, tmp: Path, args, seconds: float, think: float, warm_up: float, started: float) -> int:
    smtp = proc.SmtpSink()
    processes.closers.append(smtp.stop)
    postgres = proc.start_postgres(processes)
    url, guard = prepare_database(postgres.create_database("showcase_bench"))
    processes.closers.append(guard.close)
    _redis, redis_url = proc.start_redis(processes)
    app = create_app({"SHOWCASE_ENV": "development", "SECRET_KEY": "soak-" * 8, "DATABASE_URL": url,
                      "MAIL_OUTBOX_DIR": str(tmp / "mail"), "UPLOAD_FOLDER": str(tmp / "uploads")})
    processes.closers.append(app.extensions["db"].engine.dispose)
    counts = seed(app, random.Random(20261206))
    port = proc.free_port()
    env = proc.production_env(database_url=url, redis_url=redis_url, smtp_port=smtp.port,
                              base_url=f"http://127.0.0.1:{port}", folder=tmp,
                              LOGIN_LIMIT_PER_IP="1000 per minute",  # 50 experts log in from 127.0.0.1 at once
                              # The production default: parts render in forked processes. (With 1 they render
                              # in the worker itself, which then keeps WeasyPrint's memory: +12 % in 9 builds.)
                              BROCHURE_WORKERS=os.environ.get("BROCHURE_WORKERS", "0"))
    workers = (os.cpu_count() or 1) + 1
    gunicorn = proc.start_gunicorn(processes, env, port, workers=workers,
                                   options=("-k", "gthread", "--threads", str(THREADS)))
    worker = proc.start_worker(processes, env)
    print(f"set up in {time.perf_counter() - started:.0f} s: {counts['entries']} entries, {counts['experts']} experts, "
          f"{counts['assignments']} assignments, {counts['submitted']} sheets submitted before the run; "
          f"gunicorn -w {workers} -k gthread --threads {THREADS}, flask worker on Redis, own PostgreSQL")

    with app.app_context():
        from app.db import db

        call_id, = db.session.execute(sa.text("SELECT id FROM calls")).one()
        entry_ids = [row[0] for row in db.session.execute(sa.text("SELECT id FROM entries ORDER BY id"))]
        db.session.close()
    builds = Builds(f"http://127.0.0.1:{port}", call_id, entry_ids, args.build_every)
    builds.start()
    ledger = Ledger()
    warm, _warm_seconds = load(log_in(port, args.clients, think, ledger)[0], warm_up)
    pids = {f"gunicorn worker {pid}": pid for pid in proc.gunicorn_workers(gunicorn.pid)} | {"flask worker": worker.pid}
    before = memory(pids)
    main_run, elapsed = load(log_in(port, args.clients, think, ledger)[0], seconds)
    after = memory(pids)
    builds.stop.set()
    builds.join()
    same_workers = sorted(proc.gunicorn_workers(gunicorn.pid)) == sorted(pid for name, pid in pids.items()
                                                                       if name.startswith("gunicorn"))

    requests = [value for kind in KINDS for value in main_run.latencies[kind]]
    errors = sum(main_run.errors.values()) + sum(warm.errors.values())
    log = (tmp / "gunicorn.log").read_text(errors="replace") + (tmp / "worker.log").read_text(errors="replace")
    log_errors = [line for line in log.splitlines() if "[ERROR]" in line or "[CRITICAL]" in line or "Traceback" in line]
    values = sorted(requests)
    print(f"\n{args.clients} experts, think time {think * 1000:.0f} ms ×0.5–1.5, warm-up {warm_up:.0f} s, "
          f"measured {elapsed / 60:.1f} min")
    print(f"  requests {len(requests)} ({len(requests) / elapsed:.1f}/s), p50 {percentile(values, 50) * 1000:.0f} ms, "
          f"p95 {percentile(values, 95) * 1000:.0f} ms, p99 {percentile(values, 99) * 1000:.0f} ms, errors {errors}; "
          f"sheets submitted {len(ledger.submitted)}, experts out of work {len(ledger.out_of_work)}")
    for message in warm.messages + main_run.messages + builds.problems:
        print(f"  error: {message}")
    if builds.done:
        print(f"  brochure builds finished {len(builds.done)} ({PICKED} hand-picked entries each), "
              f"median {sorted(builds.done)[len(builds.done) // 2]:.1f} s from the click to the file")
    print("  resident memory (VmRSS) after the warm-up → at the end:")
    growth_ok = True
    for name in pids:
        ratio = after[name] / before[name]
        growth_ok &= ratio - 1 < MAX_GROWTH
        print(f"    {name:<24} {before[name] / 1024:7.1f} MiB → {after[name] / 1024:7.1f} MiB  ×{ratio:.3f}")

    print("\nchecks:")
    results = check_database(app, ledger)
    results[:0] = [
        (errors == 0 and not log_errors, f"{errors} request errors, {len(log_errors)} error lines in the logs"
                                         + (f" (first: {log_errors[0][:200]})" if log_errors else "")),
        (builds.done and not builds.problems, f"{len(builds.done)} brochure builds finished, {len(builds.problems)} failed"),
        (same_workers and gunicorn.alive() and worker.alive(), "no gunicorn worker restarted, flask worker running"),
        (growth_ok, f"every process grew by less than {MAX_GROWTH:.0%}"),
    ]
    for ok, text in results:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0 if all(ok for ok, _text in results) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted (every process stopped)", file=sys.stderr)
        sys.exit(130)
