"""The review's periodic job: reminders sent by themselves near the end of
the review phase (see :mod:`app.jobs`)."""
from zoneinfo import ZoneInfo

from flask import current_app

from app.db import db, utcnow
from app.jobs import as_request, periodic_job, transaction
from app.review.manage.reminders import send_automatic_reminders


@periodic_job("REVIEW_REMINDER_SCHEDULE")
def remind_experts() -> dict[int, int]:
    """Remind experts of their open sheets in the last REVIEW_REMINDER_DAYS
    days of a call's review phase, at most once a day; call id → mails sent."""
    config = current_app.config
    with as_request(), transaction():
        return send_automatic_reminders(db.session, now=utcnow(), days=config["REVIEW_REMINDER_DAYS"],
                                        zone=ZoneInfo(config["TIMEZONE"]))
