"""The bell's list of notifications, marking them read, and the mail settings."""
from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from app.db import db, utcnow
from app.forms import ActionForm
from app.models import Notification
from app.notifications import services
from app.notifications.forms import MailSettingsForm
from app.notifications.labels import ESSENTIAL_MAILS, sentence
from app.web import query_page, write

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def _bell():
    def unread_notifications() -> int:
        # Called by the navigation for logged-in users only: one count per page.
        try:
            return services.unread_count(db.session, user_id=current_user.id)
        except SQLAlchemyError:
            # Error pages must render even when the database is what failed.
            db.rollback()
            return 0

    return {"unread_notifications": unread_notifications}


def _own(notification_id: int) -> Notification:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        # Another user's notification does not exist for this one.
        abort(404)
    return notification


@bp.route("/")
@login_required
def index():
    rows, total, page = services.page_of(db.session, user_id=current_user.id, page=query_page())
    return render_template("notifications/index.html", rows=rows, total=total, page=page, per_page=services.PER_PAGE,
                           sentence=sentence, form=ActionForm())


@bp.route("/<int:notification_id>/open", methods=["POST"])
@login_required
def open_item(notification_id: int):
    notification = _own(notification_id)
    if ActionForm().validate_on_submit():
        with write() as attempt:
            services.mark_read(db.session, notification=notification, now=utcnow())
        # Links are paths the services built; never follow one off the site.
        if attempt.ok and notification.link.startswith("/") and not notification.link.startswith(("//", "/\\")):
            return redirect(notification.link)
    return redirect(url_for("notifications.index"))


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    notification = _own(notification_id)
    if ActionForm().validate_on_submit():
        with write():
            services.mark_read(db.session, notification=notification, now=utcnow())
    return redirect(url_for("notifications.index"))


@bp.route("/read-all", methods=["POST"])
@login_required
def mark_all_read():
    if ActionForm().validate_on_submit():
        with write(success=_("All notifications are marked as read.")):
            services.mark_all_read(db.session, user_id=current_user.id, now=utcnow())
    return redirect(url_for("notifications.index"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    user = current_user._get_current_object()
    form = MailSettingsForm(user=user)
    if form.validate_on_submit():
        with write(success=_("Your mail settings have been saved."), form=form.wanted) as attempt:
            services.set_mail_preferences(db.session, user=user, language=form.language.data, muted=form.muted())
        if attempt.ok:
            return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form, essential=ESSENTIAL_MAILS)
