"""Conditional responses for the public library pages.

A public page depends on the library's content (its version, bumped by every
publication and curation change: ``services.touch_version``), what else the
public pages show beside it (the public notices running now, whose banner
must go when a period ends; the site settings, such as the programme's
target and the footer), the language,
who is looking (staff see their menu) and the session's CSRF token (the
language switch on every page carries it). The ETag is a hash of exactly
that and the URL, so it is computed before the page is rendered and a
repeated visit costs one small query and a 304. Browsers must revalidate
(``no-cache``) and shared caches must not keep the pages (``private``).
"""
import hashlib
from functools import wraps

import sqlalchemy as sa
from flask import current_app, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlmodel import select

from app.db import db, utcnow
from app.library.services import VERSION_KEY
from app.models import LibrarySetting, Notice, SiteSetting


def library_version() -> tuple[str, object]:
    """(version, last change) of the library; ("0", None) before anything was published."""
    setting = db.session.get(LibrarySetting, VERSION_KEY)
    return (setting.value, setting.updated_at) if setting else ("0", None)


def surroundings() -> str:
    """What the public pages show beside the library's content, as a short
    text that changes when it does: the notices running now and the last
    change of the site settings."""
    now = utcnow()
    running = db.session.exec(select(Notice.id).where(Notice.closed_at.is_(None), Notice.starts_at <= now,
                                                      Notice.ends_at > now).order_by(Notice.id)).all()
    settings_changed = db.session.exec(select(sa.func.max(SiteSetting.updated_at))).one()
    return f"{','.join(map(str, running))}|{settings_changed}"


def conditional(view):
    """Answer 304 when the visitor's copy is current; otherwise render and tag the response."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        version, modified = library_version()
        basis = "|".join([version, surroundings(), str(get_locale()), str(current_user.get_id() or "-"),
                          str(session.get("csrf_token", "")), request.full_path])
        etag = hashlib.sha256(basis.encode()).hexdigest()[:32]
        if request.if_none_match.contains(etag):
            response = current_app.response_class(status=304)
        else:
            response = make_response(view(*args, **kwargs))
        response.set_etag(etag)
        if modified is not None:
            response.last_modified = modified
        response.cache_control.private = True
        response.cache_control.no_cache = True
        response.vary.add("Cookie")
        return response

    return wrapped
