"""Scenario Showcase (场景示范案例库): the application factory."""
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import load_config


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config → extensions → database → blueprints → errors → CLI."""
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, test_config)
    _init_operations(app)
    _init_input(app)
    if app.config["PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"], x_proto=app.config["PROXY_COUNT"])

    _init_extensions(app)
    _register_blueprints(app)
    # The background jobs (declared on import): a worker made by this factory
    # must know every job a web process may queue.
    from app import mail, storage_prune  # noqa: F401
    from app.accounts import tasks as accounts_tasks  # noqa: F401
    from app.backup import tasks as backup_tasks  # noqa: F401
    from app.brochure import tasks  # noqa: F401
    from app.certificates import tasks as certificates_tasks  # noqa: F401
    from app.errors import register_error_handlers
    from app.review.manage import tasks as review_tasks  # noqa: F401
    from app.security import register_security_headers

    register_error_handlers(app)
    register_security_headers(app)

    from app.templating import register_template_helpers

    register_template_helpers(app)

    from app.cli import register_cli

    register_cli(app)
    return app


def _init_operations(app: Flask) -> None:
    """Logs first (so start-up problems are logged in the chosen format),
    error reporting, the request id and log line, request metrics; before
    every other hook, so the request id exists when they run."""
    from app.ops.logs import configure_logging, register_request_logging
    from app.ops.metrics import register_request_metrics
    from app.ops.reporting import init_error_reporting

    configure_logging(app)
    init_error_reporting(app)
    register_request_logging(app)
    register_request_metrics(app)


def _init_input(app: Flask) -> None:
    """Clean text in every request, bounded ids in every route (``app/web.py``);
    before any blueprint adds its routes."""
    from app.web import BoundedInt, InputRequest

    app.request_class = InputRequest
    app.url_map.converters["int"] = BoundedInt


def _init_extensions(app: Flask) -> None:
    from app.accounts.views import load_session_user
    from app.db import db
    from app.extensions import babel, csrf, limiter, login_manager
    from app.i18n import lazy_gettext as _l
    from app.main.views import select_locale
    from app.storage import init_storage

    db.init_app(app)
    init_storage(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    # The session id is a login session's token, checked on the server
    # (idle timeout, absolute lifetime, ended by logout or a password change).
    login_manager.user_loader(load_session_user)

    @app.after_request
    def _permanent_session(response):
        # A session with something in it (a login, a CSRF token, a message)
        # lives past the browser's closing; an empty one sets no cookie at
        # all (a probe of /healthz, a visitor who only reads).
        from flask import session

        if session and not session.permanent:
            session.permanent = True
        return response


def _register_blueprints(app: Flask) -> None:
    from app.accounts.views import bp as accounts_bp
    from app.admin.views import bp as admin_bp
    from app.brochure.views import bp as brochure_bp
    from app.calls.views import bp as calls_bp
    from app.certificates.views import bp as certificates_bp
    from app.certificates.views import public_bp as certificates_public_bp
    from app.entries.views import bp as entries_bp
    from app.formal_check.views import bp as formal_check_bp
    from app.library.manage.views import bp as library_manage_bp
    from app.library.views import bp as library_bp
    from app.main.views import bp as main_bp
    from app.notices.public_views import bp as notices_public_bp
    from app.notices.views import bp as notices_bp
    from app.notifications.views import bp as notifications_bp
    from app.programme.views import bp as programme_bp
    from app.results.public_views import bp as results_public_bp
    from app.results.views import bp as results_bp
    from app.review.assignment.views import bp as review_assign_bp
    from app.review.defence.views import bp as review_defence_bp
    from app.review.manage.views import bp as review_manage_bp
    from app.review.rounds.views import bp as rounds_bp
    from app.review.sheets.views import bp as review_bp

    for blueprint in (
        main_bp,
        accounts_bp,
        admin_bp,
        calls_bp,
        entries_bp,
        formal_check_bp,
        review_bp,
        review_manage_bp,
        review_assign_bp,
        rounds_bp,
        review_defence_bp,
        results_bp,
        results_public_bp,
        brochure_bp,
        library_bp,
        library_manage_bp,
        notifications_bp,
        notices_bp,
        notices_public_bp,
        certificates_bp,
        certificates_public_bp,
        programme_bp,
    ):
        app.register_blueprint(blueprint)
