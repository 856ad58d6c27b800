"""The brochure page: publicity staff and chairs choose what goes into a
call's PDF brochure, start a build (it runs in the background worker), watch
its progress, and download the last good brochure.

A build and its file are reached only through their call's URLs.
"""
from functools import partial

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    url_for,
)
from flask_babel import format_datetime, format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from app.audit.services import record
from app.brochure import builds
from app.brochure.files import file_path
from app.brochure.forms import BrochureForm
from app.calls.services import current_call, list_calls
from app.db import db, utcnow
from app.entries.images import process_photo
from app.enums import BrochureStatus, Role
from app.errors import DomainError, UploadTooLarge
from app.models import Call, ResultRun
from app.models.brochures import Brochure
from app.ops import health
from app.permissions import can_build_brochure, require, roles_required
from app.results.publishing import published_runs
from app.spreadsheets import filename
from app.storage import storage
from app.web import error_message, query_id, read_upload, send_path, write, write_during_read

bp = Blueprint("brochure", __name__, url_prefix="/brochure")


@bp.before_request
@roles_required(Role.CHAIR, Role.PUBLICITY)
def _staff_only():
    require(can_build_brochure(current_user))


# --- presentation helpers ---------------------------------------------------------


def _megabytes(size: int | None) -> str:
    return "" if size is None else _("%(size)s MB", size=format_decimal(size / 1_000_000, format="#,##0.0"))


def progress_line(brochure: Brochure | None) -> str:
    """One sentence on where a build stands (the page shows it under the bar)."""
    if brochure is None:
        return ""
    progress = brochure.progress or {}
    done, total = progress.get("done", 0), progress.get("total", 0)
    if brochure.status == BrochureStatus.QUEUED:
        return _("Waiting for the worker to start the build.")
    if brochure.status == BrochureStatus.DONE:
        return ngettext("Ready: %(num)s page, %(size)s.", "Ready: %(num)s pages, %(size)s.", brochure.pages or 0,
                        size=_megabytes(brochure.size_bytes))
    if brochure.status == BrochureStatus.FAILED:
        return _("The build failed.")
    step = progress.get("step", "starting")
    if step == "starting":
        return _("Reading the snapshot and planning the pages…")
    if step == "cached":
        return _("%(done)s of %(total)s parts were built before and are reused.", done=done, total=total)
    if step == "merging":
        return _("Putting the parts together: page numbers, contents, bookmarks…")
    if step == "done":
        return _("Finishing…")
    return _("Finished “%(part)s” (%(done)s of %(total)s parts).", part=step, done=done, total=total)


def _percent(brochure: Brochure) -> int:
    if brochure.status == BrochureStatus.DONE:
        return 100
    progress = brochure.progress or {}
    total = progress.get("total") or 0
    return min(100, round(100 * (progress.get("done") or 0) / total)) if total else 0


def _download_name(brochure: Brochure, call: Call) -> str:
    options = brochure.options or {}
    edition = _("print edition") if options.get("profile") == "print" else ""
    return filename(options.get("title") or call.name, edition, extension="pdf")


def status_payload(call: Call) -> dict:
    """The state of the call's newest build and its last good brochure (the page polls it)."""
    build = builds.latest(db.session, call=call)
    good = builds.last_good(db.session, call=call)
    payload = {"call_id": call.id, "id": None, "status": None, "status_label": "", "active": False,
               "progress": {"step": None, "line": "", "done": 0, "total": 0, "percent": 0, "finished": []},
               "error": None, "pages": None, "size_bytes": None, "file_url": None, "download": None}
    if build is not None:
        progress = build.progress or {}
        payload |= {
            "id": build.id,
            "status": build.status.value,
            "status_label": str(build.status.label),
            "active": build.active,
            "progress": {"step": progress.get("step"), "line": progress_line(build), "done": progress.get("done", 0),
                         "total": progress.get("total", 0), "percent": _percent(build),
                         "finished": list(progress.get("finished", []))},
            "error": build.error,
            "pages": build.pages,
            "size_bytes": build.size_bytes,
            "file_url": url_for("brochure.download_build", call_id=call.id, brochure_id=build.id)
            if build.status == BrochureStatus.DONE and build.file_key else None,
        }
    if good is not None:
        payload["download"] = {
            "id": good.id,
            "url": url_for("brochure.download", call_id=call.id),
            "name": _download_name(good, call),
            "pages": good.pages,
            "size_bytes": good.size_bytes,
            "finished_at": good.finished_at.isoformat(),
            "label": ngettext("%(num)s page, %(size)s, built %(when)s", "%(num)s pages, %(size)s, built %(when)s",
                              good.pages or 0, size=_megabytes(good.size_bytes),
                              when=format_datetime(good.finished_at, "short")),
        }
    return payload


# --- the page ---------------------------------------------------------------------------


def _pick_call(calls: list[Call]) -> Call | None:
    """The call asked for, else the newest one with published results, else the current one."""
    call_id = query_id("call")
    chosen = next((call for call in calls if call.id == call_id), None)
    if chosen is not None:
        return chosen
    published = builds.calls_with_published_results(db.session)
    return next((call for call in calls if call.id in published), None) or current_call(db.session, now=utcnow()) or (
        calls[0] if calls else None)


