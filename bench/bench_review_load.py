"""Does review hold on its last evening: 50 experts at once under gunicorn?

Builds a PostgreSQL database (``BENCH_DATABASE_URL``, default
``postgresql://postgres@127.0.0.1:5432/showcase_bench``; created if missing,
its public schema dropped and migrated with Alembic; the name must contain
"bench") with one call whose review phase ends tonight: 50 experts in 8
panels, a chair, 320 eligible entries (no photos), the rubrics frozen, the
automatic assignment run (5 experts per entry), and about 40 % of the sheets
already submitted and 10 % drafts. Then starts the app under gunicorn on
127.0.0.1 — production's ``deploy/gunicorn.conf.py`` (3 workers × 4 threads,
keep-alive 5 s, ``gc.freeze()`` in each worker; ``BENCH_WORKERS`` and
``BENCH_THREADS`` change the count) — and, from this process (one thread and
one keep-alive connection per client):

1. baseline: 50 clients call ``GET /healthz`` (no database) for ~10 s;
2. floor: 50 experts log in, then call ``GET /account/session`` for as long —
   the cheapest request a logged-in browser sends (the login session's one
   query, a small JSON answer): no logged-in page can be served faster;
3. load: the same experts, for 60 s, work through their queue — queue,
   conflict declaration, open the sheet, the sheet, 3–5 autosaves with
   changing scores (carrying the version each autosave returns), submit (one
   submit in eight, at random, is a double click: two at once) and the sheet
   again; experts with nothing left read their queue and submitted sheets.

Prints requests, requests per second, p50/p95/p99 latency and errors per
request kind beside the baseline, the throughput ratio, the time spent
inside gunicorn and how the requests spread over its workers (from its access
log), the CPU time per request of gunicorn and of this load generator, then checks the
database: one sheet per (entry, expert), one score per (sheet, criterion),
every sheet a client saw submitted is submitted with exactly the scores it
sent, its total equal to ``scoring.weighted_total``, and one
``sheet.submitted`` audit row. Exits 1 on any request error or data problem,
2 when it cannot run (target: p95 ≤ 50 ms).

The load generator runs on the same machine as gunicorn and PostgreSQL and
competes with them for the CPU. Without think time the clients form a closed
loop: latency ≈ clients ÷ throughput (Little's law), so the p95 measures how
many requests the machine serves, not what one expert waits for.
``BENCH_THINK_MS`` adds a pause between an expert's requests (0.5–1.5 × it);
``BENCH_SECONDS`` shortens the load, ``BENCH_CLIENTS`` uses fewer experts.
The machine's load average is printed before and after: other work on the
cores shows in every figure but the CPU time per request.

Afterwards (``BENCH_PROFILE=0`` skips it; ``--profile`` runs only the seed
and it) ``page_profile.py`` runs the same pages in-process and prints where
their time goes: CPU time and queries per page, and a sampled breakdown by
phase of the request and by library.

    .venv/bin/python bench/bench_review_load.py
    BENCH_THINK_MS=2000 .venv/bin/python bench/bench_review_load.py
    BENCH_SECONDS=15 BENCH_CLIENTS=1 .venv/bin/python bench/bench_review_load.py
    .venv/bin/python bench/bench_review_load.py --profile
"""
import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa
from alembic import command
from page_profile import FLOOR_PATH  # beside this file: bench/ is on the path
from sqlmodel import select

