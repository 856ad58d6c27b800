"""Brochure builds: starting one (page and service), running the job, the
progress the page polls, failures that keep the last good brochure, the
download, who may do it, and ``flask brochure build``.

The builder itself is replaced by a stand-in that writes a small real PDF
and reports progress like the real one: these tests are about the build's
life cycle, not the brochure's pages.
"""
import io
import sys
import types
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from flask_babel import force_locale
from pypdf import PdfReader
from sqlmodel import select

from app.brochure import builds, worker
from app.brochure.files import file_path
from app.brochure.options import BuildOptions
from app.db import utcnow
from app.enums import BrochureStatus, Domain, EntryStatus, Phase, Role
from app.errors import DomainError
from app.models import AuditEvent, Brochure, ResultEntry, ResultRun
from app.pdf.render import CSS_FOLDER, render_pdf
from tests.factories import jpeg_bytes

CHAPTERS = ["智能制造", "智慧医疗", "城市索引"]
_PDF: dict[str, bytes] = {}


def _small_pdf() -> bytes:
    """A real one-page PDF (rendered once per run of the suite)."""
    if "pdf" not in _PDF:
        html = '<!doctype html><html lang="zh-CN"><body><p>人工智能应用示范场景案例集</p></body></html>'
        _PDF["pdf"] = render_pdf(html, base_url=CSS_FOLDER.as_uri() + "/", stylesheets=[], allowed_roots=[CSS_FOLDER])
    return _PDF["pdf"]


class FakeBuilder:
    """Stands in for ``app.brochure.builder.build_brochure``: reports progress
    (and reads back what the page would see after each report), then writes
    the PDF, or raises ``fail``."""

    def __init__(self, app):
        self.app = app
        self.fail: BaseException | None = None
        self.calls: list[BuildOptions] = []
        self.seen: list[dict] = []  # the row's progress, read in another session after each report

    def _committed_progress(self, brochure_id: int | None) -> dict | None:
        if brochure_id is None:  # the command line: no row
            return None
        other = self.app.extensions["db"].sessionmaker()
        try:
            return other.get(Brochure, brochure_id).progress
        finally:
            other.close()

    def __call__(self, options, *, out_path, progress=None):
        self.calls.append(options)
        name = Path(out_path).name
        brochure_id = int(name.split("-")[1]) if name.startswith("brochure-") else None
        total = len(CHAPTERS)
        progress("cached", 0, total)
        self.seen.append(self._committed_progress(brochure_id))
        for done, title in enumerate(CHAPTERS, start=1):
            progress(title, done, total)
            self.seen.append(self._committed_progress(brochure_id))
            if self.fail is not None and done == 2:
                raise self.fail
        progress("merging", total, total)
        Path(out_path).write_bytes(_small_pdf())
        progress("done", total, total)
        return types.SimpleNamespace(path=Path(out_path), pages=1, size=Path(out_path).stat().st_size,
                                     input_hash="ab" * 32, cached=False, rendered=total, seconds=0.1)


@pytest.fixture(autouse=True)
def _folders(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "BROCHURE_FOLDER", str(tmp_path / "brochures"))
    monkeypatch.setitem(app.config, "BROCHURE_CACHE_FOLDER", str(tmp_path / "brochure-cache"))
    monkeypatch.setattr(worker, "PROGRESS_INTERVAL", 0)


@pytest.fixture
def builder(app, monkeypatch):
    fake = FakeBuilder(app)
    try:
        from app.brochure import builder as module
    except ImportError:  # its parts are still being written: a stand-in module
        import app.brochure as package

        module = types.ModuleType("app.brochure.builder")
        monkeypatch.setitem(sys.modules, "app.brochure.builder", module)
        monkeypatch.setattr(package, "builder", module, raising=False)
    monkeypatch.setattr(module, "build_brochure", fake, raising=False)
    return fake


@pytest.fixture
def queued(monkeypatch):
    """The job queue replaced by a list: builds stay queued until a test runs them."""
    from app.brochure import tasks

    ids: list[int] = []
    monkeypatch.setattr(tasks, "enqueue_build", ids.append)
    return ids


