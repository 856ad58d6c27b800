"""The public side of results (no login): checking a snapshot document or a
hash at ``/results/verify``, and each published snapshot's public document.

A blueprint of its own: the results blueprint is staff-only for every route
it serves. Nothing here shows more than a published snapshot's public
document holds.
"""
from flask import Blueprint, abort, render_template, request

from app.db import db
from app.errors import UploadTooLarge
from app.extensions import limiter
from app.models import ResultRun
from app.results.forms import VerifyForm
from app.results.publishing import public_document_bytes
from app.results.verification import (
    MAX_DOCUMENT_BYTES,
    TOO_LARGE,
    VERIFY_PATH,
    Verification,
    message,
    verify_document,
    verify_hash,
)
from app.web import read_upload, send_bytes

bp = Blueprint("results_public", __name__)

#: Each check reads and hashes up to MAX_DOCUMENT_BYTES: per address, as
#: the other public forms are limited.
VERIFY_LIMIT = "60 per hour"
#: A published snapshot never changes: browsers and shared caches may keep its document.
DOCUMENT_CACHE = "public, max-age=86400"


@bp.route(VERIFY_PATH, methods=["GET", "POST"])
@limiter.limit(lambda: VERIFY_LIMIT, methods=["POST"])
def verify():
    """Check a pasted or uploaded public document (POST), or a hash (``?hash=``)."""
    form = VerifyForm()
    checked = request.args.get("hash")
    result = None
    if request.method == "POST" and form.validate_on_submit():
        result = _check_document(form)
    elif checked is not None:
        result = verify_hash(db.session, checked)
    return render_template("results/verify.html", form=form, checked=checked or "", result=result,
                           message=message(result) if result else None,
                           max_mb=MAX_DOCUMENT_BYTES // (1024 * 1024))


def _check_document(form: VerifyForm) -> Verification:
    try:
        upload = read_upload(form.upload.name, limit=MAX_DOCUMENT_BYTES)
    except UploadTooLarge:
        return Verification(TOO_LARGE)
    data = upload[0] if upload else (form.document.data or "").encode("utf-8")
    return verify_document(db.session, data)


@bp.route("/results/snapshots/<int:run_id>/public.json")
def public_document(run_id: int):
    """The public document of a published snapshot, as the canonical bytes its
    public hash was taken of; 404 for drafts and for snapshots published
    before public documents existed."""
    run = db.session.get(ResultRun, run_id)
    if run is None or not run.published or run.public_hash is None:
        abort(404)
    return send_bytes(public_document_bytes(db.session, run), mimetype="application/json",
                      download_name=f"results-snapshot-{run.id}-public.json", cache_control=DOCUMENT_CACHE)