from app import create_app
from app.accounts.credit_code import make_credit_code
from app.accounts.services import hash_password
from app.config import normalise_database_url
from app.db import db, utcnow
from app.db_cli import alembic_config
from app.enums import Domain, EntryStatus, Phase, Role, SheetStatus, Technology
from app.models import (
    Assignment,
    AuditEvent,
    Call,
    CallPhase,
    CallQuota,
    Entry,
    EntryOutcome,
    ExpertProfile,
    Organisation,
    Panel,
    PanelMember,
    RubricVersion,
    Score,
    ScoreSheet,
    User,
    UserRole,
)
from app.review.assignment.services import run_assignment
from app.review.rubrics.services import choose_rubric, frozen_rubric
from app.review.sheets.scoring import criteria, weighted_total

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/showcase_bench"
EXPERTS = 50
ENTRIES = 320
ORGANISATIONS = 60
EXPERTS_PER_ENTRY = 5
PASSWORD = "bench-review-evening"
RUN_LOCK = 0x5EB_0AD  # advisory lock key: one run at a time per database
DOUBLE_CLICK = 1 / 8  # the share of submits sent twice at once
TARGET_P95_MS = 50
TARGET_RATIO = 0.3  # saturation throughput against the bare route's
KINDS = ("queue", "declaration", "open", "sheet", "autosave", "submit")
WORDS = ("智能", "视觉", "质检", "巡检", "调度", "诊断", "预测", "平台", "机器人", "大模型", "知识图谱", "政务", "安防", "教学", "风控")


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages (other work on the shared cores)."""
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def fail(message: str) -> None:
    print(f"bench_review_load: {message}", file=sys.stderr)
    sys.exit(2)


# --- the database ---------------------------------------------------------------


def prepare_database(raw_url: str) -> tuple[str, sa.Connection]:
    """Create the bench database if needed, empty its public schema, migrate it.

    Returns the URL and a connection holding the run's advisory lock.
    """
    url = ensure_database(raw_url)
    text_url = url.render_as_string(hide_password=False)
    # Held until the process ends: a second run would empty the schema under this one.
    guard = sa.create_engine(text_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool).connect()
    if not guard.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": RUN_LOCK}).scalar():
        fail(f"another run of this benchmark is using {url.database}")
    engine = sa.create_engine(text_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    command.upgrade(alembic_config(text_url), "head")
    return text_url, guard


def ensure_database(raw_url: str) -> sa.URL:
    """The bench database's URL, the database created if missing (a PostgreSQL
    database whose name contains "bench": benches empty it)."""
    url = sa.engine.make_url(normalise_database_url(raw_url))
    if not url.drivername.startswith("postgresql") or "bench" not in (url.database or ""):
        fail(f"refusing {url.render_as_string(hide_password=True)}: "
             "BENCH_DATABASE_URL must be a PostgreSQL database whose name contains 'bench' (it is emptied)")
    maintenance = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with maintenance.connect() as connection:
            exists = connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                        {"name": url.database}).first()
            if not exists:
                connection.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
    except sa.exc.OperationalError as error:
        fail(f"PostgreSQL is not reachable at {url.render_as_string(hide_password=True)} "
             f"(set BENCH_DATABASE_URL; trust auth or a password in the URL):\n  {str(error.orig).strip()}")
    finally:
        maintenance.dispose()
    return url


def _phases(now) -> list[CallPhase]:
    """Review ends three hours from now (the last evening); the others around it."""
    review_end = now + timedelta(hours=3)
    review = (review_end - timedelta(days=14), review_end)
    windows = {
        Phase.SUBMISSION: (review[0] - timedelta(days=60), review[0] - timedelta(days=30)),
        Phase.FORMAL_CHECK: (review[0] - timedelta(days=29), review[0] - timedelta(days=1)),
        Phase.REVIEW: review,
        Phase.RESULTS: (review_end + timedelta(days=1), review_end + timedelta(days=10)),
        Phase.PUBLICATION: (review_end + timedelta(days=11), review_end + timedelta(days=60)),
    }
    return [CallPhase(phase=phase, starts_at=start, ends_at=end) for phase, (start, end) in windows.items()]


def _scores_for(rubric: dict, rng: random.Random) -> dict[str, float]:
    return {c["key"]: rng.randrange(int(c["max_score"] * 0.4) * 2, int(c["max_score"]) * 2 + 1) / 2 for c in criteria(rubric)}


def seed(app, rng: random.Random) -> dict:
    """The last evening of review, with the app's models and services; returns counts."""
    with app.app_context():
        session = db.session
        now = utcnow()
        password_hash = hash_password(PASSWORD)  # the production KDF; one hash for every account
        call = Call(name="基准测试批次", year=now.year, target_count=200, experts_per_entry=EXPERTS_PER_ENTRY,
                    blind_review=True, show_others_scores=False, phases=_phases(now),
                    quotas=[CallQuota(domain=d, quota=25) for d in Domain])
        chair = User(email="chair@bench.local", name="评审主席", password_hash=password_hash,
                     role_rows=[UserRole(role=Role.CHAIR)])
        experts = [
            User(email=f"expert{n:02d}@bench.local", name=f"专家{n:02d}", password_hash=password_hash,
                 role_rows=[UserRole(role=Role.EXPERT)])
            for n in range(EXPERTS)
        ]
        organisations = [
            Organisation(name=f"广东{rng.choice(WORDS)}{rng.choice(WORDS)}科技有限公司{n:02d}",
                         credit_code=make_credit_code(f"91440300{n:09d}"), city_code="440300")
            for n in range(ORGANISATIONS)
        ]
        session.add_all([call, chair, *experts, *organisations])
        session.flush()
        tags = [t.value for t in Technology]
        for n, expert in enumerate(experts):
            session.add(ExpertProfile(user_id=expert.id, affiliation_name=f"华南某大学{n % 10}",
                                      affiliation_code=make_credit_code(f"12440000{n % 10:09d}"),
                                      expertise_domains=[], tech_tags=rng.sample(tags, 3)))
        domains = list(Domain)
        for index, domain in enumerate(domains):
            session.add(Panel(call_id=call.id, name=f"{domain.value}组", domains=[domain.value],
                              members=[PanelMember(user_id=e.id) for e in experts[index::len(domains)]]))
        for n in range(ENTRIES):
            title = "".join(rng.choice(WORDS) for _ in range(3))
            session.add(Entry(
                call_id=call.id, organisation_id=organisations[n % ORGANISATIONS].id, status=EntryStatus.ELIGIBLE,
                title=f"基于{title}的应用场景{n:03d}", domain=domains[n % len(domains)], city_code="440300",
                summary="利用深度学习模型对业务流程进行实时分析与决策，效率显著提升。" * 2,
                tech_tags=rng.sample(tags, 2), partners=[], problem="人工处理效率低、差错率高。" * 5,
                solution="部署边缘推理设备与云端平台，实时识别异常并自动处置。" * 6, deployment_scale="3个地市、12个站点",
                deployment_start=date(2024, 3, 1), investment=850.0, replicability="可推广至同类行业。" * 3,
                data_security="数据本地化存储，访问分级授权。" * 3, contact_name="王芳", contact_phone="13800138000",
                contact_email="wangfang@example.com", submitted_at=now - timedelta(days=40),
                outcomes=[EntryOutcome(position=0, metric="处理效率", before=100.0, after=180.0, unit="件/小时")],
            ))
        session.flush()
        # Healthcare entries are scored against their own rubric; both are frozen
        # (review has been open for two weeks).
        choose_rubric(session, actor=chair, call=call, domain=Domain.HEALTHCARE, rubric_key="healthcare")
        rubrics = {domain: frozen_rubric(session, call=call, domain=domain, now=now, actor=chair) for domain in domains}
        report = run_assignment(session, call=call, actor=chair, now=now, seed=0)
        db.commit()

        # Two weeks of work done: ~40 % submitted, ~10 % drafts with some scores.
        rows = session.exec(
            select(Assignment, Entry.domain).join(Entry, Entry.id == Assignment.entry_id).order_by(Assignment.id)
        ).all()
        submitted = drafts = 0
        for assignment, domain in rows:
            roll = rng.random()
            if roll >= 0.5:
                continue
            version = rubrics[domain]
            values = _scores_for(version.content, rng)
            sheet = ScoreSheet(assignment_id=assignment.id, entry_id=assignment.entry_id, expert_id=assignment.expert_id,
                               rubric_version_id=version.id, opened_at=now - timedelta(days=3), updated_at=now - timedelta(days=2))
            if roll < 0.4:
                sheet.status, sheet.submitted_at = SheetStatus.SUBMITTED, now - timedelta(days=2)
                sheet.vetoes = {v["key"]: False for v in version.content["vetoes"]}
                sheet.total = weighted_total(version.content, values)
                sheet.scores = [Score(criterion_key=k, score=v, comment="有数据支撑") for k, v in values.items()]
                submitted += 1
            else:
                keys = list(values)[:2]
                sheet.scores = [Score(criterion_key=k, score=values[k] if k in keys else None) for k in values]
                drafts += 1
            session.add(sheet)
        db.commit()
        return {"entries": ENTRIES, "experts": EXPERTS, "panels": len(domains), "assignments": report.pairs,
                "infeasible": len(report.infeasible), "submitted": submitted, "drafts": drafts}