def _published(make, session, *, call=None, count=3, selected=2):
    """A call with ``count`` scored entries and a published snapshot selecting the first ``selected``."""
    call = call or make.call(open_phase=Phase.PUBLICATION, name="2025年人工智能应用场景征集", year=2025)
    domains = [Domain.MANUFACTURING, Domain.HEALTHCARE]
    entries = [make.entry(call=call, status=EntryStatus.SELECTED if i < selected else EntryStatus.NOT_SELECTED,
                          photos=0, domain=domains[i % 2]) for i in range(count)]
    run = ResultRun(call_id=call.id, method="mean", inputs_hash="0" * 64, published_at=utcnow(),
                    content_hash="1" * 64, public_scores=True, summary={"selection": {"selected": selected}})
    session.add(run)
    session.flush()
    for rank, entry in enumerate(entries, start=1):
        score = 90.0 - rank
        session.add(ResultEntry(
            run_id=run.id, entry_id=entry.id, title=entry.title, organisation_id=entry.organisation_id,
            organisation_name="测试单位", domain=entry.domain, city_code=entry.city_code, score=score, sheets=3,
            assigned=3, raw_mean=score, raw_median=score, raw_min=score, raw_max=score, raw_range=0.0, rank=rank,
            domain_rank=rank, city_rank=rank, rank_lo=rank, rank_hi=rank, selected=rank <= selected,
        ))
    session.commit()
    return call, run, entries


def _form(run=None, **fields):
    return {"snapshot": str(run.id) if run else "", "entries": "", "order": "domain", "profile": "screen",
            "title": "2025年人工智能应用示范场景案例集", "subtitle": "广东省", "year": "2025",
            "foreword": "序言。", "back_text": "封底。"} | fields


def _options(call, **fields):
    return BuildOptions(**({"call_id": call.id, "title": "案例集", "year": call.year} | fields))


@contextmanager
def _english(app):
    """A request in English (the messages the tests match are the English msgids)."""
    with app.test_request_context(), force_locale("en"):
        yield


def _start(app, session, call, **fields):
    with app.test_request_context():
        brochure = builds.start_build(session, call=call, options=_options(call, **fields), actor=None, now=utcnow())
        session.commit()
    return brochure


def _path(app, brochure):
    with app.app_context():
        return file_path(brochure)


def _last_good(app, session, call):
    with app.app_context():
        return builds.last_good(session, call=call)


def _run(app, session, brochure_id):
    with app.app_context():
        worker.run_build(brochure_id)
    session.expire_all()
    return session.get(Brochure, brochure_id)


# --- the life of a build --------------------------------------------------------------


def test_start_queues_then_the_job_builds_the_file_and_reports_progress(app, make, session, client, login, builder,
                                                                       queued):
    call, run, _entries = _published(make, session)
    user = login(make.staff(Role.PUBLICITY))

    response = client.post(f"/brochure/calls/{call.id}/build", data=_form(run))

    assert response.status_code == 302 and response.headers["Location"] == f"/brochure/?call={call.id}"
    brochure = session.exec(select(Brochure).where(Brochure.call_id == call.id)).one()
    assert brochure.status == BrochureStatus.QUEUED and queued == [brochure.id]  # enqueued after the commit
    assert brochure.snapshot_id == run.id and brochure.created_by_id == user.id
    assert brochure.options["title"] == "2025年人工智能应用示范场景案例集" and brochure.options["entry_ids"] is None
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "brochure.started")).one()
    assert (event.object_type, event.object_id, event.actor_id) == ("brochures", brochure.id, user.id)
    assert client.get(f"/brochure/calls/{call.id}/status").get_json()["status"] == "queued"

    brochure = _run(app, session, brochure.id)

    assert brochure.status == BrochureStatus.DONE and brochure.error is None
    assert (brochure.pages, brochure.input_hash) == (1, "ab" * 32)
    path = _path(app, brochure)
    assert path is not None and path.read_bytes() == _small_pdf() and brochure.size_bytes == len(_small_pdf())
    assert path.is_relative_to(Path(app.config["BROCHURE_FOLDER"]))
    assert brochure.started_at <= brochure.finished_at
    assert brochure.progress["finished"] == CHAPTERS and brochure.progress["cached"] is False
    # Each report was committed at once, where the page polls it.
    assert [(seen["step"], seen["done"], seen["total"]) for seen in builder.seen] == [
        ("cached", 0, 3), ("智能制造", 1, 3), ("智慧医疗", 2, 3), ("城市索引", 3, 3)]
    assert builder.seen[2]["finished"] == ["智能制造", "智慧医疗"]
    assert builder.calls[0].snapshot_id == run.id and builder.calls[0].profile == "screen"
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.object_type == "brochures")).all()
    assert actions == ["brochure.started", "brochure.built"]


