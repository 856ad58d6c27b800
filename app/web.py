"""The web edge: how a request's input is read, how it writes, reports a
refusal and serves a file.

Input: every request is an :class:`InputRequest`, whose query and form
values (keys too) have passed :func:`app.input_rules.clean_text` — no NUL,
no other control character but tab and newline, no bidi control — before any
view, form or service reads them. Every ``<int:…>`` in a route is a
:class:`BoundedInt`: an id no row can have (above ``MAX_ID``) is a 404 before
the view runs. Numbers in the query string are read with :func:`query_id`
and :func:`query_page`.

Every view that changes data runs its service calls inside :func:`write`,
which is the request's one commit point: the block's work is committed
once, or rolled back when a service refuses it with a
:class:`~app.errors.DomainError` (or the row changed under it, a stale
version), and the refusal is shown where the user looks — on the form, as a
flash message, or left to the view (JSON answers). Views stay: load → check
permission → call a service inside ``write`` → render or redirect.

Uploads come in through :func:`read_upload`, which reads at most the size
limit. Files leave through :func:`send_blob` (a stored upload),
:func:`send_bytes` (a document made for this request) and :func:`send_path`
(a file the app built and keeps): each sets the content type, the download
name and headers that keep personal data out of shared caches and out of the
browser's content sniffing.
"""
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import Request, Response, abort, current_app, flash, request, send_file
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import RequestedRangeNotSatisfiable, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter, ValidationError

from app.db import db, write_intent
from app.errors import DomainError, StaleVersion, UploadTooLarge
from app.i18n import lazy_gettext as _l
from app.input_rules import MAX_ID, clean_text, parse_id
from app.storage import storage

#: Files of an entry are personal data: a browser may keep them a while, a
#: shared cache never; and they never run as a page of this site.
PRIVATE_FILE_CACHE = "private, max-age=3600"
SANDBOX = "default-src 'none'; sandbox"


# --- reading input ---------------------------------------------------------------


class CleanMultiDict(ImmutableMultiDict):
    """Query or form values with every text (and key) passed through ``clean_text``;
    uploaded files are left as they are."""

    def __init__(self, mapping=None):
        pairs = MultiDict(mapping).items(multi=True) if mapping is not None else ()
        super().__init__((_clean(key), _clean(value)) for key, value in pairs)


def _clean(value):
    return clean_text(value) if isinstance(value, str) else value


class InputRequest(Request):
    """The app's request class (``app.request_class``): ``args``, ``form`` and
    ``values`` hold clean text only (see the module)."""

    parameter_storage_class = CleanMultiDict


class BoundedInt(IntegerConverter):
    """The ``int`` converter of every route: digits only (ASCII), at most
    ``MAX_ID``, so an id no row can have is a 404, never a query the database
    cannot take."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str):
        if len(value.lstrip("0")) > len(str(self.max)):  # more digits than the largest id: no int() of them
            raise ValidationError()
        return super().to_python(value)


class BadQuery(DomainError):
    """A query argument that is not what its name promises (shown on the 400 page)."""

    def __init__(self, name: str, message):
        super().__init__(message)
        self.name = name


def query_id(name: str) -> int | None:
    """The id in query argument ``name`` (``?call=3``): None when absent or
    empty; 404 for a number no row can have (0, or above ``MAX_ID``);
    :class:`BadQuery` (400, with a message) for anything but digits."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise BadQuery(name, _l("The address is not valid: “%(name)s” must be a number.", name=name))
    number = parse_id(raw)
    if number is None:
        abort(404)
    return number


