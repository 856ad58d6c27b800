"""The command line: every ``flask …`` command group, registered on the app.

Each group lives with its domain (``accounts/cli.py``, ``results/cli.py``, …);
this module only adds them.
"""
from flask import Flask


def register_cli(app: Flask) -> None:
    from app.accounts.cli import users_cli
    from app.audit.cli import audit_cli
    from app.backup.cli import backup_cli
    from app.brochure.cli import brochure_cli
    from app.db_cli import db_cli
    from app.demo.cli import demo_cli
    from app.jobs_cli import worker_command
    from app.notices.cli import notices_cli
    from app.results.cli import results_cli
    from app.review.assignment.cli import review_cli
    from app.review.rubrics.cli import rubrics_cli
    from app.storage_cli import storage_cli

    for command in (db_cli, users_cli, demo_cli, rubrics_cli, storage_cli, review_cli, results_cli, notices_cli,
                    brochure_cli, audit_cli, backup_cli, worker_command):
        app.cli.add_command(command)
