"""Certificates: the chair's page per call (settings, issuing, the build and
its progress, the zip of all), the download of one certificate by its
organisation's members, and the public verification page ``/verify/<serial>``."""
from functools import partial

from flask import Blueprint, abort, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from app.audit.services import record
from app.calls.services import current_call, list_calls, phases_joined
from app.certificates import services
from app.certificates.forms import CertificateSettingsForm
from app.db import db, utcnow
from app.enums import Role
from app.errors import UploadTooLarge
from app.extensions import limiter
from app.forms import ActionForm
from app.models import Call, Certificate
from app.permissions import can_download_certificate, can_manage_certificates, require, roles_required
from app.programme.lists import official_run
from app.spreadsheets import filename
from app.web import error_message, query_id, read_upload, send_blob, write, write_during_read

bp = Blueprint("certificates", __name__, url_prefix="/certificates")
public_bp = Blueprint("certificates_public", __name__)

#: Each look-up is one query; per address, like the other public look-ups.
VERIFY_LIMIT = "120 per hour"
#: The seal image is checked and re-encoded; a few megabytes is plenty.
SEAL_MAX_BYTES = 5 * 1024 * 1024


@bp.before_request
@roles_required(Role.CHAIR)
def _chair_only():
    """Every page here is the chair's."""
    require(can_manage_certificates(current_user))


def _pick_call(calls: list[Call]) -> Call | None:
    """The call asked for, else the newest with an official list, else the current one."""
    call_id = query_id("call")
    chosen = next((call for call in calls if call.id == call_id), None)
    if chosen is not None:
        return chosen
    listed = next((call for call in calls if official_run(db.session, call_id=call.id) is not None), None)
    return listed or current_call(db.session, now=utcnow()) or (calls[0] if calls else None)


def build_status(build) -> dict:
    """The build's state for the page and its JSON (progress in percent)."""
    if build is None:
        return {"status": None}
    percent = round(100 * build.done / build.total) if build.total else (100 if build.status == "done" else 0)
    return {"status": build.status, "done": build.done, "total": build.total, "percent": percent,
            "error": build.error or "", "active": build.status in services.ACTIVE}


def _render(call: Call | None, calls: list[Call], form: CertificateSettingsForm | None = None, status: int = 200):
    if call is not None and form is None:
        form = CertificateSettingsForm(data={"issuer": call.certificate_issuer})
    build = services.latest_build(db.session, call=call) if call else None
    return render_template(
        "certificates/index.html", call=call, calls=calls, form=form,
        run=official_run(db.session, call_id=call.id) if call else None,
        certificates=services.call_certificates(db.session, call=call) if call else [],
        build=build, progress=build_status(build), zip_build=services.last_zip(db.session, call=call) if call else None,
    ), status


@bp.route("/")
def index():
    calls = list_calls(db.session)
    return _render(_pick_call(calls), calls)


@bp.route("/calls/<int:call_id>/settings", methods=["POST"])
def settings(call_id: int):
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    calls = list_calls(db.session)
    try:
        form = CertificateSettingsForm()
        valid = form.validate_on_submit()
        upload = read_upload(form.seal.name, limit=SEAL_MAX_BYTES) if valid else None
    except (RequestEntityTooLarge, UploadTooLarge):
        form = CertificateSettingsForm(formdata=None, data={"issuer": call.certificate_issuer})
        form.seal.errors = [error_message(UploadTooLarge(SEAL_MAX_BYTES))]
        return _render(call, calls, form, status=413)
    if not valid:
        return _render(call, calls, form, status=400)
    with write(success=_("The certificate settings are saved."), form=form.seal) as attempt:
        services.update_settings(db.session, call=call, actor=current_user, issuer=form.issuer.data,
                                 seal=upload[0] if upload else None, remove_seal=bool(form.remove_seal.data))
    if not attempt.ok:
        return _render(call, calls, form, status=attempt.status)
    return redirect(url_for("certificates.index", call=call.id))


@bp.route("/calls/<int:call_id>/issue", methods=["POST"])
def issue(call_id: int):
    """Issue (or issue again) the certificates of the official list, and build them."""
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    if not ActionForm().validate_on_submit():
        abort(400)
    with write(success=_("The certificates are issued and being built; this page shows the progress.")):
        now = utcnow()
        services.issue(db.session, call=call, actor=current_user, now=now)
        build = services.start_build(db.session, call=call, actor=current_user, now=now)
        db.after_commit(partial(services.enqueue, build.id))
    return redirect(url_for("certificates.index", call=call.id))


@bp.route("/calls/<int:call_id>/status")
def status(call_id: int):
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    response = jsonify(build_status(services.latest_build(db.session, call=call)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/calls/<int:call_id>/seal")
def seal(call_id: int):
    """The call's seal image, for the chair's page."""
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    if not call.certificate_seal_key:
        abort(404)
    mimetype = "image/png" if call.certificate_seal_key.endswith(".png") else "image/jpeg"
    return send_blob(call.certificate_seal_key, mimetype=mimetype)


@bp.route("/calls/<int:call_id>/all.zip")
def download_zip(call_id: int):
    """The zip of all the call's certificates, from its newest finished build."""
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    build = services.last_zip(db.session, call=call)
    if build is None:
        abort(404)
    with write_during_read(quiet=True):
        record(db.session, actor=current_user, action="certificates.downloaded", obj=build,
               after={"call_id": call.id, "format": "zip"})
    return send_blob(build.zip_key, mimetype="application/zip", as_attachment=True,
                     download_name=filename(call.name, _("certificates"), extension="zip"))


@public_bp.route("/certificate/<int:certificate_id>.pdf")
@login_required
def download(certificate_id: int):
    """One certificate's PDF: for the members of its organisation (and chairs)."""
    certificate = db.get_or_404(Certificate, certificate_id)
    require(can_download_certificate(current_user, certificate))
    if certificate.file_key is None or not (certificate.valid or can_manage_certificates(current_user)):
        abort(404)  # a revoked certificate is no longer handed out; its page says why
    with write_during_read(quiet=True):
        record(db.session, actor=current_user, action="certificate.downloaded", obj=certificate,
               after={"serial": certificate.serial})
    return send_blob(certificate.file_key, mimetype="application/pdf", as_attachment=True,
                     download_name=f"certificate-{certificate.serial}.pdf")


@public_bp.route("/verify/<serial>")
@limiter.limit(lambda: VERIFY_LIMIT)
def verify(serial: str):
    """A certificate's public data and status, by its serial (no login); 404 "not found" for a wrong one."""
    certificate = services.by_serial(db.session, serial)
    if certificate is None:
        return render_template("certificates/verify.html", certificate=None, serial=serial[:40]), 404
    return render_template("certificates/verify.html", certificate=certificate)