def test_the_real_queue_runs_the_build_at_once_in_testing(app, make, session, client, login, builder):
    call, run, _entries = _published(make, session)
    login(make.chair())
    client.post(f"/brochure/calls/{call.id}/build", data=_form(run, profile="print"))
    brochure = session.exec(select(Brochure).where(Brochure.call_id == call.id)).one()
    session.refresh(brochure)
    assert brochure.status == BrochureStatus.DONE and brochure.file_key.endswith("-print.pdf")
    assert builder.calls[0].profile == "print"


def test_a_failed_build_says_why_and_keeps_the_previous_brochure(app, make, session, client, login, builder, queued):
    call, _snapshot, _entries = _published(make, session)
    good = _run(app, session, _start(app, session, call).id)
    assert good.status == BrochureStatus.DONE

    builder.fail = OSError(28, "No space left on device")
    failed = _run(app, session, _start(app, session, call).id)

    assert failed.status == BrochureStatus.FAILED and failed.finished_at is not None
    assert "No space left on device" in failed.error and failed.file_key is None
    assert not list(Path(app.config["BROCHURE_FOLDER"]).glob(f"call-{call.id}/brochure-{failed.id}-*"))
    assert _last_good(app, session, call).id == good.id and _path(app, good) is not None
    login(make.staff(Role.PUBLICITY))
    state = client.get(f"/brochure/calls/{call.id}/status").get_json()
    assert (state["id"], state["status"], state["active"]) == (failed.id, "failed", False)
    assert state["error"] == failed.error and state["download"]["id"] == good.id
    with client.get(state["download"]["url"]) as download:
        assert download.status_code == 200 and download.data == _small_pdf()
    page = client.get(f"/brochure/?call={call.id}").get_data(as_text=True)
    assert "No space left on device" in page


def test_a_refusal_of_the_builder_is_shown_as_it_is(app, make, session, builder, queued):
    call, _snapshot, _entries = _published(make, session)
    builder.fail = DomainError("没有可印制的场景。")
    failed = _run(app, session, _start(app, session, call).id)
    assert (failed.status, failed.error) == (BrochureStatus.FAILED, "没有可印制的场景。")
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "brochure.failed")).one()
    assert event.object_id == failed.id and event.after["error"] == "没有可印制的场景。"


def test_an_interrupted_build_ends_failed_and_the_interruption_goes_on(app, make, session, builder, queued):
    call, _snapshot, _entries = _published(make, session)
    brochure = _start(app, session, call)
    builder.fail = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        _run(app, session, brochure.id)
    session.expire_all()
    row = session.get(Brochure, brochure.id)
    assert row.status == BrochureStatus.FAILED and row.error and row.finished_at is not None
    assert session.exec(select(AuditEvent.object_id).where(AuditEvent.action == "brochure.failed")).all() == [row.id]


def test_a_build_runs_once(app, make, session, builder, queued):
    call, _snapshot, _entries = _published(make, session)
    brochure = _start(app, session, call)
    _run(app, session, brochure.id)
    _run(app, session, brochure.id)  # a retry, or a second worker: nothing happens
    assert len(builder.calls) == 1


def test_a_newer_build_of_the_same_profile_replaces_the_older_file(app, make, session, builder, queued):
    call, _snapshot, _entries = _published(make, session)
    first = _run(app, session, _start(app, session, call).id)
    printed = _run(app, session, _start(app, session, call, profile="print").id)
    old_path = _path(app, first)
    second = _run(app, session, _start(app, session, call).id)
    session.refresh(first)
    assert first.file_key is None and not old_path.exists()
    assert _path(app, printed) is not None and _path(app, second) is not None
    assert _last_good(app, session, call).id == second.id
    _path(app, second).unlink()  # a file lost on disk: the last good one is the newest still there
    assert _last_good(app, session, call).id == printed.id


# --- what may start ------------------------------------------------------------------------


def test_a_second_build_is_refused_while_one_is_queued(app, make, session, client, login, builder, queued):
    call, run, _entries = _published(make, session)
    first = _start(app, session, call)
    with _english(app), pytest.raises(DomainError, match="already being built"):
        builds.start_build(session, call=call, options=_options(call), actor=None, now=utcnow())
    session.rollback()

    login(make.staff(Role.PUBLICITY))
    client.set_cookie("lang", "en")
    page = client.post(f"/brochure/calls/{call.id}/build", data=_form(run))
    assert page.status_code == 200 and "already being built" in page.get_data(as_text=True)
    assert session.exec(select(Brochure.id).where(Brochure.call_id == call.id)).all() == [first.id]
    assert queued == []