# --- gunicorn -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_gunicorn() -> dict:
    """Workers, threads and keep-alive as ``deploy/gunicorn.conf.py`` sets them
    (its defaults, unless GUNICORN_WORKERS or GUNICORN_THREADS are set here)."""
    import runpy

    conf = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    return {"workers": conf["workers"], "threads": conf["threads"], "keepalive": conf["keepalive"]}


def start_gunicorn(url: str, port: int, tmp: Path, workers: int, threads: int, keepalive: int = 2, *,
                   wsgi_app: str = "app:create_app()", ready_path: str = "/healthz") -> subprocess.Popen:
    """Production's gunicorn serving ``wsgi_app`` (by default ours) on ``port``, once ``ready_path`` answers."""
    env = os.environ | {
        "SHOWCASE_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "BASE_URL": f"http://127.0.0.1:{port}",
        "MAIL_SERVER": "127.0.0.1",  # never used: nothing here sends mail
        "DATABASE_URL": url,
        "UPLOAD_FOLDER": str(tmp / "uploads"),
        "MAIL_OUTBOX_DIR": str(tmp / "mail"),
        # 50 experts log in from 127.0.0.1 within a second.
        "LOGIN_LIMIT_PER_IP": "1000 per minute",
    }
    # Production's configuration file (its hooks too: gc.freeze() in each worker), with the bench's
    # address, logs and worker count; no recycling of workers after 2,000 requests in a 70 s run.
    args = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
            "-w", str(workers), "-k", "gthread", "--threads", str(threads), "--max-requests", "0",
            "--keep-alive", str(keepalive), "-b", f"127.0.0.1:{port}", "--error-logfile", str(tmp / "gunicorn.log"),
            # Which worker served each request, and how long it took inside the worker (µs).
            "--access-logfile", str(tmp / "access.log"), "--access-logformat", "%(p)s %(D)s %(m)s %(U)s",
            wsgi_app]
    # The app's request log (a JSON line per request, as in production) goes to a file, not to this terminal.
    with open(tmp / "app.log", "ab") as app_log:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=app_log, stderr=app_log,
                                   start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (tmp / "gunicorn.log").read_text(errors="replace")[-3000:]
            fail(f"gunicorn exited with {process.returncode}:\n{log}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", ready_path)
            if connection.getresponse().status == 200:
                connection.close()
                return process
        except OSError:
            time.sleep(0.2)
    stop_gunicorn(process)
    fail(f"gunicorn did not answer {ready_path} within 60 s")


def error_lines(log: str) -> list[str]:
    """The lines of gunicorn's log and the app's JSON request log that report an error."""
    return [line for line in log.splitlines() if "[ERROR]" in line or "[CRITICAL]" in line or "Traceback" in line
            or '"level": "ERROR"' in line or '"level": "CRITICAL"' in line]


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: the master and its workers only
        process.wait()


