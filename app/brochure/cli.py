"""``flask brochure build``: build a call's PDF brochure at the command line,
directly (no job queue), with a progress bar."""
import time
from pathlib import Path

import click
from flask.cli import AppGroup

from app.brochure import builds
from app.brochure.options import BuildOptions
from app.commands import ID
from app.db import db
from app.errors import DomainError
from app.models import Call
from app.pdf.text import document_language
from app.results.publishing import published_snapshot

brochure_cli = AppGroup("brochure", help="The PDF showcase brochure.")


@brochure_cli.command("build")
@click.option("--call", "call_id", type=ID, required=True, help="The call's id.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The PDF file to write (replaced atomically).")
@click.option("--profile", type=click.Choice(["screen", "print"]), default="screen", show_default=True,
              help="screen: images at 150 dpi, a small file; print: 300 dpi, A4 with 3 mm bleed.")
@click.option("--snapshot", "snapshot_id", type=ID, default=None,
              help="A published results snapshot of the call (default: its latest).")
def brochure_build(call_id: int, out: Path, profile: str, snapshot_id: int | None):
    """Build the call's brochure into OUT from a published results snapshot.

    Title, texts, order and cover are those of the call's last build on the
    brochure page (else the call's defaults). Unchanged inputs are served
    from the build cache at once.
    """
    with document_language():  # outside a request: the default language (Chinese)
        _build(call_id, out, profile, snapshot_id)


def _build(call_id: int, out: Path, profile: str, snapshot_id: int | None) -> None:
    from app.brochure import builder

    call = db.session.get(Call, call_id)
    if call is None:
        raise click.ClickException(f"There is no call with id {call_id}.")
    try:
        snapshot = published_snapshot(db.session, call=call, snapshot_id=snapshot_id)
    except DomainError:
        raise click.ClickException(f"Snapshot {snapshot_id} is not a published results snapshot of call {call.id}.") from None
    if snapshot is None:
        raise click.ClickException(
            f"Call {call.id} “{call.name}” has no published results snapshot, so there is nothing to print: "
            f"publish its results first (flask results publish --call {call.id})."
        )
    out = out.resolve()
    if not out.parent.is_dir():
        raise click.ClickException(f"The folder {out.parent} does not exist.")
    defaults = builds.default_options(db.session, call=call)
    options = BuildOptions(
        call_id=call.id, snapshot_id=snapshot.id, order=defaults["order"], title=defaults["title"],
        subtitle=defaults["subtitle"], year=defaults["year"], foreword=defaults["foreword"],
        back_text=defaults["back_text"], cover_key=defaults["cover_key"], profile=profile,
    )
    click.echo(f"Building the brochure of call {call.id} “{call.name}” from snapshot {snapshot.id} ({profile}).")
    started = time.perf_counter()
    with click.progressbar(length=1, label="Planning", show_pos=True) as bar:

        def progress(step: str, done: int, total: int) -> None:
            if total and bar.length != total:
                bar.length = total
            bar.label = {"cached": "Reused", "merging": "Merging", "done": "Done"}.get(step, step)
            bar.update(max(0, done - bar.pos))

        try:
            result = builder.build_brochure(options, out_path=out, progress=progress)
        except DomainError as error:
            raise click.ClickException(str(error.message)) from None
    seconds = time.perf_counter() - started
    cached = " (unchanged: from the cache)" if result.cached else ""
    pages = f"{result.pages} page" + ("" if result.pages == 1 else "s")
    click.echo(f"Wrote {out}: {pages}, {result.size / 1_000_000:.1f} MB in {seconds:.1f} s{cached}.")
