from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
)
from flask_login import current_user, login_required

from app.accounts.memberships import pending_members
from app.certificates.services import organisation_certificates
from app.db import db, utcnow
from app.entries.services import organisation_entries
from app.enums import Membership, Role
from app.forms import ActionForm
from app.main import todos
from app.main.labels import days_left_text, todo_text
from app.ops import health, metrics
from app.review.defence.services import organisation_slots
from app.urls import safe_next

bp = Blueprint("main", __name__)

LANGUAGE_COOKIE = "lang"


@bp.route("/")
def index():
    return render_template("main/index.html")


@bp.route("/favicon.ico")
def favicon():
    """The site's icon where browsers and feed readers look for it without a
    ``<link rel="icon">`` (a PDF viewer, a plain file): no 404 in the log."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=86400)


@bp.route("/healthz")
def healthz():
    """Liveness probe for load balancers: answers without touching the database."""
    return {"status": "ok"}


@bp.route("/readyz")
def readyz():
    """Readiness probe: the database at the migration head, Redis, the job
    queue, a live worker, free disk space (``app/ops/health.py``); 503 when
    one check fails."""
    checks = health.run_checks(current_app._get_current_object())
    ready = all(check.ok for check in checks)
    response = jsonify(status="ok" if ready else "unavailable", checks=[check.as_dict() for check in checks])
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/metrics")
def metrics_endpoint():
    """Prometheus metrics, when ``METRICS_ENABLED``; only for the allowed
    addresses or the bearer token (``app/ops/metrics.py``)."""
    if not current_app.config["METRICS_ENABLED"]:
        abort(404)
    if not metrics.allowed(current_app.config, remote_addr=request.remote_addr,
                           authorization=request.headers.get("Authorization")):
        abort(403)
    response = make_response(metrics.render(current_app._get_current_object()))
    response.headers["Content-Type"] = metrics.CONTENT_TYPE
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/dashboard")
@login_required
def dashboard():
    """What the person must do now, one list per role (``app.main.todos``)."""
    now = utcnow()
    pending, entries, sections, defence_rows, certificates = [], [], [], [], []
    if current_user.is_applicant and current_user.membership == Membership.ACTIVE:
        defence_rows = organisation_slots(db.session, organisation_id=current_user.organisation_id, now=now)
        pending = pending_members(db.session, organisation_id=current_user.organisation_id)
        entries = organisation_entries(db.session, organisation_id=current_user.organisation_id)
        certificates = organisation_certificates(db.session, organisation_id=current_user.organisation_id)
        sections.append((Role.APPLICANT, todos.applicant_todos(db.session, organisation_id=current_user.organisation_id,
                                                                now=now)))
    if current_user.has_role(Role.EXPERT):
        sections.append((Role.EXPERT, todos.expert_todos(db.session, expert=current_user, now=now)))
    if current_user.has_role(Role.CHAIR):
        sections.append((Role.CHAIR, todos.chair_todos(db.session, now=now)))
    if current_user.has_role(Role.PUBLICITY):
        sections.append((Role.PUBLICITY, todos.publicity_todos(db.session)))
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return render_template(
        "main/dashboard.html", pending=pending, entries=entries, sections=sections, todo_text=todo_text,
        defence_rows=defence_rows, certificates=certificates,
        days_left_text=days_left_text, days_until=lambda deadline: todos.days_left(deadline, now=now, zone=zone),
    )


@bp.route("/language", methods=["POST"])
def set_language():
    """Remember the chosen UI language in a cookie (for visitors and users alike)."""
    language = request.form.get("language")
    response = make_response(redirect(safe_next("main.index")))
    if ActionForm().validate_on_submit() and language in current_app.config["LANGUAGES"]:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def select_locale() -> str:
    """The cookie's language, else the default (Simplified Chinese)."""
    language = request.cookies.get(LANGUAGE_COOKIE)
    if language in current_app.config["LANGUAGES"]:
        return language
    return current_app.config["BABEL_DEFAULT_LOCALE"]
