"""How close to a bare route can a logged-in page get on this stack at all?

Issue 18 asks the expert pages to be served, at saturation, at ≥ 0.3× the
rate of a bare Flask route on the same gunicorn. This bench measures what the
stack itself allows, with none of our code: ``stack_reference_app.py`` — Flask,
Flask-Login with a user loader over a SQLAlchemy 2 ORM session, psycopg,
PostgreSQL — under production's gunicorn settings (``deploy/gunicorn.conf.py``:
3 workers × 4 threads, keep-alive 5 s, a socket per worker, ``gc.freeze()``),
50 keep-alive clients from this process, as in ``bench_review_load.py``:

- ``GET /bare``: a bare Flask route ("ok");
- ``GET /me``: the leanest logged-in request — Flask-Login's cookie, the user
  loader's one query, three JSON fields. No logged-in page does less;
- ``GET /page``: the leanest logged-in page — the same, one more query (ten
  rows) and a small HTML template.

The three alternate for ``BENCH_ROUNDS`` rounds (3) of ``BENCH_SECONDS`` (10 s)
each; the bench prints each round's requests per second and gunicorn CPU per
request (from ``/proc``), the medians, and the ratios of ``/me`` and ``/page``
to ``/bare``: the ceiling of the saturation ratio for any logged-in request,
and what the leanest page reaches.
Exits 1 on any request error or error line in gunicorn's log, 2 when it
cannot run.

Its database: ``BENCH_DATABASE_URL``'s (default ``…/showcase_bench``) with
``_stack`` appended to the name, created if missing; its one table is
re-created each run.

    .venv/bin/python bench/bench_stack_ceiling.py
"""
import os
import statistics
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import stack_reference_app as reference  # noqa: E402 - after the path is set
from bench_review_load import (  # noqa: E402
    DEFAULT_URL,
    EXPERTS,
    TARGET_RATIO,
    Client,
    Recorder,
    Usage,
    ensure_database,
    error_lines,
    fail,
    free_port,
    load_average,
    production_gunicorn,
    repeat,
    start_gunicorn,
    stop_gunicorn,
)

ROUTES = (("bare", "/bare"), ("me", "/me"), ("page", "/page"))


def main() -> int:
    seconds = float(os.environ.get("BENCH_SECONDS", "10"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    raw = sa.engine.make_url(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    url = ensure_database(raw.set(database=f"{raw.database}_stack").render_as_string(hide_password=False))
    text_url = url.render_as_string(hide_password=False)
    reference.prepare(text_url)
    production = production_gunicorn()
    workers, threads, keepalive = production["workers"], production["threads"], production["keepalive"]
    clients = EXPERTS
    figures: dict[str, dict[str, list[float]]] = {name: {"rps": [], "cpu": []} for name, _path in ROUTES}
    errors: list[str] = []
    print(f"load average {load_average()} (1, 5, 15 min) before the run; Python {sys.version.split()[0]}")
    print(f"stack_reference_app under gunicorn -w {workers} -k gthread --threads {threads} --keep-alive {keepalive} "
          f"(deploy/gunicorn.conf.py); {clients} keep-alive clients; {rounds} rounds of {seconds:.0f} s per route; "
          f"{os.cpu_count()} cores shared with PostgreSQL and this load generator")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        port = free_port()
        process = start_gunicorn(text_url, port, tmp, workers, threads, keepalive,
                                 wsgi_app="bench.stack_reference_app:create_app()", ready_path="/bare")
        monitor = sa.create_engine(text_url, poolclass=sa.pool.NullPool).connect()
        try:
            jars = []
            for number in range(1, clients + 1):
                client = Client(port, Recorder())
                status, _headers, _body = client.request(None, "GET", f"/login/{number}")
                client.close()
                if status != 200:
                    fail(f"logging in reference client {number}: HTTP {status}")
                jars.append(client.cookies)
            for round_no in range(1, rounds + 1):
                line = []
                for name, path in ROUTES:
                    marks = []
                    recorder, elapsed = repeat(port, clients, seconds, name, path,
                                               cookies=None if name == "bare" else jars,
                                               probe=lambda: marks.append(Usage.now(process.pid, monitor)))
                    served = len(recorder.latencies[name])
                    if not served:
                        fail(f"round {round_no}: GET {path} answered nothing: {recorder.messages[:3]}")
                    figures[name]["rps"].append(served / elapsed)
                    figures[name]["cpu"].append((marks[1] - marks[0]).server / served)
                    errors += recorder.messages
                    line.append(f"{path} {served / elapsed:,.0f} rps, {figures[name]['cpu'][-1] * 1000:.2f} ms CPU")
                print(f"  round {round_no}: " + "; ".join(line))
        finally:
            monitor.close()
            stop_gunicorn(process)
        log = (tmp / "gunicorn.log").read_text(errors="replace")
        log_errors = error_lines(log)

    rps = {name: statistics.median(figures[name]["rps"]) for name, _path in ROUTES}
    cpu = {name: statistics.median(figures[name]["cpu"]) for name, _path in ROUTES}
    print("\nmedians: " + "; ".join(f"{path} {rps[name]:,.0f} rps, gunicorn CPU {cpu[name] * 1000:.2f} ms a request"
                                  for name, path in ROUTES))
    for name, path, what in (("me", "/me", "the leanest logged-in request: no logged-in page does better"),
                             ("page", "/page", "the leanest logged-in page")):
        print(f"  {path} ÷ /bare: {rps[name] / rps['bare']:.2f}× the rate, {cpu['bare'] / cpu[name]:.2f}× by gunicorn "
              f"CPU per request ({what}; issue 18's target for the expert pages: ≥ {TARGET_RATIO}×)")
    for message in errors[:5]:
        print(f"  error: {message}")
    if log_errors:
        print(f"  gunicorn log: {len(log_errors)} error lines, first: {log_errors[0][:300]}")
    print(f"load average {load_average()} (1, 5, 15 min) after the run")
    return 1 if errors or log_errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted (gunicorn stopped)", file=sys.stderr)
        sys.exit(130)