def test_a_build_silent_for_too_long_no_longer_blocks(app, make, session, builder, queued):
    call, _snapshot, _entries = _published(make, session)
    stuck = _start(app, session, call)
    stuck.status = BrochureStatus.RUNNING
    stuck.heartbeat_at = utcnow() - worker.STALE_AFTER - timedelta(minutes=1)
    session.add(stuck)
    session.commit()
    fresh = _start(app, session, call)
    session.refresh(stuck)
    assert stuck.status == BrochureStatus.FAILED and stuck.error and fresh.status == BrochureStatus.QUEUED


def test_without_a_published_snapshot_only_hand_picked_entries_can_be_printed(app, make, session, queued):
    call = make.call(open_phase=Phase.RESULTS)
    eligible = make.entry(call=call, status=EntryStatus.SCORED, photos=0)
    draft = make.entry(call=call, status=EntryStatus.DRAFT, photos=0)
    other = make.entry(status=EntryStatus.SCORED, photos=0)
    with _english(app), pytest.raises(DomainError, match="no published results"):
        builds.start_build(session, call=call, options=_options(call), actor=None, now=utcnow())
    session.rollback()
    for ids in ([eligible.id, draft.id], [other.id]):
        with _english(app), pytest.raises(DomainError, match="passed the formal check"):
            builds.start_build(session, call=call, options=_options(call, entry_ids=tuple(ids)), actor=None,
                                now=utcnow())
        session.rollback()
    brochure = _start(app, session, call, entry_ids=(eligible.id,))
    assert brochure.snapshot_id is None and brochure.options["entry_ids"] == [eligible.id]


def test_hand_picked_entries_come_from_the_snapshot_selection(app, make, session, client, login, queued, english):
    call, run, entries = _published(make, session, count=3, selected=2)
    with _english(app), pytest.raises(DomainError, match=f"#{entries[2].id}"):
        builds.start_build(session, call=call, options=_options(call, entry_ids=(entries[0].id, entries[2].id)),
                            actor=None, now=utcnow())
    session.rollback()
    with _english(app), pytest.raises(DomainError, match="published results snapshot"):
        builds.start_build(session, call=call, options=_options(call, snapshot_id=run.id + 1000), actor=None,
                            now=utcnow())
    session.rollback()

    login(make.staff(Role.PUBLICITY))
    page = client.post(f"/brochure/calls/{call.id}/build", data=_form(run, entries="12x"))
    assert page.status_code == 200 and "“12x” is not an entry number." in page.get_data(as_text=True)
    response = client.post(f"/brochure/calls/{call.id}/build",
                           data=_form(run, entries=f"#{entries[1].id}，{entries[0].id}"))
    assert response.status_code == 302
    brochure = session.exec(select(Brochure).where(Brochure.call_id == call.id)).one()
    assert brochure.options["entry_ids"] == [entries[1].id, entries[0].id] and brochure.snapshot_id == run.id


def test_a_cover_image_is_checked_and_stored_and_kept_for_the_next_build(app, make, session, client, login, queued,
                                                                          english, builder, runner):
    call, run, _entries = _published(make, session)
    login(make.staff(Role.PUBLICITY))
    bad = client.post(f"/brochure/calls/{call.id}/build",
                      data=_form(run) | {"cover": (io.BytesIO(b"not an image"), "cover.jpg")},
                      content_type="multipart/form-data")
    assert bad.status_code == 200 and "not a JPEG, PNG or WebP image" in bad.get_data(as_text=True)
    assert session.exec(select(Brochure)).all() == []

    client.post(f"/brochure/calls/{call.id}/build", data=_form(run) | {"cover": (io.BytesIO(jpeg_bytes()), "c.png")},
                content_type="multipart/form-data")
    first = session.exec(select(Brochure).where(Brochure.call_id == call.id)).one()
    key = first.options["cover_key"]
    with app.app_context():
        from app.storage import storage

        assert storage().exists(key) and key.endswith(".jpg")
        assert key in builds.brochure_blobs(session)
    _run(app, session, first.id)
    client.post(f"/brochure/calls/{call.id}/build", data=_form(run))
    second = session.exec(select(Brochure).where(Brochure.call_id == call.id).order_by(Brochure.id.desc())).first()
    assert second.id != first.id and second.options["cover_key"] == key
    _run(app, session, second.id)
    client.post(f"/brochure/calls/{call.id}/build", data=_form(run, remove_cover="y"))
    third = session.exec(select(Brochure).where(Brochure.call_id == call.id).order_by(Brochure.id.desc())).first()
    assert third.options["cover_key"] is None
    # The daily sweep of unused files keeps the cover earlier builds used.
    assert runner.invoke(args=["storage", "prune", "--older-than-hours", "0"]).exit_code == 0
    with app.app_context():
        assert storage().exists(key)


