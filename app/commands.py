"""The command-line edge: what ``with transaction():`` is to a command,
:func:`app.web.write` is to a view.

A command's writes are one transaction, started as a writing one (SQLite
takes its write lock up front) and committed once at the end; a service's
refusal rolls it back and becomes click's error message and exit status 1.
"""
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import joinedload

from app.db import db, write_intent
from app.errors import DomainError
from app.input_rules import MAX_ID, SEED_RANGE
from app.models import Call

#: Option types with the ranges of ``app.input_rules``: a row id (``--call``,
#: ``--snapshot``) and a seed; click refuses anything else with a message.
ID = click.IntRange(1, MAX_ID)
SEED = click.IntRange(*SEED_RANGE)


@contextmanager
def transaction() -> Iterator[None]:
    """Run the block as the command's one transaction (see the module)."""
    with write_intent():
        try:
            yield
        except DomainError as error:
            db.rollback()
            raise click.ClickException(str(error.message)) from None
        db.commit()


def call_or_exit(call_id: int) -> Call:
    """The call with ``call_id`` and its phase windows (the commands check
    them), or click's error naming the id."""
    call = db.session.get(Call, call_id, options=[joinedload(Call.phases)])
    if call is None:
        raise click.ClickException(f"There is no call with id {call_id}.")
    return call


def in_site_language(command):
    """Run ``command`` in the site's default language (there is no request to
    choose one), turning a DomainError into click's message and exit status 1."""
    def run(*args, **kwargs):
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            try:
                return command(*args, **kwargs)
            except DomainError as error:
                raise click.ClickException(str(error.message)) from None
    run.__name__, run.__doc__ = command.__name__, command.__doc__
    return run
