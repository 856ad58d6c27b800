"""The applicant's entry wizard, the entry page, and the entry's files."""
from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload
from sqlmodel import select

from app.audit.services import object_history, record
from app.calls.services import current_call
from app.db import db, utcnow
from app.entries import blind, services
from app.entries.completeness import STEP_KEYS, STEPS, missing_items
from app.entries.forms import (
    STEP_FORMS,
    AttachmentForm,
    PhotoEditForm,
    PhotoForm,
    initial_data,
)
from app.entries.history import describe_history
from app.entries.states import review_started, transition
from app.enums import EntryStatus, Role
from app.errors import NotAllowed, UploadTooLarge
from app.forms import ActionForm, flash_form_errors
from app.i18n import lazy_gettext as _l
from app.input_rules import parse_id
from app.models import Certificate, Entry, EntryAttachment, EntryPhoto
from app.pdf.entry import entry_pdf, entry_pdf_filename
from app.permissions import (
    can_check_entries,
    can_create_entry,
    can_edit_entry,
    can_view_entry,
    has_role,
    is_active_member,
    require,
)
from app.web import error_message, read_upload, send_blob, send_bytes, write, write_during_read

bp = Blueprint("entries", __name__, url_prefix="/entries")


@bp.before_request
@login_required
def _logged_in():
    """Every page here needs an account."""


def _shown() -> list:
    """The loader options of the entry's pages (the entry page, the wizard,
    the PDF): its call with the phase windows (what may be done now), its
    organisation and its outcomes, photos and attachments."""
    return [services.with_call(), joinedload(Entry.organisation),
            selectinload(Entry.outcomes), selectinload(Entry.photos), selectinload(Entry.attachments)]


def _entry(entry_id: int, *, options=None) -> Entry:
    """Load an entry the current user may see (404 / 403 otherwise), with
    what its pages show (``options``, default :func:`_shown`)."""
    entry = db.get_or_404(Entry, entry_id, options=_shown() if options is None else options)
    require(can_view_entry(current_user, entry))
    return entry


def _version() -> int | None:
    return parse_id(request.form.get("version"))


@bp.route("/")
def index():
    # Pending and declined members see nothing of the organisation.
    require(is_active_member(current_user, current_user.organisation_id))
    entries = services.organisation_entries(db.session, organisation_id=current_user.organisation_id,
                                            options=[selectinload(Entry.call)])  # the list shows each one's call
    call = current_call(db.session, now=utcnow())
    return render_template(
        "entries/index.html",
        entries=entries,
        call=call,
        can_create=call is not None and can_create_entry(current_user, call, now=utcnow()),
    )


@bp.route("/new", methods=["POST"])
def new():
    now = utcnow()
    call = current_call(db.session, now=now)
    if call is None or not ActionForm().validate_on_submit():
        abort(400)
    # A refusal (not a member, submissions closed) is the service's 403 page.
    with write(reraise=(NotAllowed,)):
        entry = services.create_entry(db.session, actor=current_user, call=call, now=now)
    return redirect(url_for("entries.edit", entry_id=entry.id, step="basics"))


@bp.route("/<int:entry_id>")
def detail(entry_id: int):
    entry = _entry(entry_id)
    now = utcnow()
    return render_template(
        "entries/detail.html",
        entry=entry,
        # Chairs decide the formal check here too (formal_check_form(): the formal check's blueprint).
        checkable=can_check_entries(current_user),
        editable=can_edit_entry(current_user, entry, now=now),
        review_started=review_started(entry, now=now),
        history=describe_history(
            object_history(db.session, object_type="entries", object_id=entry.id),
            for_applicant=not has_role(current_user, Role.CHAIR),
        ),
        missing=missing_items(entry),
        steps=STEPS,
        # Built certificates of the entry (app.certificates), for its download links.
        certificates=db.session.exec(select(Certificate).where(
            Certificate.entry_id == entry.id, Certificate.file_key.is_not(None)).order_by(Certificate.id.desc())).all(),
    )


def _next_step(step: str) -> str:
    goto = request.form.get("goto")
    if goto in STEP_KEYS:
        return goto
    index = STEP_KEYS.index(step)
    return STEP_KEYS[min(index + 1, len(STEP_KEYS) - 1)]


def _editable_entry(entry_id: int) -> Entry:
    entry = _entry(entry_id)
    if not can_edit_entry(current_user, entry, now=utcnow()):
        flash(_("This entry cannot be changed now; see its status below."), "warning")
        abort(redirect(url_for("entries.detail", entry_id=entry.id)))
    return entry


