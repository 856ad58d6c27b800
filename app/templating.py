"""Template globals and filters: the navigation, the running phase, the
site's name and filing numbers, dates, audit actions."""
import json
from dataclasses import dataclass

from flask import Flask, current_app, g
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from app.audit.labels import action_label
from app.calls.services import current_call, phase_state
from app.db import db, utcnow
from app.enums import Role
from app.forms import ActionForm
from app.i18n import format_number, in_brackets, install_template_gettext, with_colon
from app.permissions import can_view_organisation
from app.reference import city_label, technology_label
from app.site.services import SiteSettings, load_settings


@dataclass(frozen=True)
class NavGroup:
    """A dropdown of the navigation: a label over (endpoint, label) links.
    Grouping keeps a chair's menu on one line on a 1280 px laptop."""

    label: object
    links: tuple

    @property
    def endpoints(self) -> set[str]:
        return {endpoint for endpoint, _label in self.links}


def _navigation():
    """The logged-in user's menu, in order: (endpoint, label) links and, for
    chairs, :class:`NavGroup` dropdowns of the staff pages."""
    from app.i18n import lazy_gettext as _l

    public = [("library.home", _l("Case library"))]
    if not current_user.is_authenticated:
        return public
    items = [("main.dashboard", _l("Dashboard")), *public]
    if current_user.is_applicant and can_view_organisation(current_user, current_user.organisation_id):
        items += [("entries.index", _l("My entries")), ("accounts.organisation", _l("My organisation"))]
    if current_user.has_role(Role.EXPERT):
        items += [("review.queue", _l("My reviews"))]
    if current_user.has_role(Role.CHAIR):
        items += [
            NavGroup(_l("Review management"), (
                ("calls.index", _l("Calls")),
                ("formal_check.index", _l("Formal check")),
                ("review_manage.index", _l("Expert review")),
                ("results.index", _l("Results")),
            )),
            NavGroup(_l("Publicity and library"), (
                ("brochure.index", _l("Brochure")),
                ("library_manage.index", _l("Curate the library")),
                ("certificates.index", _l("Certificates")),
                ("programme.index", _l("Programme progress")),
            )),
            NavGroup(_l("Administration"), (
                ("admin.organisations", _l("Organisations")),
                ("admin.users", _l("People")),
                ("admin.audit_log", _l("Audit log")),
                ("admin.outbox_list", _l("Outbox")),
            )),
        ]
    elif current_user.has_role(Role.PUBLICITY):
        items += [("results.index", _l("Results")), ("brochure.index", _l("Brochure")),
                  ("library_manage.index", _l("Curate the library")), ("programme.index", _l("Programme progress"))]
    return items


def request_current_call():
    """The current call, looked up once per request (every page shows it)."""
    if "current_call" not in g:
        g.current_call = current_call(db.session, now=utcnow())
    return g.current_call


def request_site_settings() -> SiteSettings:
    """The site's name and filing numbers, read once per request (every page shows them)."""
    if "site_settings" not in g:
        g.site_settings = load_settings(db.session)
    return g.site_settings


def register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def _globals():
        try:
            call = request_current_call()
            site = request_site_settings()
        except SQLAlchemyError:
            # Error pages must render even when the database is what failed.
            db.rollback()
            call, site = None, SiteSettings()
        return {
            "site": site,
            "navigation": _navigation(),
            "current_call": call,
            "current_phase": phase_state(call, now=utcnow()) if call else None,
            "languages": current_app.config["LANGUAGES"],
            "current_language": str(get_locale()),
            # formdata=None: only the CSRF token is needed, and reading the body
            # here would fail again on the very request an error page answers.
            "action_form": ActionForm(formdata=None),
        }

    install_template_gettext(app.jinja_env)
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["city"] = city_label
    app.jinja_env.filters["technology"] = technology_label
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["audit_action"] = action_label
    # Punctuation after or around text in the locale's width: "：" and "（）" in Chinese.
    app.jinja_env.filters["colon"] = with_colon
    app.jinja_env.filters["brackets"] = in_brackets
    # Readable JSON for people (Chinese as is); autoescaping still applies.
    app.jinja_env.filters["json_text"] = lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True)