@dataclass
class Usage:
    """CPU seconds used so far by gunicorn (master and workers) and by this
    process, and the database's connections opened so far."""

    server: float
    client: float
    sessions: int

    @classmethod
    def now(cls, master: int, connection: sa.Connection) -> "Usage":
        tick = os.sysconf("SC_CLK_TCK")
        server = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            if int(stat.parent.name) == master or int(fields[1]) == master:  # fields[1]: the parent's pid
                server += int(fields[11]) + int(fields[12])  # utime, stime
        sessions = connection.execute(
            sa.text("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")).scalar()
        return cls(server / tick, time.process_time(), int(sessions or 0))

    def __sub__(self, other: "Usage") -> "Usage":
        return Usage(self.server - other.server, self.client - other.client, self.sessions - other.sessions)


# --- the clients ----------------------------------------------------------------


class RequestError(Exception):
    """A response the client did not expect (counted as an error of its kind)."""


@dataclass
class Recorder:
    """One client thread's measurements (merged after the run)."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)
    reconnects: int = 0

    def error(self, kind: str, message: str) -> None:
        self.errors[kind] += 1
        if len(self.messages) < 5:
            self.messages.append(f"{kind}: {message}")


class Client:
    """One browser: a keep-alive connection and the cookies it was given."""

    def __init__(self, port: int, recorder: Recorder, cookies: dict[str, str] | None = None):
        self.port = port
        self.recorder = recorder
        self.cookies = cookies if cookies is not None else {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.used = False

    def request(self, kind: str | None, method: str, path: str, form: dict | None = None):
        """Send one request; record its latency under ``kind``; return (status, headers, body)."""
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: reconnect and
                # send again, as browsers do.
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2 or not self.used:
                    raise
                self.recorder.reconnects += 1
                continue
            elapsed = time.perf_counter() - started
            self.used = True
            break
        if kind:
            self.recorder.latencies[kind].append(elapsed)
        for header in response.msg.get_all("Set-Cookie") or []:
            name, _sep, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "expires=thu, 01 jan 1970" in header.lower() or "max-age=0" in header.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response.status, response.msg, data

    def close(self) -> None:
        self.connection.close()


_INPUT = re.compile(r"<input\b([^>]*)>")
_ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
_DANGER = re.compile(r'<div class="alert alert-danger"[^>]*>(.*?)</div>', re.DOTALL)
_QUEUE_ROW = re.compile(r'<tr data-state="(\w+)">.*?<a href="([^"]+)"', re.DOTALL)


def inputs(html: str) -> list[dict[str, str]]:
    return [dict(_ATTRIBUTE.findall(tag)) for tag in _INPUT.findall(html)]


def csrf_token(html: str) -> str:
    for attributes in inputs(html):
        if attributes.get("name") == "csrf_token":
            return attributes["value"]
    raise RequestError("no csrf_token on the page")


def location(headers) -> str:
    return urllib.parse.urlsplit(headers.get("Location", "")).path


@dataclass
class SheetForm:
    """What the sheet page's form holds: CSRF token, version and field names."""

    csrf: str
    version: str
    maxima: dict[str, float]  # criterion key → max score
    vetoes: list[str]

    @classmethod
    def parse(cls, html: str) -> "SheetForm":
        fields = inputs(html)
        named = {f.get("name"): f for f in fields}
        if "version" not in named:
            raise RequestError("the sheet page has no editable form")
        maxima = {f["name"][6:]: float(f["max"]) for f in fields if f.get("name", "").startswith("score-")}
        vetoes = sorted({f["name"][5:] for f in fields if f.get("name", "").startswith("veto-")})
        return cls(csrf=csrf_token(html), version=named["version"]["value"], maxima=maxima, vetoes=vetoes)