@bp.route("/<int:entry_id>/edit/<any(basics, solution, outcomes, media, contacts, review):step>", methods=["GET", "POST"])
def edit(entry_id: int, step: str):
    entry = _editable_entry(entry_id)
    form = None
    if step in STEP_FORMS:
        form_class = STEP_FORMS[step]
        form = form_class() if request.method == "POST" else form_class(data=initial_data(step, entry))
        if form.validate_on_submit():
            with write(stale=services.EditConflict) as attempt:
                _save_step(entry, step, form)
            if attempt.ok:
                return redirect(url_for("entries.edit", entry_id=entry.id, step=_next_step(step)))
        elif request.method == "POST":
            flash(_("Some fields need attention; nothing on this page was saved yet."), "danger")
    return render_template(
        "entries/edit.html",
        entry=entry,
        step=step,
        steps=STEPS,
        form=form,
        missing=missing_items(entry),
        photo_form=PhotoForm(formdata=None, data={"version": entry.version}),
        attachment_form=AttachmentForm(formdata=None, data={"version": entry.version}),
        photo_edit_form=lambda photo: PhotoEditForm(formdata=None, prefix=f"photo{photo.id}", data={"caption": photo.caption, "version": entry.version}),
        # Blind call: where the typed texts name the organisation (attachments are read on submission).
        identity=blind.identity_findings(entry, attachments=False) if step == "review" and entry.call.blind_review else None,
        place_label=blind.place_label,
        kind_label=blind.kind_label,
    )


def _save_step(entry: Entry, step: str, form, *, autosave: bool = False) -> list[str]:
    return services.update_step(
        db.session,
        entry=entry,
        actor=current_user,
        now=utcnow(),
        version=form.version_number(),
        step=step,
        values=form.values(),
        outcomes=form.outcome_rows() if step == "outcomes" else None,
        autosave=autosave,
    )


@bp.route("/<int:entry_id>/autosave/<any(basics, solution, outcomes, contacts):step>", methods=["POST"])
def autosave(entry_id: int, step: str):
    """Save a step in the background (the wizard's script calls it as the user types)."""
    entry = _entry(entry_id)
    form = STEP_FORMS[step]()
    if not form.validate_on_submit():
        return jsonify(ok=False, errors=form.errors), 422
    with write(stale=services.EditConflict, quiet=True) as attempt:
        changed = _save_step(entry, step, form, autosave=True)
    if not attempt.ok:
        return jsonify(ok=False, message=attempt.message), attempt.status
    return jsonify(ok=True, version=entry.version, changed=changed, saved_at=utcnow().isoformat())


def _back_to_media(entry: Entry):
    return redirect(url_for("entries.edit", entry_id=entry.id, step="media"))


def _received_upload(form_class, field_name: str):
    """The validated upload form and the file's bytes and name, or None after
    flashing why not (too large, a form error, no file)."""
    try:
        upload = read_upload(field_name)
    except UploadTooLarge as error:
        flash(error_message(error), "danger")
        return None
    form = form_class()
    valid = form.validate_on_submit()
    if not valid or upload is None:
        flash_form_errors(form)
        return None
    return form, *upload


@bp.route("/<int:entry_id>/photos", methods=["POST"])
def add_photo(entry_id: int):
    entry = _editable_entry(entry_id)
    received = _received_upload(PhotoForm, "photo")
    if received is not None:
        form, data, _filename = received
        with write(success=_("The photo has been added."), stale=services.EditConflict):
            services.add_photo(db.session, entry=entry, actor=current_user, now=utcnow(), version=form.version_number(),
                               data=data, caption=form.caption.data or "")
    return _back_to_media(entry)


@bp.route("/<int:entry_id>/photos/<int:photo_id>", methods=["POST"])
def update_photo(entry_id: int, photo_id: int):
    entry = _editable_entry(entry_id)
    form = PhotoEditForm(prefix=f"photo{photo_id}")
    if form.validate_on_submit():
        with write(success=_("The photo has been updated."), stale=services.EditConflict):
            services.update_photo(db.session, entry=entry, actor=current_user, now=utcnow(),
                                  version=form.version_number(), photo_id=photo_id, caption=form.caption.data or "",
                                  move=form.move.data or 0)
    return _back_to_media(entry)