def test_a_cover_over_the_size_limit_is_refused_on_the_form(app, make, session, client, login, queued, english,
                                                             monkeypatch):
    call, run, _entries = _published(make, session)
    login(make.staff(Role.PUBLICITY))
    # A small limit: a test body over 500 kB would go through a temporary file werkzeug's client never closes.
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 100_000)
    page = client.post(f"/brochure/calls/{call.id}/build",
                       data=_form(run, title="我的宣传册") | {"cover": (io.BytesIO(b"\xff" * 100_001), "c.jpg")},
                       content_type="multipart/form-data")
    text = page.get_data(as_text=True)
    # The form comes back with the message beside the cover and what was typed kept.
    assert page.status_code == 200 and "The file is larger than" in text and "我的宣传册" in text
    assert session.exec(select(Brochure)).all() == [] and queued == []


# --- the page, the status, the download, who may --------------------------------------------


def test_publicity_and_chairs_may_experts_applicants_and_strangers_may_not(app, make, session, client, login):
    call, _snapshot, _entries = _published(make, session)
    urls = ["/brochure/", f"/brochure/calls/{call.id}/status", f"/brochure/calls/{call.id}/download"]
    anonymous = client.get(urls[0])
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]
    for user, expected in [(make.staff(Role.PUBLICITY), 200), (make.chair(), 200), (make.staff(Role.EXPERT), 403),
                           (make.applicant(), 403)]:
        login(user)
        assert client.get(urls[0]).status_code == expected, user.roles
        assert client.get(urls[1]).status_code == expected
        assert client.get(urls[2]).status_code == (404 if expected == 200 else 403)  # nothing built yet
        assert client.post(f"/brochure/calls/{call.id}/build", data=_form()).status_code in (
            (200, 302) if expected == 200 else (403,))
        client.post("/account/logout")


def test_the_page_offers_the_call_defaults_and_the_navigation_links_it(app, make, session, client, login, english):
    call, run, _entries = _published(make, session)
    login(make.staff(Role.PUBLICITY))
    page = client.get(f"/brochure/?call={call.id}").get_data(as_text=True)
    assert 'href="/brochure/"' in page  # the navigation
    with app.test_request_context():
        title = builds.default_title(call)
    assert f'value="{title}"' in page and 'value="2025"' in page and f'value="{call.name}"' in page
    assert f'<option selected value="{run.id}">' in page or f'value="{run.id}" selected' in page
    assert f'data-status-url="/brochure/calls/{call.id}/status"' in page
    assert "<script>" not in page and "js/brochure.js" in page
    assert "No brochure has been built for this call yet." in page


def test_starting_needs_a_csrf_token(app, make, session, client, csrf, queued):
    call, run, _entries = _published(make, session)
    user = make.staff(Role.PUBLICITY)
    page = client.get("/account/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/account/login", data={"email": user.email, "password": "correct-horse-battery", "csrf_token": token})
    assert client.post(f"/brochure/calls/{call.id}/build", data=_form(run)).status_code == 400
    assert session.exec(select(Brochure)).all() == [] and queued == []
    page = client.get(f"/brochure/?call={call.id}").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post(f"/brochure/calls/{call.id}/build", data=_form(run, csrf_token=token)).status_code == 302
    assert len(queued) == 1