def query_page(name: str = "page") -> int:
    """The page number in query argument ``name``: 1 when absent or empty; a
    number past ``MAX_ID`` is ``MAX_ID`` (every list shows its last page for a
    page past its end); :class:`BadQuery` (400, with a message) for anything
    but a whole number from 1."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return 1
    if not (raw.isascii() and raw.isdigit() and raw.strip("0")):
        raise BadQuery(name, _l("The page must be a whole number from 1."))
    return parse_id(raw) or MAX_ID


# --- writing ---------------------------------------------------------------------


def error_message(error: DomainError | StaleDataError) -> str:
    """The translated text of a refusal, as a plain string (a lazy string
    would count as safe markup in templates, and messages carry names people
    typed)."""
    if isinstance(error, StaleDataError):
        error = StaleVersion()
    return str(error.message)


@dataclass
class Attempt:
    """How the block of a :func:`write` ended: ``ok``, or refused with ``error``."""

    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def message(self) -> str:
        """The refusal's translated text ("" when it went through)."""
        return error_message(self.error) if self.error is not None else ""

    @property
    def status(self) -> int:
        """The HTTP status that fits the refusal (200 when it went through)."""
        return self.error.status_code if self.error is not None else 200


@contextmanager
def write(*, success=None, form=None, quiet: bool = False, stale: type[DomainError] = StaleVersion,
          commit_on: tuple[type[DomainError], ...] = (), reraise: tuple[type[DomainError], ...] = ()
          ) -> Iterator[Attempt]:
    """Run the block as the request's one transaction; yield its :class:`Attempt`.

    When the block finishes, commit (which sends the mails queued for after
    the commit) and flash ``success`` if given. When a service refuses — a
    :class:`DomainError`, or SQLAlchemy's ``StaleDataError`` for a row
    another request changed first (reported as ``stale()``) — roll back,
    leave the error on the attempt and report it: on ``form`` (a form, or
    one of its fields) when given, else as a flash message, unless ``quiet``
    (the view answers itself, e.g. in JSON). Errors of the ``commit_on``
    types still commit what the block did before them (a score sheet saved
    as a draft before it was found incomplete). Errors of the ``reraise``
    types, and anything else, propagate to the error pages (an expired link
    has a page of its own); what the block did is rolled back when the
    request's session closes, if not before.
    """
    attempt = Attempt()
    try:
        yield attempt
        db.commit()
    except StaleDataError as error:
        db.rollback()
        # Another request saved the row first: the user is told; the log keeps a trace.
        current_app.logger.warning("Stale row on %s %s: %s", request.method, request.path, error)
        attempt.error = stale()
    except DomainError as error:
        if isinstance(error, reraise):
            raise
        if isinstance(error, commit_on):
            db.commit()
        else:
            db.rollback()
        attempt.error = error
    else:
        if success is not None:
            flash(str(success), "success")
        return
    if quiet:
        return
    if form is None:
        flash(attempt.message, "danger")
    elif hasattr(form, "form_errors"):
        form.form_errors.append(attempt.message)
    else:  # a field: its errors are a tuple until the form was validated
        form.errors = [*form.errors, attempt.message]


@contextmanager
def write_during_read(**options) -> Iterator[Attempt]:
    """:func:`write` for a request that reads (a GET) yet records something:
    an audited download, a login session's last activity.

    The request's read transaction is ended first (objects loaded so far are
    reloaded on their next use), so that the write starts as a writing
    transaction — on SQLite, upgrading a read snapshot to a write fails at
    once when another connection has written since it began. A request
    that writes anyway (a POST) just writes.
    """
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        db.rollback()
        with write_intent(), write(**options) as attempt:
            yield attempt
    else:
        with write(**options) as attempt:
            yield attempt


def read_upload(field_name: str, *, limit: int | None = None) -> tuple[bytes, str] | None:
    """The bytes and file name of the upload in form field ``field_name``, or
    None when no file was chosen; :class:`UploadTooLarge` beyond ``limit``
    (default ``MAX_UPLOAD_BYTES``; at most one byte more is read), also for a
    body over the server's own limit (``MAX_CONTENT_LENGTH``) when the form
    was not read yet — with CSRF protection on, such a body is refused before
    any view runs, with the "upload too large" page."""
    limit = current_app.config["MAX_UPLOAD_BYTES"] if limit is None else limit
    try:
        upload = request.files.get(field_name)
    except RequestEntityTooLarge:
        raise UploadTooLarge(limit) from None
    if upload is None or not upload.filename:
        return None
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise UploadTooLarge(limit)
    return data, upload.filename