def _snapshot_label(run: ResultRun) -> str:
    return _("Published %(when)s · %(selected)s selected", when=format_datetime(run.published_at, "short"),
             selected=run.summary.get("selection", {}).get("selected", "?"))


def _form(call: Call, snapshots: list[ResultRun]) -> BrochureForm:
    form = BrochureForm()
    form.set_snapshots(snapshots, label=_snapshot_label)
    return form


def _render(call: Call | None, calls: list[Call], form: BrochureForm | None = None):
    context = {"calls": calls, "call": call, "queue_ok": health.check_job_queue(current_app._get_current_object()).ok}
    if call is not None:
        snapshots = published_runs(db.session, call=call)
        previous = builds.latest(db.session, call=call)
        if form is None:
            form = _form(call, snapshots)
            form.fill(builds.default_options(db.session, call=call))
            form.snapshot.data = str(snapshots[0].id) if snapshots else ""  # the latest
        recent = builds.history(db.session, call=call)
        people = builds.creator_names(db.session, builds=recent)
        context |= {
            "form": form,
            "snapshots": snapshots,
            "status": status_payload(call),
            "builds": recent,
            "people": people,
            "has_file": {build.id: file_path(build) is not None for build in recent},
            "previous_cover": bool(previous and (previous.options or {}).get("cover_key")),
            "megabytes": _megabytes,
        }
    return render_template("brochure/manage.html", **context)


@bp.route("/")
def index():
    calls = list_calls(db.session)
    return _render(_pick_call(calls), calls)


def _cover_key(form: BrochureForm, cover: bytes | None, previous: Brochure | None) -> str | None:
    """A new cover (checked and re-encoded, stored as a blob), else the previous build's unless removed."""
    if cover is not None:
        processed = process_photo(cover, max_pixels=current_app.config["MAX_IMAGE_PIXELS"])
        return storage().put(processed.renditions["master"], suffix=".jpg")
    if form.remove_cover.data or previous is None:
        return None
    return (previous.options or {}).get("cover_key")


@bp.route("/calls/<int:call_id>/build", methods=["POST"])
def start(call_id: int):
    call = db.get_or_404(Call, call_id)
    calls = list_calls(db.session)
    try:
        form = _form(call, published_runs(db.session, call=call))
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:  # a body over MAX_CONTENT_LENGTH (without CSRF protection in the way)
        flash(error_message(UploadTooLarge(current_app.config["MAX_UPLOAD_BYTES"])), "danger")
        return redirect(url_for("brochure.index", call=call.id))
    if not valid:
        return _render(call, calls, form)
    try:  # the cover is checked (and stored, shared by content) before the build is recorded
        upload = read_upload(form.cover.name)
        cover_key = _cover_key(form, upload[0] if upload else None, builds.latest(db.session, call=call))
    except DomainError as error:
        form.cover.errors = [*form.cover.errors, error_message(error)]
        return _render(call, calls, form)
    with write(success=_("The brochure is being built; this page shows its progress."), form=form) as attempt:
        brochure = builds.start_build(db.session, call=call, options=form.options(call_id=call.id, cover_key=cover_key),
                                       actor=current_user, now=utcnow())
        db.after_commit(partial(builds.enqueue, brochure.id))
    if not attempt.ok:
        return _render(call, calls, form)
    return redirect(url_for("brochure.index", call=call.id))


@bp.route("/calls/<int:call_id>/status")
def status(call_id: int):
    call = db.get_or_404(Call, call_id)
    response = jsonify(status_payload(call))
    response.headers["Cache-Control"] = "no-store"
    return response


def _send(brochure: Brochure | None, call: Call):
    path = file_path(brochure) if brochure is not None else None
    if path is None:
        abort(404)
    download_name = _download_name(brochure, call)
    with write_during_read(quiet=True):
        record(db.session, actor=current_user, action="brochure.downloaded", obj=brochure,
               after={"format": "pdf", "call_id": brochure.call_id, "profile": (brochure.options or {}).get("profile")})
    # Staff only, and the address serves a newer file after each build:
    # never kept by a shared cache, always revalidated by the browser.
    return send_path(path, mimetype="application/pdf", download_name=download_name, cache_control="private, no-cache")


@bp.route("/calls/<int:call_id>/download")
def download(call_id: int):
    """The call's last good brochure."""
    call = db.get_or_404(Call, call_id)
    return _send(builds.last_good(db.session, call=call), call)


@bp.route("/calls/<int:call_id>/builds/<int:brochure_id>/download")
def download_build(call_id: int, brochure_id: int):
    """One build's file, while it is kept (the newest of each profile)."""
    call = db.get_or_404(Call, call_id)
    brochure = db.get_or_404(Brochure, brochure_id)
    if brochure.call_id != call.id or brochure.status != BrochureStatus.DONE:
        abort(404)
    return _send(brochure, call)