def test_status_json_shape_while_running_and_when_done(app, make, session, client, login, builder, queued, english):
    call, _snapshot, _entries = _published(make, session)
    login(make.staff(Role.PUBLICITY))
    assert client.get(f"/brochure/calls/{call.id}/status").get_json() == {
        "call_id": call.id, "id": None, "status": None, "status_label": "", "active": False,
        "progress": {"step": None, "line": "", "done": 0, "total": 0, "percent": 0, "finished": []},
        "error": None, "pages": None, "size_bytes": None, "file_url": None, "download": None,
    }
    brochure = _start(app, session, call)
    brochure.status = BrochureStatus.RUNNING
    brochure.progress = {"step": "智能制造", "done": 1, "total": 4, "finished": ["智能制造"]}
    session.add(brochure)
    session.commit()
    response = client.get(f"/brochure/calls/{call.id}/status")
    assert response.headers["Cache-Control"] == "no-store"
    state = response.get_json()
    assert (state["id"], state["status"], state["status_label"], state["active"]) == (brochure.id, "running",
                                                                                       "Building", True)
    assert state["progress"] == {"step": "智能制造", "line": "Finished “智能制造” (1 of 4 parts).", "done": 1,
                                 "total": 4, "percent": 25, "finished": ["智能制造"]}
    assert state["download"] is None and state["file_url"] is None

    brochure.status = BrochureStatus.QUEUED
    session.add(brochure)
    session.commit()
    done = _run(app, session, brochure.id)
    state = client.get(f"/brochure/calls/{call.id}/status").get_json()
    assert (state["status"], state["active"], state["pages"], state["progress"]["percent"]) == ("done", False, 1, 100)
    assert state["download"]["url"] == f"/brochure/calls/{call.id}/download" and state["download"]["id"] == done.id
    assert state["download"]["name"] == "案例集.pdf" and state["download"]["pages"] == 1
    assert state["file_url"] == f"/brochure/calls/{call.id}/builds/{done.id}/download"


def test_download_sends_the_pdf_with_a_chinese_name_and_only_through_its_call(app, make, session, client, login,
                                                                               builder, queued):
    call, _snapshot, _entries = _published(make, session)
    other, _other_run, _ = _published(make, session, call=make.call(open_phase=Phase.PUBLICATION))
    brochure = _run(app, session, _start(app, session, call, title="2025年人工智能应用示范场景案例集",
                                         profile="print").id)
    login(make.staff(Role.PUBLICITY))
    with client.get(f"/brochure/calls/{call.id}/download") as response:
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert len(PdfReader(io.BytesIO(response.data)).pages) == 1
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]).startswith("2025年人工智能应用示范场景案例集-")
    assert response.headers["Cache-Control"].startswith("private")
    with client.get(f"/brochure/calls/{call.id}/builds/{brochure.id}/download") as response:
        assert response.status_code == 200 and response.data == _small_pdf()
    assert client.get(f"/brochure/calls/{other.id}/builds/{brochure.id}/download").status_code == 404
    assert client.get(f"/brochure/calls/{other.id}/download").status_code == 404


# --- the command line --------------------------------------------------------------------------


def test_cli_without_a_published_snapshot_is_a_clear_error(app, make, session, runner, tmp_path, builder):
    call = make.call(open_phase=Phase.RESULTS)
    result = runner.invoke(args=["brochure", "build", "--call", str(call.id), "--out", str(tmp_path / "b.pdf")])
    assert result.exit_code == 1
    assert f"Call {call.id}" in result.output and "no published results snapshot" in result.output
    assert builder.calls == [] and not (tmp_path / "b.pdf").exists()
    result = runner.invoke(args=["brochure", "build", "--call", "999999", "--out", str(tmp_path / "b.pdf")])
    assert result.exit_code == 1 and "no call with id 999999" in result.output


def test_cli_builds_the_latest_snapshot_into_the_file(app, make, session, runner, tmp_path, builder):
    call, run, _entries = _published(make, session)
    out = tmp_path / "brochure.pdf"
    result = runner.invoke(args=["brochure", "build", "--call", str(call.id), "--out", str(out), "--profile", "print"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == _small_pdf()
    assert f"Wrote {out}: 1 page, " in result.output and " MB in " in result.output
    options = builder.calls[0]
    assert (options.call_id, options.snapshot_id, options.profile, options.year) == (call.id, run.id, "print", 2025)
    assert session.exec(select(Brochure)).all() == []  # the command line keeps no build row
    bad = runner.invoke(args=["brochure", "build", "--call", str(call.id), "--out", str(out), "--snapshot",
                              str(run.id + 1000)])
    assert bad.exit_code == 1 and "not a published results snapshot" in bad.output
