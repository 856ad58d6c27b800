"""Error reporting to a Sentry-compatible service (Sentry, GlitchTip, …),
only when ``SENTRY_DSN`` is set.

Unexpected errors are logged by the app's error handler
(``current_app.logger.exception``); Sentry's logging integration turns such
records into events, tagged with the request id that the error page shows,
so a user's report and the event meet. No personal data is sent
(``send_default_pii=False``: no cookies, no user's address or email).
"""
from importlib.metadata import PackageNotFoundError, version

from flask import Flask, g, has_request_context


def _release() -> str | None:
    try:
        return f"scenario-showcase@{version('scenario-showcase')}"
    except PackageNotFoundError:
        return None


def _tag_request_id(event, _hint):
    if has_request_context() and g.get("request_id"):
        event.setdefault("tags", {})["request_id"] = g.request_id
    return event


def init_error_reporting(app: Flask) -> bool:
    """Start the Sentry SDK when ``SENTRY_DSN`` is set; returns whether it did."""
    dsn = app.config["SENTRY_DSN"]
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[FlaskIntegration()],
        environment=app.config["SHOWCASE_ENV"],
        release=_release(),
        send_default_pii=False,
        traces_sample_rate=0.0,
        before_send=_tag_request_id,
    )
    return True