@dataclass
class Ledger:
    """What the clients saw: the sheets they opened and the ones they saw submitted."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    opened: dict[int, int] = field(default_factory=dict)  # sheet id → expert number
    submitted: dict[int, dict[str, float]] = field(default_factory=dict)  # sheet id → the scores sent
    double_clicks: int = 0
    double_click_alerts: int = 0  # double clicks whose page then showed an error message
    alert_text: str = ""
    out_of_work: set[int] = field(default_factory=set)


class _TimeUp(Exception):
    """The load phase is over."""


class Expert:
    """One simulated expert working through the queue.

    An error is counted under the kind of the last request sent (a failed
    check of its response included); the expert then goes back to the queue.
    """

    def __init__(self, number: int, port: int, rng: random.Random, ledger: Ledger, think: float):
        self.number = number
        self.email = f"expert{number:02d}@bench.local"
        self.recorder = Recorder()
        self.client = Client(port, self.recorder)
        self.rng = rng
        self.ledger = ledger
        self.think = think
        self.kind = "queue"
        self.deadline = float("inf")

    def pause(self) -> None:
        if self.think:
            time.sleep(self.rng.uniform(0.5, 1.5) * self.think)

    def send(self, kind: str | None, method: str, path: str, form: dict | None = None, *, expect: int | None = 200,
             last: bool = False):
        if time.perf_counter() >= self.deadline and not last:
            raise _TimeUp  # stop between two requests, even in the middle of a sheet
        self.kind = kind
        status, headers, body = self.client.request(kind, method, path, form)
        if expect is not None and status != expect:
            raise RequestError(f"{method} {path}: HTTP {status}, expected {expect} {body[:150].decode(errors='replace')}")
        return status, headers, body

    def login(self) -> float:
        started = time.perf_counter()
        _status, _headers, html = self.send(None, "GET", "/account/login")
        form = {"csrf_token": csrf_token(html.decode()), "email": self.email, "password": PASSWORD}
        status, headers, _html = self.send(None, "POST", "/account/login", form, expect=None)
        if status != 302 or location(headers).startswith("/account/login"):
            raise RequestError(f"login failed: HTTP {status}")
        return time.perf_counter() - started

    def run(self, deadline: float) -> None:
        self.deadline = deadline
        if self.think:  # experts with think time do not all click at the same instant
            time.sleep(self.rng.uniform(0, 2 * self.think))
        while True:
            try:
                _status, _headers, html = self.send("queue", "GET", "/review/")
                rows = _QUEUE_ROW.findall(html.decode())
                if not rows:
                    raise RequestError("empty queue")
                todo = [href for state, href in rows if state in ("not_opened", "draft")]
                self.pause()
                if todo:
                    self.score(todo[0])
                else:  # nothing left: read the submitted sheets again
                    self.ledger.out_of_work.add(self.number)
                    self.send("sheet", "GET", self.rng.choice([href for state, href in rows if state == "submitted"]))
                    self.pause()
            except _TimeUp:
                return
            except (OSError, http.client.HTTPException) as error:
                self.recorder.error(self.kind, f"{type(error).__name__}: {error}")
                self.client.close()
                self.client = Client(self.client.port, self.recorder, self.client.cookies)
                time.sleep(0.1)
            except Exception as error:  # noqa: BLE001 — any surprise is an error of that request, not a dead client
                self.recorder.error(self.kind, f"{type(error).__name__}: {error}")

    def score(self, href: str) -> None:
        """Declare, open, autosave 3–5 times, submit, see the sheet submitted."""
        if href.startswith("/review/assignments/"):
            _status, _headers, html = self.send("declaration", "GET", href)
            self.pause()
            form = {"csrf_token": csrf_token(html.decode()), "confirm": "y"}
            _status, headers, _html = self.send("open", "POST", f"{href}/no-conflict", form, expect=302)
            if not location(headers).startswith("/review/sheets/"):
                raise RequestError(f"open: redirected to {location(headers) or '-'}")
            href = location(headers)
        sheet_id = int(href.rstrip("/").rsplit("/", 1)[1])
        with self.ledger.lock:
            self.ledger.opened[sheet_id] = self.number
        _status, _headers, html = self.send("sheet", "GET", href)
        sheet = SheetForm.parse(html.decode())
        keys = list(sheet.maxima)
        values: dict[str, float | None] = {key: None for key in keys}

        def some_score(key: str) -> float:
            return self.rng.randrange(int(sheet.maxima[key]) * 2 + 1) / 2

        for round_ in range(self.rng.randint(3, 5)):
            self.pause()
            # The first autosaves fill the sheet in, three scores at a time; later ones change one to three.
            changed = keys[round_ * 3:round_ * 3 + 3] or self.rng.sample(keys, self.rng.randint(1, min(3, len(keys))))
            for key in changed:
                values[key] = some_score(key)
            form = {"csrf_token": sheet.csrf, "version": sheet.version} | {f"score-{k}": f"{values[k]:g}" for k in changed}
            if round_ == 0:
                form |= {f"comment-{key}": "数据较完整，成效明显。" for key in keys}
            _status, _headers, body = self.send("autosave", "POST", f"{href}/autosave", form)
            answer = json.loads(body)
            if not answer.get("ok"):
                raise RequestError(f"autosave: {answer}")
            sheet.version = str(answer["version"])
        self.pause()
        values = {key: some_score(key) if value is None else value for key, value in values.items()}
        form = {"csrf_token": sheet.csrf, "version": sheet.version, "comment": "整体较好，建议入选。"}
        form |= {f"score-{key}": f"{value:g}" for key, value in values.items()}
        form |= {f"comment-{key}": "数据较完整，成效明显。" for key in keys}
        form |= {f"veto-{key}": "no" for key in sheet.vetoes}
        double = self.rng.random() < DOUBLE_CLICK
        if double:
            answers = self.double_click(f"{href}/submit", form)
        else:
            answers = [self.send("submit", "POST", f"{href}/submit", form, expect=302)]
        for _status, headers, _body in answers:
            if location(headers) != href:
                raise RequestError(f"submit: redirected to {location(headers) or '-'}")
        # The browser follows the redirect: the sheet must now show as submitted
        # (even past the deadline: the check after the run needs to know).
        _status, _headers, html = self.send("sheet", "GET", href, last=True)
        page = html.decode()
        if "data-forget-storage" not in page:
            self.kind = "submit"
            raise RequestError("the sheet does not show as submitted after the submit")
        with self.ledger.lock:
            self.ledger.submitted[sheet_id] = values
            if double:
                self.ledger.double_clicks += 1
                alert = _DANGER.search(page)
                if alert:
                    self.ledger.double_click_alerts += 1
                    self.ledger.alert_text = alert.group(1).strip()
        if not double and "alert-danger" in page:
            self.kind = "submit"
            raise RequestError("submitted, but the page shows an error message")

    def double_click(self, path: str, form: dict):
        """Two submits at once on two connections (a double click), sharing the cookies."""
        if time.perf_counter() >= self.deadline:
            raise _TimeUp
        other = Client(self.client.port, self.recorder, self.client.cookies)
        results: list = [None, None]

        def second():
            try:
                results[1] = other.request("submit", "POST", path, form)
            except (OSError, http.client.HTTPException) as error:
                results[1] = error

        thread = threading.Thread(target=second, daemon=True)
        thread.start()
        try:
            results[0] = self.send("submit", "POST", path, form, expect=302, last=True)
        finally:
            thread.join()
        other.close()
        if isinstance(results[1], Exception):
            raise results[1]
        if results[1][0] != 302:
            raise RequestError(f"second submit of a double click: HTTP {results[1][0]}")
        return results


# --- the two phases -------------------------------------------------------------


def repeat(port: int, clients: int, seconds: float, kind: str, path: str, *, cookies=None, probe=None
           ) -> tuple[Recorder, float]:
    """``clients`` keep-alive clients send ``GET path`` for ``seconds`` as fast
    as it answers; ``cookies``: one cookie jar per client (a logged-in browser)."""
    recorders = [Recorder() for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def hammer(recorder: Recorder, jar: dict | None) -> None:
        client = Client(port, recorder, jar)
        start.wait()
        while time.perf_counter() < deadline[0]:
            try:
                status, _headers, _body = client.request(kind, "GET", path)
                if status != 200:
                    recorder.error(kind, f"HTTP {status}")
            except (OSError, http.client.HTTPException) as error:
                recorder.error(kind, f"{type(error).__name__}: {error}")
                client.close()
                client = Client(port, recorder, jar)
        client.close()

    jars = cookies if cookies is not None else [None] * clients
    threads = [threading.Thread(target=hammer, args=(r, jar), daemon=True) for r, jar in zip(recorders, jars)]
    for thread in threads:
        thread.start()
    if probe:
        probe()
    deadline[0] = time.perf_counter() + seconds
    started = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if probe:
        probe()
    return merge(recorders), elapsed


def log_in(port: int, clients: int, think: float, ledger: Ledger) -> tuple[list["Expert"], list[float]]:
    """``clients`` experts, all logged in at once (scrypt: outside any measured
    phase), and how long each login took."""
    experts = [Expert(n, port, random.Random(1000 + n), ledger, think) for n in range(clients)]
    logins, problems = [], []

    def one(expert: Expert) -> None:
        try:
            logins.append(expert.login())
        except (RequestError, OSError, http.client.HTTPException) as error:
            problems.append(f"{expert.email}: {error}")

    threads = [threading.Thread(target=one, args=(e,), daemon=True) for e in experts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if problems:
        fail("logins failed: " + "; ".join(problems[:5]))
    return experts, logins


def load(experts: list["Expert"], seconds: float, probe=None) -> tuple[Recorder, float]:
    """Let the logged-in experts work for ``seconds``; ``probe()`` is called
    just before and just after."""
    start = threading.Barrier(len(experts) + 1)
    deadline = [0.0]

    def work(expert: Expert) -> None:
        start.wait()
        expert.run(deadline[0])

    threads = [threading.Thread(target=work, args=(e,), daemon=True) for e in experts]
    for thread in threads:
        thread.start()
    if probe:
        probe()
    deadline[0] = time.perf_counter() + seconds
    started = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if probe:
        probe()
    for expert in experts:
        expert.client.close()
    return merge([e.recorder for e in experts]), elapsed


def merge(recorders: list[Recorder]) -> Recorder:
    merged = Recorder()
    for recorder in recorders:
        for kind, values in recorder.latencies.items():
            merged.latencies[kind].extend(values)
        merged.errors.update(recorder.errors)
        merged.messages.extend(recorder.messages[: max(0, 10 - len(merged.messages))])
        merged.reconnects += recorder.reconnects
    return merged


def worker_shares(access_log: Path) -> tuple[dict[str, list[float]], dict[str, Counter]]:
    """Server-side times (s) and requests per worker, for the baseline, the floor and the load."""
    times = {phase: [] for phase in ("baseline", "floor", "load")}
    workers = {phase: Counter() for phase in times}
    for line in access_log.read_text().splitlines():
        pid, micros, _method, path = line.split(" ", 3)
        phase = ("baseline" if path == "/healthz" else "floor" if path == FLOOR_PATH
                 else "load" if path.startswith("/review/") else None)
        if phase:
            times[phase].append(int(micros) / 1e6)
            workers[phase][pid] += 1
    return times, workers


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(p / 100 * len(sorted_values) + 0.4999))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def row(label: str, values: list[float], errors: int, seconds: float) -> float:
    values = sorted(values)
    p50, p95, p99 = (percentile(values, p) * 1000 for p in (50, 95, 99))
    print(f"  {label:<28} {len(values):>8} {len(values) / seconds:>8.1f} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {errors:>7}")
    return p95


# --- the database afterwards ----------------------------------------------------


def check_database(app, ledger: Ledger) -> list[tuple[bool, str]]:
    results = []
    with app.app_context():
        session = db.session
        sheets, pairs = session.exec(
            select(sa.func.count(ScoreSheet.id), sa.func.count(sa.distinct(sa.tuple_(ScoreSheet.entry_id, ScoreSheet.expert_id))))
        ).one()
        results.append((sheets == pairs, f"{sheets} sheets for {pairs} distinct (entry, expert) pairs"))
        duplicates = session.exec(
            select(Score.sheet_id, Score.criterion_key).group_by(Score.sheet_id, Score.criterion_key).having(sa.func.count() > 1)
        ).all()
        results.append((not duplicates, f"{len(duplicates)} duplicate scores per (sheet, criterion)"))
        rubrics = {v.id: v.content for v in session.exec(select(RubricVersion)).all()}
        all_sheets = {s.id: s for s in session.exec(select(ScoreSheet)).all()}
        short = [s.id for s in all_sheets.values()
                 if {row.criterion_key for row in s.scores} != {c["key"] for c in criteria(rubrics[s.rubric_version_id])}]
        results.append((not short, f"{len(short)} sheets whose score rows differ from their rubric's criteria"))
        wrong_total = [s.id for s in all_sheets.values() if s.status == SheetStatus.SUBMITTED
                       and s.total != weighted_total(rubrics[s.rubric_version_id], {r.criterion_key: r.score for r in s.scores})]
        results.append((not wrong_total, f"{len(wrong_total)} submitted sheets whose total is not weighted_total of their scores"))
        missing = [sid for sid in ledger.opened if sid not in all_sheets]
        results.append((not missing, f"{len(ledger.opened)} sheets the clients worked on; {len(missing)} missing"))
        lost = []
        for sheet_id, sent in ledger.submitted.items():
            sheet = all_sheets.get(sheet_id)
            stored = {r.criterion_key: r.score for r in sheet.scores} if sheet else None
            if sheet is None or sheet.status != SheetStatus.SUBMITTED or stored != sent:
                lost.append(sheet_id)
        results.append((not lost, (f"{len(ledger.submitted)} sheets the clients saw submitted; "
                                  f"{len(lost)} not submitted or not holding the scores sent")))
        events = Counter(session.exec(
            select(AuditEvent.object_id).where(AuditEvent.action == "sheet.submitted", AuditEvent.object_type == "score_sheets")
        ).all())
        twice = [sid for sid, n in events.items() if n > 1]
        unseen = [sid for sid in events if sid not in ledger.submitted]
        results.append((not twice, (f"{len(events)} 'sheet.submitted' audit rows; {len(twice)} sheets submitted more than once "
                                   f"({ledger.double_clicks} double clicks)")))
        results.append((not unseen, f"{len(unseen)} sheets submitted in the run that no client saw as submitted"))
    return results


# --- main -----------------------------------------------------------------------


def main() -> int:
    raw_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    seconds = float(os.environ.get("BENCH_SECONDS", "60"))
    clients = int(os.environ.get("BENCH_CLIENTS", str(EXPERTS)))
    think = float(os.environ.get("BENCH_THINK_MS", "0")) / 1000
    if not 1 <= clients <= EXPERTS:
        fail(f"BENCH_CLIENTS must be between 1 and {EXPERTS}")
    baseline_seconds = min(10.0, max(2.0, seconds / 6))
    cores = os.cpu_count() or 1
    # Production's settings (deploy/gunicorn.conf.py with its defaults), unless the run asks for others.
    production = production_gunicorn()
    workers = int(os.environ.get("BENCH_WORKERS", str(production["workers"])))
    threads = int(os.environ.get("BENCH_THREADS", str(production["threads"])))
    keepalive = production["keepalive"]

    started = time.perf_counter()
    url, guard = prepare_database(raw_url)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        app = create_app({"SHOWCASE_ENV": "development", "SECRET_KEY": "bench-" * 8, "DATABASE_URL": url,
                          "MAIL_OUTBOX_DIR": str(tmp / "mail"), "UPLOAD_FOLDER": str(tmp / "uploads")})
        counts = seed(app, random.Random(20261127))
        shown = sa.engine.make_url(url).render_as_string(hide_password=True)
        print(f"seeded {shown} in {time.perf_counter() - started:.1f} s: {counts['entries']} entries, "
              f"{counts['experts']} experts in {counts['panels']} panels, {counts['assignments']} assignments "
              f"({counts['infeasible']} entries short), {counts['submitted']} sheets submitted and {counts['drafts']} drafts before the run")
        if "--profile" in sys.argv[1:]:
            from page_profile import profile_pages

            print(f"load average {load_average()}")
            profile_pages(url, tmp, experts=EXPERTS)
            app.extensions["db"].engine.dispose()
            guard.close()
            return 0
        port = free_port()
        print(f"load average {load_average()} (1, 5, 15 min) before the run; Python {sys.version.split()[0]} "
              f"({os.path.realpath(sys.executable)})")
        print(f"gunicorn -w {workers} -k gthread --threads {threads} --keep-alive {keepalive} on 127.0.0.1:{port} "
              f"(SHOWCASE_ENV=production, as deploy/gunicorn.conf.py); "
              f"{cores} cores shared with PostgreSQL and this load generator")
        ledger = Ledger()
        process = start_gunicorn(url, port, tmp, workers, threads, keepalive)
        try:
            marks = []

            def probe():
                marks.append(Usage.now(process.pid, guard))

            base, base_seconds = repeat(port, clients, baseline_seconds, "healthz", "/healthz", probe=probe)
            experts, logins = log_in(port, clients, think, ledger)
            floor, floor_seconds = repeat(port, clients, baseline_seconds, "floor", FLOOR_PATH,
                                          cookies=[expert.client.cookies for expert in experts], probe=probe)
            main_run, main_seconds = load(experts, seconds, probe)
        finally:
            stop_gunicorn(process)
        log = (tmp / "gunicorn.log").read_text(errors="replace") + (tmp / "app.log").read_text(errors="replace")
        app_errors = error_lines(log)

        think_note = f", think time {think * 1000:.0f} ms ×0.5–1.5" if think else ", no think time"
        print(f"\n{clients} clients, keep-alive; baseline {base_seconds:.1f} s, floor {floor_seconds:.1f} s, "
              f"load {main_seconds:.1f} s{think_note}; "
              f"{len(logins)} logins beforehand (median {sorted(logins)[len(logins) // 2] * 1000:.0f} ms, scrypt)")
        print(f"  {'':<28} {'requests':>8} {'rps':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
        base_p95 = row("baseline GET /healthz", base.latencies["healthz"], base.errors["healthz"], base_seconds)
        row(f"floor GET {FLOOR_PATH}", floor.latencies["floor"], floor.errors["floor"], floor_seconds)
        everything = [value for kind in KINDS for value in main_run.latencies[kind]]
        total_errors = sum(main_run.errors.values())
        load_p95 = row("load: all requests", everything, total_errors, main_seconds)
        for kind in KINDS:
            row(f"  {kind}", main_run.latencies[kind], main_run.errors[kind], main_seconds)
        print(f"  load p95 ÷ baseline p95: {load_p95 / base_p95:.1f}×; "
              f"target p95 ≤ {TARGET_P95_MS} ms: {'ok' if load_p95 <= TARGET_P95_MS else 'MISSED'}")
        base_rps = len(base.latencies["healthz"]) / base_seconds
        ratio = (len(everything) / main_seconds) / base_rps
        floor_ratio = (len(floor.latencies["floor"]) / floor_seconds) / base_rps
        print(f"  floor rps ÷ baseline rps: {floor_ratio:.2f}× (the cheapest logged-in request: "
              "no logged-in page can be served faster)")
        print(f"  load rps ÷ baseline rps: {ratio:.2f}× (target at saturation, BENCH_THINK_MS=0: ≥ {TARGET_RATIO}×"
              f"{': ok' if ratio >= TARGET_RATIO else ': MISSED' if not think else ''})")
        print(f"  sheets submitted in the run {len(ledger.submitted)} ({ledger.double_clicks} by double click, "
              f"{ledger.double_click_alerts} of them then showing an error message); "
              f"experts with nothing left to score {len(ledger.out_of_work)}; "
              f"reconnects {main_run.reconnects + base.reconnects + floor.reconnects} (gunicorn closes keep-alive connections idle for {keepalive} s)")
        server_times, per_worker = worker_shares(tmp / "access.log")
        for phase in ("baseline", "floor", "load"):
            values = sorted(server_times[phase])
            total = sum(per_worker[phase].values()) or 1
            shares = " / ".join(f"{n / total:.0%}" for n in sorted(per_worker[phase].values(), reverse=True))
            print(f"  {phase}: time inside gunicorn p50 {percentile(values, 50) * 1000:.1f} ms, "
                  f"p95 {percentile(values, 95) * 1000:.1f} ms; requests per worker {shares}")
        print("  (a keep-alive connection stays with the worker that accepted it)")
        base_cost, floor_cost, load_cost = marks[1] - marks[0], marks[3] - marks[2], marks[5] - marks[4]
        base_n, floor_n, load_n = len(base.latencies["healthz"]), len(floor.latencies["floor"]), len(everything)
        for phase, cost, n in (("baseline", base_cost, base_n), ("floor", floor_cost, floor_n), ("load", load_cost, load_n)):
            print(f"  {phase}: CPU per request: gunicorn {cost.server / n * 1000:.2f} ms, this load generator "
                  f"{cost.client / n * 1000:.2f} ms; {cost.sessions} new PostgreSQL connections")
        print(f"  gunicorn CPU per request, baseline ÷ floor: {(base_cost.server / base_n) / (floor_cost.server / floor_n):.2f}×, "
              f"baseline ÷ load: {(base_cost.server / base_n) / (load_cost.server / load_n):.2f}× "
              "(the throughput ratio on cores of its own, whatever else runs on the machine)")
        for message in base.messages + floor.messages + main_run.messages:
            print(f"  error: {message}")
        if ledger.alert_text:
            print(f"  a double click then showed: {ledger.alert_text}")
        if app_errors:
            print(f"  gunicorn log: {len(app_errors)} error lines, first: {app_errors[0][:300]}")

        print("\ndatabase afterwards:")
        results = check_database(app, ledger)
        request_errors = total_errors + sum(base.errors.values()) + sum(floor.errors.values())
        results.insert(0, (request_errors == 0 and not app_errors,
                           f"{request_errors} request errors, {len(app_errors)} error lines in the gunicorn log"))
        for ok, text in results:
            print(f"  {'PASS' if ok else 'FAIL'}  {text}")
        app.extensions["db"].engine.dispose()
        print(f"\nload average {load_average()} (1, 5, 15 min) after the run")
        if os.environ.get("BENCH_PROFILE", "1") != "0":
            from page_profile import profile_pages

            profile_pages(url, tmp, experts=EXPERTS)
    guard.close()
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0 if all(ok for ok, _text in results) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted (gunicorn stopped)", file=sys.stderr)
        sys.exit(130)
