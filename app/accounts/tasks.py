"""The accounts' periodic job: clearing what has expired (see :mod:`app.jobs`)."""
from datetime import timedelta

from flask import current_app

from app.accounts.registrations import delete_expired_registrations
from app.accounts.sessions import SessionPolicy, delete_old_sessions
from app.accounts.tokens import delete_expired_tokens
from app.db import db, utcnow
from app.jobs import periodic_job, transaction


@periodic_job("TOKEN_CLEANUP_SCHEDULE")
def clean_up_expired() -> dict[str, int]:
    """Delete expired password-reset and invitation links, expired
    registration links, and login sessions ended more than
    ENDED_SESSIONS_KEEP_DAYS ago; how many of each."""
    config = current_app.config
    now = utcnow()
    with transaction():
        return {
            "tokens": delete_expired_tokens(db.session, now=now),
            "registrations": delete_expired_registrations(db.session, now=now),
            "sessions": delete_old_sessions(db.session, now=now, keep=timedelta(days=config["ENDED_SESSIONS_KEEP_DAYS"]),
                                            policy=SessionPolicy.from_config(config)),
        }
