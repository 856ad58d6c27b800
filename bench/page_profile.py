"""Where an expert page's time goes, in-process: the load bench's workflow
(queue → declaration → no conflict → sheet → 3 autosaves → submit → sheet)
as plain WSGI calls of the production app on the seeded PostgreSQL database,
first timed, then under a sampling profiler (a real-time timer every 0.5 ms
records the Python stack; no tracing, so the shares are not skewed towards
code that makes many small calls).

Each sample is put in one *phase* of the request — the innermost of these on
its stack: the login session (Flask-Login and our user loader), the template
globals (the context processor: current call, site settings, navigation,
CSRF token), CSRF (Flask-WTF), the page's template (Jinja), the request
hooks of logs and metrics, the cookie session (signing), the view (its
services and queries), or else Flask/Werkzeug — and in one *library*, by
the innermost frame: SQLAlchemy, psycopg (the driver, including the wait for
PostgreSQL), Jinja, Babel, WTForms, logging, Werkzeug, Flask, the app's own
code, or other (the standard library).

Used by ``bench_review_load.py`` (after the load, and alone with ``--profile``).
"""
import gc
import http.cookies
import io
import json
import os
import signal
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import sqlalchemy as sa
from werkzeug.test import EnvironBuilder

INTERVAL = 0.0005  # seconds between samples
# The cheapest request of a logged-in browser: the login session's one query
# and a small JSON answer (the expiry warning's poll, which never writes).
FLOOR_PATH = "/account/session"
HOST = "bench.local"

#: Library of the innermost frame, by the path of its file (first match wins).
LIBRARIES = (
    ("SQLAlchemy", ("/sqlalchemy/", "/sqlmodel/")),
    ("psycopg", ("/psycopg/", "/psycopg_binary/", "/psycopg_pool/")),
    ("Jinja", ("/jinja2/", "/markupsafe/", ".html")),
    ("Babel", ("/babel/", "/flask_babel/", "/pytz/", "/zoneinfo/")),
    ("WTForms", ("/wtforms/", "/flask_wtf/")),
    ("logging", ("/logging/", "/pythonjsonlogger/", "/json/", "/uuid.py")),
    ("Werkzeug", ("/werkzeug/",)),
    ("Flask", ("/flask/", "/flask_login/", "/flask_limiter/", "/limits/", "/itsdangerous/", "/blinker/")),
    ("app", ("/app/",)),
)
COLUMNS = [name for name, _parts in LIBRARIES] + ["other"]

#: Phases, by a frame on the stack (innermost wins): (name, path part, function or None for any).
PHASES = (
    ("login session", "/flask_login/", None),
    ("login session", "/app/accounts/sessions.py", None),
    ("login session", "/app/accounts/views.py", "load_session_user"),
    ("template globals", "/app/templating.py", None),
    ("CSRF (Flask-WTF)", "/flask_wtf/csrf.py", None),
    ("page template", "/jinja2/", None),
    ("page template", ".html", None),
    ("page template", "/flask/templating.py", None),
    ("logs, metrics hooks", "/app/ops/", None),
    ("cookie session", "/flask/sessions.py", None),
    ("rate limiter", "/flask_limiter/", None),
    ("view (services, queries)", "/flask/app.py", "dispatch_request"),
)
PHASE_ORDER = ["view (services, queries)", "page template", "template globals", "login session", "CSRF (Flask-WTF)",
               "cookie session", "logs, metrics hooks", "rate limiter", "Flask/Werkzeug"]


def _library(filename: str) -> str:
    filename = filename.replace("\\", "/")
    for name, parts in LIBRARIES:
        if any(part in filename for part in parts):
            # "/app/" also matches a site-packages path of a package called app: ours only.
            if name == "app" and "site-packages" in filename:
                continue
            return name
    return "other"


