"""Domain exceptions, and the handlers that turn errors into pages.

Services raise :class:`DomainError` subclasses with a translated message; only
here, at the edge, do they become HTTP responses.
"""
from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
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
}


def render_error(status: int, message=None):
    title, default_message = _ERROR_TEXTS.get(status, _ERROR_TEXTS[500])
    return (
        render_template("errors/error.html", status=status, title=title, message=message or default_message),
        status,
    )


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

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        from app.db import db

        db.rollback()
        return render_error(500)
