"""``flask results …``: compute a call's results, publish them, and verify a
published snapshot's public document."""
from pathlib import Path

import click
from flask.cli import AppGroup

from app.accounts.actors import chair_actor
from app.commands import ID, SEED, call_or_exit, in_site_language, transaction
from app.config import RESAMPLES_RANGE
from app.db import db, utcnow
from app.i18n import gettext as _
from app.results.compute import compute_results, draft_run
from app.results.publishing import publish
from app.results.verification import message, verify_document

results_cli = AppGroup("results", help="Results: rankings, selection, snapshots.")


@results_cli.command("compute")
@click.option("--call", "call_id", type=ID, required=True, help="The call's id.")
@click.option("--resamples", type=click.IntRange(*RESAMPLES_RANGE), default=None,
              help="Bootstrap resamples (default: RESULTS_RESAMPLES, 1,000).")
@click.option("--seed", type=SEED, default=None, help="Bootstrap seed (default: the call's id).")
@click.option("--as", "as_email", default=None, metavar="EMAIL",
              help="Record this chair as the actor (default: the command line).")
def results_compute(call_id: int, resamples: int | None, seed: int | None, as_email: str | None):
    """Recompute the call's draft results from its submitted score sheets.

    Published snapshots are never changed. Deterministic: the same sheets,
    settings and seed give the same results.
    """
    with transaction():
        call = call_or_exit(call_id)
        actor = chair_actor(as_email)
        run = compute_results(db.session, call=call, actor=actor, now=utcnow(), resamples=resamples, seed=seed)
    summary = run.summary
    counts = summary["counts"]
    click.echo(f"Results for call {call.id} “{call.name}” ({call.year}): draft run {run.id}, method {run.method}, "
               f"{run.parameters['resamples']} resamples, seed {run.parameters['seed']}.")
    click.echo(f"Ranked {counts['entries']} entries from {counts['sheets']} sheets by {counts['experts']} experts; "
               f"selected {summary['selection']['selected']} of {run.parameters['target']}.")
    click.echo(f"Disputed {counts['disputed']}, borderline {counts['borderline']}, "
               f"incomplete {counts['incomplete']}, veto decisions pending {counts['vetoes_pending']}.")
    call_reliability = summary["call"]
    alpha = call_reliability["alpha"]
    click.echo(f"Krippendorff's alpha (interval): {'n/a' if alpha is None else f'{alpha:.3f}'}")
    one_way = call_reliability["one_way"]
    if one_way is not None:
        icc_k = one_way["icc1_k"]
        click.echo(f"ICC(1,k) on all sheets (k = {one_way['sheets_per_entry']:.1f}): {icc_k['value']:.3f}, "
                   f"95 % interval {icc_k['low']:.3f} to {icc_k['high']:.3f}")
    verdict = call_reliability["verdict"]
    click.echo(f"Reliability verdict: {verdict['band']} ({verdict['explanation']})")
    for warning in summary["selection"]["warnings"]:
        click.echo(f"Warning: {warning['key']} {({k: v for k, v in warning.items() if v is not None and k != 'key'})}")


@results_cli.command("publish")
@click.option("--call", "call_id", type=ID, required=True, help="The call's id.")
@click.option("--public-scores/--no-public-scores", default=False, show_default=True,
              help="Whether the public library and the brochure may show ranks and scores.")
@click.option("--as", "as_email", default=None, metavar="EMAIL",
              help="Record this chair as the actor (default: the command line).")
def results_publish(call_id: int, public_scores: bool, as_email: str | None):
    """Publish the call's draft as a frozen snapshot (with its content hash)."""
    with transaction():
        call = call_or_exit(call_id)
        actor = chair_actor(as_email)
        run = draft_run(db.session, call=call)
        if run is None:
            raise click.ClickException("The call has no draft results: run `flask results compute` first.")
        publish(db.session, run=run, actor=actor, now=utcnow(), public_scores=public_scores)
    click.echo(f"Published snapshot {run.id} of call {call.id}: sha256 {run.content_hash}")
    click.echo(f"Public document: sha256 {run.public_hash} (check it with `flask results verify FILE`)")


@results_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@in_site_language
def results_verify(file: Path):
    """Check a public snapshot document (JSON) against the published snapshots.

    Recomputes the document's SHA-256 by the documented rule (README,
    "Verifying a published snapshot"); exit status 0 when it is a published
    snapshot's, 1 otherwise, with the reason.
    """
    verification = verify_document(db.session, file.read_bytes(), limit=None)
    if not verification.ok:
        raise click.ClickException(str(message(verification)))
    click.echo(str(message(verification)))
    click.echo(_("Public hash (SHA-256): %(hash)s", hash=verification.digest))
    click.echo(_("Snapshot hash (SHA-256): %(hash)s", hash=verification.run.content_hash))