class Sampler:
    """Samples the main thread's stack every ``INTERVAL`` of real or CPU time
    while ``kind`` is set; counts by (kind, phase, library)."""

    def __init__(self, clock: str = "wall"):
        # "wall": real time (waits for PostgreSQL included); "cpu": this process's CPU time only.
        self.timer, self.signal = ((signal.ITIMER_REAL, signal.SIGALRM) if clock == "wall"
                                   else (signal.ITIMER_PROF, signal.SIGPROF))
        self.clock = clock
        self.counts: Counter = Counter()
        self.kind = None
        self._phase_cache: dict = {}

    def _phase_of(self, code) -> str | None:
        cached = self._phase_cache.get(code, 0)
        if cached != 0:
            return cached
        filename = code.co_filename.replace("\\", "/")
        found = None
        for name, part, function in PHASES:
            if part in filename and (function is None or code.co_name == function):
                found = name
                break
        self._phase_cache[code] = found
        return found

    def _handler(self, _signum, frame):
        if self.kind is None or frame is None:
            return
        library = _library(frame.f_code.co_filename)
        phase = None
        while frame is not None:
            phase = self._phase_of(frame.f_code)
            if phase is not None:
                break
            frame = frame.f_back
        self.counts[self.kind, phase or "Flask/Werkzeug", library] += 1

    def __enter__(self):
        self._previous = signal.signal(self.signal, self._handler)
        signal.setitimer(self.timer, INTERVAL, INTERVAL)
        return self

    def __exit__(self, *exc):
        signal.setitimer(self.timer, 0)
        signal.signal(self.signal, self._previous)