def read_uploads(field_name: str, *, most: int, limit: int | None = None) -> list[tuple[bytes, str]]:
    """The bytes and file names of the files chosen in the multiple-file field
    ``field_name`` (at most ``most`` + 1 are read, so that the caller can
    refuse one too many); :class:`UploadTooLarge` as :func:`read_upload`."""
    limit = current_app.config["MAX_UPLOAD_BYTES"] if limit is None else limit
    try:
        chosen = [upload for upload in request.files.getlist(field_name) if upload and upload.filename]
    except RequestEntityTooLarge:
        raise UploadTooLarge(limit) from None
    uploads = []
    for upload in chosen[:most + 1]:
        data = upload.stream.read(limit + 1)
        if len(data) > limit:
            raise UploadTooLarge(limit)
        uploads.append((data, upload.filename))
    return uploads


def _file_response(body: BinaryIO, *, size: int, mimetype: str, download_name: str | None, as_attachment: bool,
                   etag: str | None, cache_control: str, last_modified: float | None = None) -> Response:
    # Werkzeug writes the type and the Content-Disposition; the length, the
    # validators and ranges are ours, since it knows none of them for a stream.
    response = send_file(body, mimetype=mimetype, as_attachment=as_attachment, download_name=download_name,
                         conditional=False, etag=False, last_modified=last_modified)
    response.content_length = size
    response.headers["Cache-Control"] = cache_control
    response.headers["X-Content-Type-Options"] = "nosniff"
    if etag is not None:
        response.set_etag(etag)
        try:
            response.make_conditional(request.environ, accept_ranges=True, complete_length=size)
        except RequestedRangeNotSatisfiable:
            body.close()  # no response will close it
            raise
    return response


def send_blob(key: str, *, mimetype: str, download_name: str | None = None, as_attachment: bool = False,
              cache_control: str = PRIVATE_FILE_CACHE, sandbox: bool = True) -> Response:
    """Serve the stored file ``key`` (an upload), revalidated by its key,
    with range requests; 404 when the storage has no such file.

    Private by default (``Cache-Control: private``, a sandboxing
    Content-Security-Policy); a public file passes its own ``cache_control``.
    """
    try:
        body = storage().open(key)
    except (FileNotFoundError, ValueError):
        abort(404)
    # The length from the open file itself (every backend's is seekable): one
    # look-up at the object store, and the length of the very bytes served.
    size = body.seek(0, io.SEEK_END)
    body.seek(0)
    response = _file_response(body, size=size, mimetype=mimetype, download_name=download_name,
                              as_attachment=as_attachment, etag=key.rsplit("/", 1)[-1], cache_control=cache_control)
    if sandbox:
        response.headers["Content-Security-Policy"] = SANDBOX
    return response


def send_bytes(data: bytes, *, mimetype: str, download_name: str, cache_control: str = "private, no-store",
               sandbox: bool = False) -> Response:
    """Serve a document made for this request (an export, a PDF) as a download."""
    response = _file_response(io.BytesIO(data), size=len(data), mimetype=mimetype, download_name=download_name,
                              as_attachment=True, etag=None, cache_control=cache_control)
    if sandbox:
        response.headers["Content-Security-Policy"] = SANDBOX
    return response


def send_path(path: Path, *, mimetype: str, download_name: str, cache_control: str = "private, no-cache") -> Response:
    """Serve a file the app built and keeps (a brochure) as a download,
    revalidated by its size and time; 404 when it is gone."""
    try:
        stat = path.stat()
        body = path.open("rb")
    except FileNotFoundError:
        abort(404)
    return _file_response(body, size=stat.st_size, mimetype=mimetype, download_name=download_name, as_attachment=True,
                          etag=f"{stat.st_mtime_ns:x}-{stat.st_size:x}", cache_control=cache_control,
                          last_modified=stat.st_mtime)
