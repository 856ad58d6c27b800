"""Domain exceptions, and the handlers that turn errors into pages.

Services raise :class:`DomainError` subclasses with a translated message; only
here, at the edge, do they become HTTP responses.
"""
from urllib.parse import urlsplit

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from app.i18n import lazy_gettext as _l


class DomainError(Exception):
    """A request the domain refuses; ``message`` is shown to the user."""

    status_code = 400

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class NotAllowed(DomainError):
    status_code = 403


class InvalidToken(DomainError):
    """A link token that is unknown, expired or already used."""


class UploadTooLarge(DomainError):
    """An uploaded file over the size limit (``MAX_UPLOAD_BYTES``)."""

    status_code = 413

    def __init__(self, limit: int):
        super().__init__(_l("The file is larger than %(mb)s MB.", mb=limit // (1024 * 1024)))


class StorageFull(DomainError):
    """The disk (or quota) that keeps uploads has no room left: nothing of
    the file was stored (see ``app/storage/local.py``)."""

    status_code = 507

    def __init__(self):
        super().__init__(_l(
            "The server's storage is full, so the file was not saved. Please try again later; "
            "if this happens again, tell the organisers of the call."
        ))


class StaleVersion(DomainError):
    """A row changed by another request between loading and saving it."""

    status_code = 409

    def __init__(self, message=None):
        super().__init__(message or _l(
            "Someone else changed this in the meantime. Reload the page to see the latest version, then try again."
        ))


_ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood. Please go back and try again.")),
    403: (_l("Access denied"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("The page you asked for does not exist or has been moved.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("Upload too large"), _l("The data you sent is larger than the allowed maximum.")),
    422: (_l("File cannot be processed"), _l("The file could not be processed.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. It has been logged; please try again later.")),
    507: (_l("Storage full"), _l("The server's storage is full. Please try again later.")),
}


def wants_json() -> bool:
    """Whether the client asked for JSON rather than a page (the autosave
    scripts and the open-data API's clients send ``Accept: application/json``)."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def render_error(status: int, message=None):
    """The error page, or for a client that asked for JSON ``{"ok": false,
    "message": …, "error": {"message": …, "field": null}}`` (what the autosave
    scripts show, in the open-data API's error shape)."""
    title, default_message = _ERROR_TEXTS.get(status, _ERROR_TEXTS[500])
    if status == 413 and message is None:
        default_message = _l("The data you sent is larger than the allowed maximum of %(mb)s MB.",
                             mb=current_app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024))
    text = str(message or default_message)
    if wants_json():
        return jsonify(ok=False, message=text, error={"message": text, "field": None}), status
    return (
        render_template("errors/error.html", status=status, title=title, message=text, back=_back_link(),
                        request_id=g.get("request_id")),
        status,
    )


def _back_link() -> str | None:
    """The page the user came from, when it is a page of this site (a form
    refused as too large, say), for a "back" link."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if parts.scheme in ("http", "https") and parts.netloc == request.host and referrer != request.url:
        return referrer
    return None


#: Seconds a client is asked to wait when the database cannot be reached.
RETRY_AFTER_SECONDS = 30


def render_unavailable():
    """503 when the database cannot be reached (restarting, failing over):
    a page that needs nothing from the database (no menu, no site name from
    the settings, no user), or JSON for the autosave scripts; the pool drops
    the dead connections (pre-ping), so the next request after the outage
    works again."""
    title = _l("Temporarily unavailable")
    text = str(_l("The service cannot reach its database at the moment. Nothing you saved before is lost; "
                  "please try again in a minute."))
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if wants_json():
        return jsonify(ok=False, message=text, error={"message": text, "field": None}), 503, headers
    # Rendered without the context processors: they read the user, the call and the site settings.
    from flask_babel import get_locale

    # "Try again" repeats a page; after a form, it goes back to the form's page.
    again = request.full_path.rstrip("?") if request.method == "GET" else (_back_link() or "/")
    page = current_app.jinja_env.get_template("errors/unavailable.html").render(
        title=title, message=text, current_language=str(get_locale()), again=again,
        request_id=g.get("request_id"))
    return page, 503, headers


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(_error):
        return render_error(400, _l("The form has expired or was not sent from this site. Please reload the page and submit it again."))

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        return render_error(error.status_code, error.message)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.code not in _ERROR_TEXTS:
            return error
        response, status = render_error(error.code)
        if error.code == 405 and error.valid_methods:
            return response, status, {"Allow": ", ".join(error.valid_methods)}
        return response, status

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(DisconnectionError)
    def _database_unavailable(error: Exception):
        current_app.logger.warning("Database unavailable on %s %s: %s", request.method, request.path,
                                   str(error).splitlines()[0])
        from app.db import db

        try:
            db.rollback()
        except Exception:  # noqa: BLE001 - the connection is gone; closing the session discards it
            pass
        return render_unavailable()

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        from app.db import db

        db.rollback()
        return render_error(500)
