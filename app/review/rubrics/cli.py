"""``flask rubrics check``: validate rubric files from the command line."""
from pathlib import Path

import click
from flask.cli import AppGroup

from app.review.rubrics.files import RubricError, check_file, rubrics_folder

rubrics_cli = AppGroup("rubrics", help="Rubric files.")


@rubrics_cli.command("check")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
def rubrics_check(files: tuple[Path, ...]):
    """Validate rubric FILES (default: every file in the rubrics folder)."""
    paths = list(files) or sorted(rubrics_folder().glob("*.yaml"))
    if not paths:
        raise click.ClickException(f"No rubric files in {rubrics_folder()}.")
    failed = 0
    for path in paths:
        try:
            content = check_file(path)
        except RubricError as error:
            failed += 1
            for problem in error.problems:
                click.echo(f"ERROR {problem}", err=True)
        else:
            click.echo(f"ok    {path}: {len(content['criteria'])} criteria, aggregation {content['aggregation']}")
    if failed:
        raise click.ClickException(f"{failed} of {len(paths)} rubric file(s) refused.")
