"""``flask review assign``: the automatic assignment from the command line.

Moving an entry to review is a chair's transition (``entries/states.py``).
The command acts as the chair named by ``--as``, or else as the operator at
the command line (``app.accounts.actors.chair_actor``).
"""
import click
from flask.cli import AppGroup

from app.accounts.actors import chair_actor
from app.calls.services import get_call
from app.commands import ID, SEED, transaction
from app.db import db, utcnow
from app.review.assignment.services import MAX_PER_ENTRY, run_assignment
from app.review.assignment.solver import CAPS, NO_PANEL, TOO_FEW_EXPERTS

review_cli = AppGroup("review", help="Expert review.")


@review_cli.command("assign")
@click.option("--call", "call_id", type=ID, required=True, help="The call's id.")
@click.option("--per-entry", type=click.IntRange(1, MAX_PER_ENTRY), default=None,
              help="Experts per entry (default: the call's setting).")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Ties are broken at random from this seed.")
@click.option("--top-up", is_flag=True, help="Only fill the gaps of entries already in review.")
@click.option("--as", "as_email", default=None, metavar="EMAIL",
              help="Record this chair as the actor (default: the command line).")
def review_assign(call_id: int, per_entry: int | None, seed: int, top_up: bool, as_email: str | None):
    """Assign experts to the call's eligible and in-review entries, and print the report.

    Exits with status 1 when nothing could be assigned.
    """
    with transaction():
        call = get_call(db.session, call_id)
        if call is None:
            raise click.ClickException(f"There is no call with id {call_id}.")
        actor = chair_actor(as_email)
        report = run_assignment(
            db.session, call=call, actor=actor, now=utcnow(), per_entry=per_entry, seed=seed, top_up=top_up
        )

    kind = "Top-up" if top_up else "Assignment"
    click.echo(f"{kind} for call {call.id} “{call.name}” ({call.year}): "
               f"{report.per_entry} experts per entry, seed {report.seed}.")
    click.echo(f"Entries considered: {report.entries} ({report.already_complete} already had enough experts).")
    click.echo(f"Assigned {report.pairs} expert(s) to {len(report.assigned)} entr{'y' if len(report.assigned) == 1 else 'ies'}; "
               f"{report.moved_to_review} moved to review.")
    for row in report.assigned:
        click.echo(f"  entry {row.entry_id} “{row.title}” [{row.panel_name}]: {', '.join(row.experts)}")
    click.echo("Load per expert, by panel (active assignments in the call):")
    if not report.panels:
        click.echo("  no panels")
    for summary in report.panels:
        click.echo(f"  {summary.name} [{', '.join(summary.domains)}]: {summary.members} expert(s), min {summary.minimum}, "
                   f"max {summary.maximum}, spread {summary.spread}")
    if report.infeasible:
        click.echo(f"Infeasible: {len(report.infeasible)} entr{'y' if len(report.infeasible) == 1 else 'ies'} lack experts:")
        for row in report.infeasible:
            with_panel = f" in {row.panel_name}" if row.panel_name else ""
            click.echo(f"  entry {row.entry_id} “{row.title}”: needs {row.needed}, found {row.found}{with_panel} "
                       f"({row.eligible} eligible) — {_reason_text(row.reason)}")
    else:
        click.echo("Infeasible: none.")
    if report.nothing_assigned:
        raise click.ClickException("Nothing could be assigned.")


# The report is for operators, in English like the other commands' output.
_ENGLISH = {
    NO_PANEL: "no panel for the entry's domain",
    TOO_FEW_EXPERTS: "too few eligible experts (conflicts of interest)",
    CAPS: "experts' caps reached",
}


def _reason_text(reason: str) -> str:
    return f"{_ENGLISH[reason]} [{reason}]"