class WsgiBrowser:
    """One expert's browser as direct WSGI calls of ``app`` (no server, no test client on the clock)."""

    #: Statements sent to the database since the process started (counted by an engine event).
    statements = 0

    def __init__(self, app, timings: dict, sampler: Sampler | None):
        self.app = app
        self.cookies: dict[str, str] = {}
        self.timings = timings
        self.sampler = sampler

    def request(self, kind: str | None, method: str, path: str, form: dict | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        if method == "POST":  # over HTTPS, Flask-WTF wants a same-site Referer, as browsers send
            headers["Referer"] = f"https://{HOST}{path}"
        builder = EnvironBuilder(path=path, method=method, base_url=f"https://{HOST}/", headers=headers,
                                 data=form, environ_base={"REMOTE_ADDR": "127.0.0.1"})
        environ = builder.get_environ()
        builder.close()
        answer = {}

        def start_response(status, response_headers, exc_info=None):
            answer["status"], answer["headers"] = int(status.split(" ", 1)[0]), response_headers
            return lambda _data: None

        if self.sampler is not None:
            self.sampler.kind = kind
        statements = WsgiBrowser.statements
        started, cpu = time.perf_counter(), time.thread_time()
        chunks = self.app.wsgi_app(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu
        if self.sampler is not None:
            self.sampler.kind = None
        if kind:
            self.timings[kind].append(elapsed)
            self.timings[f"{kind} cpu"].append(cpu)
            self.timings[f"{kind} statements"].append(WsgiBrowser.statements - statements)
        location = ""
        for name, value in answer["headers"]:
            if name.lower() == "set-cookie":
                cookie = http.cookies.SimpleCookie(value)
                for key, morsel in cookie.items():
                    if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = morsel.value
            elif name.lower() == "location":
                location = value
        return answer["status"], location.replace(f"https://{HOST}", ""), body


def _expect(status: int, wanted: int, what: str, body: bytes) -> None:
    if status != wanted:
        raise RuntimeError(f"{what}: HTTP {status}, expected {wanted}: {body[:300].decode(errors='replace')}")


def _one_sheet(browser: WsgiBrowser, rng) -> bool:
    """One expert's cycle of the load bench; False when the expert has nothing left."""
    from bench_review_load import _QUEUE_ROW, SheetForm, csrf_token

    status, _location, html = browser.request("queue", "GET", "/review/")
    _expect(status, 200, "queue", html)
    todo = [href for state, href in _QUEUE_ROW.findall(html.decode()) if state in ("not_opened", "draft")]
    if not todo:
        return False
    href = todo[0]
    if href.startswith("/review/assignments/"):
        status, _location, html = browser.request("declaration", "GET", href)
        _expect(status, 200, "declaration", html)
        form = {"csrf_token": csrf_token(html.decode()), "confirm": "y"}
        status, href, html = browser.request("open", "POST", f"{href}/no-conflict", form)
        _expect(status, 302, "open", html)
    status, _location, html = browser.request("sheet", "GET", href)
    _expect(status, 200, "sheet", html)
    sheet = SheetForm.parse(html.decode())
    keys = list(sheet.maxima)
    values = {key: rng.randrange(int(sheet.maxima[key]) * 2 + 1) / 2 for key in keys}
    for round_ in range(3):
        changed = keys[round_ * 3:round_ * 3 + 3] or keys[:1]
        form = {"csrf_token": sheet.csrf, "version": sheet.version} | {f"score-{k}": f"{values[k]:g}" for k in changed}
        status, _location, body = browser.request("autosave", "POST", f"{href}/autosave", form)
        _expect(status, 200, "autosave", body)
        sheet.version = str(json.loads(body)["version"])
    form = {"csrf_token": sheet.csrf, "version": sheet.version, "comment": "整体较好，建议入选。"}
    form |= {f"score-{key}": f"{value:g}" for key, value in values.items()}
    form |= {f"comment-{key}": "数据较完整，成效明显。" for key in keys}
    form |= {f"veto-{key}": "no" for key in sheet.vetoes}
    status, _location, body = browser.request("submit", "POST", f"{href}/submit", form)
    _expect(status, 302, "submit", body)
    status, _location, html = browser.request("sheet", "GET", href)
    _expect(status, 200, "sheet", html)
    return True


def _log_in(app, number: int, timings: dict, sampler: Sampler | None) -> WsgiBrowser:
    from bench_review_load import PASSWORD, csrf_token

    browser = WsgiBrowser(app, timings, sampler)
    _status, _location, html = browser.request(None, "GET", "/account/login")
    form = {"csrf_token": csrf_token(html.decode()), "email": f"expert{number:02d}@bench.local", "password": PASSWORD}
    status, location, body = browser.request(None, "POST", "/account/login", form)
    if status != 302 or location.startswith("/account/login"):
        raise RuntimeError(f"login of expert {number} failed: HTTP {status}")
    return browser


def production_app(url: str, tmp: Path):
    """The app as gunicorn runs it in the load bench (``SHOWCASE_ENV=production``)."""
    from app import create_app

    return create_app({"SHOWCASE_ENV": "production", "SECRET_KEY": "profile-" * 8, "BASE_URL": f"https://{HOST}",
                       "MAIL_SERVER": "127.0.0.1", "DATABASE_URL": url, "UPLOAD_FOLDER": str(tmp / "uploads"),
                       "MAIL_OUTBOX_DIR": str(tmp / "mail"), "LOGIN_LIMIT_PER_IP": "1000 per minute"})


def profile_pages(url: str, tmp: Path, *, cycles: int = 40, first_expert: int = 0, experts: int = 10) -> dict:
    """Time ``cycles`` sheet cycles, then sample as many more; print and return the breakdown.

    Uses experts ``first_expert`` … ``first_expert + experts - 1`` (their
    sheets get submitted: run it on a database whose load is over)."""
    import random

    app = production_app(url, tmp)
    gc.freeze()  # as deploy/gunicorn.conf.py does in each worker once the app is loaded

    def count(*_args):
        WsgiBrowser.statements += 1

    sa.event.listen(app.extensions["db"].engine, "before_cursor_execute", count)
    rng = random.Random(7)
    quiet = open(os.devnull, "w")  # the request log lines are written (production's JSON), to nowhere
    results = {}
    stderr, sys.stderr = sys.stderr, quiet
    try:
        numbers = list(range(first_expert, first_expert + experts))
        warm = defaultdict(list)
        browsers = [_log_in(app, n, warm, None) for n in numbers]
        for browser in browsers[:3]:  # warm-up: templates compiled, caches filled
            _one_sheet(browser, rng)
        healthz = WsgiBrowser(app, warm, None)
        floor = _log_in(app, numbers[-1], warm, None)  # its own browser: the others stop when out of work
        for _ in range(200):
            healthz.request("healthz", "GET", "/healthz")
            floor.request(None, "GET", FLOOR_PATH)
        for label, sampler in (("timed", None), ("wall", Sampler("wall")), ("cpu", Sampler("cpu"))):
            timings = defaultdict(list)
            for browser in browsers:
                browser.timings, browser.sampler = timings, sampler
            healthz.timings, healthz.sampler = timings, sampler
            floor.timings, floor.sampler = timings, sampler
            context = sampler if sampler is not None else _Nothing()
            with context:
                done = 0
                while done < cycles and browsers:
                    for browser in list(browsers):
                        if done >= cycles:
                            break
                        if _one_sheet(browser, rng):
                            done += 1
                        else:
                            browsers.remove(browser)
                for _ in range(500):
                    healthz.request("healthz", "GET", "/healthz")
                    floor.request("floor", "GET", FLOOR_PATH)
            results[label] = (timings, sampler)
    finally:
        sys.stderr = stderr
        quiet.close()
        app.extensions["db"].engine.dispose()
    report(results["timed"][0], results["wall"][1])
    report_breakdown(results["timed"][0], results["cpu"][1])
    return results


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def report(timings: dict, sampler: Sampler) -> None:
    kinds = [k for k in ("healthz", "floor", "queue", "declaration", "open", "sheet", "autosave", "submit") if timings.get(k)]
    def median(values):
        return sorted(values)[len(values) // 2]

    print("\nin-process cost per request (WSGI call of the production app on PostgreSQL, no server; medians):")
    print(f"  {'':<12}{'wall ms':>9}{'CPU ms':>9}{'queries':>9}")
    for kind in kinds:
        print(f"  {kind:<12}{median(timings[kind]) * 1000:>9.2f}{median(timings[kind + ' cpu']) * 1000:>9.2f}"
              f"{median(timings[kind + ' statements']):>9}")
    pages = [k for k in kinds if k not in ("healthz", "floor")]
    requests = sum(len(timings[k]) for k in pages)
    page_ms = sum(sum(timings[k]) for k in pages) / requests * 1000
    page_cpu = sum(sum(timings[k + " cpu"]) for k in pages) / requests * 1000
    print(f"  mean over the expert pages in the load's mix ({requests} requests): {page_ms:.2f} ms, "
          f"{page_cpu:.2f} ms of this process's CPU; /healthz {median(timings['healthz cpu']) * 1000:.2f} ms CPU, "
          f"the floor ({FLOOR_PATH}) {median(timings['floor cpu']) * 1000:.2f} ms")
    report_breakdown(timings, sampler)


def report_breakdown(timings: dict, sampler: Sampler) -> None:
    pages = [k for k in ("queue", "declaration", "open", "sheet", "autosave", "submit") if timings.get(k)]
    requests = sum(len(timings[k]) for k in pages)
    suffix = "" if sampler.clock == "wall" else " cpu"
    page_ms = sum(sum(timings[k + suffix]) for k in pages) / requests * 1000
    counts = sampler.counts
    total = sum(n for (kind, _p, _l), n in counts.items() if kind in pages) or 1
    what = "real time (waits for PostgreSQL included)" if sampler.clock == "wall" else "CPU time of the app's process"
    print(f"\nwhere the expert pages' {what} goes ({total} samples every {INTERVAL * 1000:g} ms; rows: phase of "
          f"the request, columns: library running; ms: the phase's share of the mean):")
    header = f"  {'':<26}" + "".join(f"{c[:10]:>11}" for c in COLUMNS) + f"{'total':>9}{'ms':>7}"
    print(header)
    by_phase = defaultdict(Counter)
    for (kind, phase, library), n in counts.items():
        if kind in pages:
            by_phase[phase][library] += n
    for phase in PHASE_ORDER + sorted(set(by_phase) - set(PHASE_ORDER)):
        row = by_phase.get(phase)
        if not row:
            continue
        share = sum(row.values()) / total
        print(f"  {phase:<26}" + "".join(f"{row[c] / total * 100:>10.1f}%" for c in COLUMNS)
              + f"{share * 100:>8.1f}%{share * page_ms:>7.2f}")
    columns = Counter()
    for row in by_phase.values():
        columns.update(row)
    print(f"  {'total':<26}" + "".join(f"{columns[c] / total * 100:>10.1f}%" for c in COLUMNS) + f"{100:>8.1f}%{page_ms:>7.2f}")
    per_kind = Counter()
    for (kind, _p, _l), n in counts.items():
        per_kind[kind] += n
    buffer = io.StringIO()
    for kind in pages:
        rows = Counter()
        for (k, phase, _library), n in counts.items():
            if k == kind:
                rows[phase] += n
        top = ", ".join(f"{phase} {n / per_kind[kind]:.0%}" for phase, n in rows.most_common(4))
        buffer.write(f"  {kind:<12} {top}\n")
    print("by page (share of its own time):\n" + buffer.getvalue(), end="")