@bp.route("/<int:entry_id>/photos/<int:photo_id>/delete", methods=["POST"])
def remove_photo(entry_id: int, photo_id: int):
    entry = _editable_entry(entry_id)
    if ActionForm().validate_on_submit():
        with write(success=_("The photo has been removed."), stale=services.EditConflict):
            services.remove_photo(db.session, entry=entry, actor=current_user, now=utcnow(), version=_version(),
                                  photo_id=photo_id)
    return _back_to_media(entry)


@bp.route("/<int:entry_id>/attachments", methods=["POST"])
def add_attachment(entry_id: int):
    entry = _editable_entry(entry_id)
    received = _received_upload(AttachmentForm, "document")
    if received is not None:
        form, data, filename = received
        with write(success=_("The attachment has been added."), stale=services.EditConflict):
            services.add_attachment(db.session, entry=entry, actor=current_user, now=utcnow(),
                                    version=form.version_number(), data=data, filename=filename)
    return _back_to_media(entry)


@bp.route("/<int:entry_id>/attachments/<int:attachment_id>/delete", methods=["POST"])
def remove_attachment(entry_id: int, attachment_id: int):
    entry = _editable_entry(entry_id)
    if ActionForm().validate_on_submit():
        with write(success=_("The attachment has been removed."), stale=services.EditConflict):
            services.remove_attachment(db.session, entry=entry, actor=current_user, now=utcnow(), version=_version(),
                                       attachment_id=attachment_id)
    return _back_to_media(entry)


_APPLICANT_TRANSITIONS = {
    "submit": (EntryStatus.SUBMITTED, _l("The entry has been submitted. You can follow its status here.")),
    "withdraw": (EntryStatus.WITHDRAWN, _l("The entry has been withdrawn.")),
    "reopen": (EntryStatus.DRAFT, _l("The entry is a draft again; submit it before the deadline.")),
}


@bp.route("/<int:entry_id>/<any(submit, withdraw, reopen):action>", methods=["POST"])
def change_status(entry_id: int, action: str):
    entry = _entry(entry_id)
    target, message = _APPLICANT_TRANSITIONS[action]
    if not ActionForm().validate_on_submit():
        abort(400)
    if _version() != entry.version:
        flash(error_message(services.EditConflict()), "danger")
        return redirect(url_for("entries.detail", entry_id=entry.id))
    with write(success=message, stale=services.EditConflict) as attempt:
        transition(db.session, entry=entry, target=target, actor=current_user, now=utcnow())
    if not attempt.ok and action == "submit" and can_edit_entry(current_user, entry, now=utcnow()):
        return redirect(url_for("entries.edit", entry_id=entry.id, step="review"))
    return redirect(url_for("entries.detail", entry_id=entry.id))


@bp.route("/<int:entry_id>/delete", methods=["POST"])
def delete(entry_id: int):
    entry = _entry(entry_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    with write(success=_("The draft has been deleted."), stale=services.EditConflict) as attempt:
        services.delete_draft(db.session, entry=entry, actor=current_user, now=utcnow(), version=_version())
    if not attempt.ok:
        return redirect(url_for("entries.detail", entry_id=entry.id))
    return redirect(url_for("entries.index"))


# --- files --------------------------------------------------------------------


@bp.route("/<int:entry_id>/photos/<int:photo_id>/<any(thumb, display, master):size>.jpg")
def photo(entry_id: int, photo_id: int, size: str):
    entry = _entry(entry_id, options=())
    photo = db.session.exec(select(EntryPhoto).where(EntryPhoto.id == photo_id, EntryPhoto.entry_id == entry.id)).first()
    if photo is None:
        abort(404)
    return send_blob(photo.key(size), mimetype="image/jpeg")


@bp.route("/<int:entry_id>/attachments/<int:attachment_id>")
def attachment(entry_id: int, attachment_id: int):
    entry = _entry(entry_id, options=())
    attachment = db.session.exec(select(EntryAttachment).where(
        EntryAttachment.id == attachment_id, EntryAttachment.entry_id == entry.id)).first()
    if attachment is None:
        abort(404)
    return send_blob(attachment.blob_key, mimetype="application/pdf", as_attachment=True,
                     download_name=attachment.filename)


@bp.route("/<int:entry_id>/application.pdf")
def application_pdf(entry_id: int):
    entry = _entry(entry_id)
    data, download_name = entry_pdf(entry), entry_pdf_filename(entry)
    with write_during_read(quiet=True):
        record(db.session, actor=current_user, action="entry.pdf_downloaded", obj=entry, after={"format": "pdf"})
    return send_bytes(data, mimetype="application/pdf", download_name=download_name,
                      cache_control="private, max-age=3600", sandbox=True)
