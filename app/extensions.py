"""Flask extensions, created unbound and initialised in ``create_app``."""
from flask import request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=False)


def login_account_key() -> str:
    """Rate-limit key for login attempts against one account (the typed email)."""
    return "login-account:" + (request.form.get("email") or "").strip().lower()


def login_account_and_address_key() -> str:
    """Rate-limit key for one client address guessing one account's password."""
    return f"{login_account_key()}|{get_remote_address()}"


def login_pending_key() -> str:
    """Rate-limit key for the second step of one account's login."""
    return "login-pending:" + str((session.get("login_pending") or {}).get("user_id", "-"))


def registration_email_key() -> str:
    """Rate-limit key for registrations with one address (each sends it a mail)."""
    return "register:" + (request.form.get("email") or "").strip().lower()
