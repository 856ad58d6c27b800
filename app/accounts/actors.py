"""Who acts when nobody is logged in: the operator at the command line."""
import click

from app.accounts.services import user_by_email
from app.db import db
from app.enums import Role


class CommandLineOperator:
    """The actor of a command run without ``--as``: acts with a chair's rights,
    and is recorded in the audit log without an account (shown as "system")."""

    id = None
    email = None
    is_authenticated = True

    def has_role(self, *roles: Role) -> bool:
        return Role.CHAIR in roles


def chair_actor(email: str | None):
    """The chair named by ``--as``, or the operator at the command line:
    someone with access to the server, trusted like ``flask users create`` is.
    The audit log then shows the chair, or "system"."""
    if email is None:
        return CommandLineOperator()
    user = user_by_email(db.session, email)  # with its roles
    if user is None or not user.active or not user.has_role(Role.CHAIR):
        raise click.ClickException(f"{email} is not an active chair account.")
    return user
