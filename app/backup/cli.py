"""``flask backup create|restore|verify|prune``: backup archives from the command line."""
from pathlib import Path

import click
from flask.cli import AppGroup

from app.backup.restore import restore_backup
from app.backup.services import create_backup, prune_backups
from app.backup.verification import verify_backup
from app.commands import in_site_language
from app.i18n import format_number
from app.i18n import gettext as _

backup_cli = AppGroup("backup", help="Backup archives: create, restore, verify, prune.")

ARCHIVE = click.Path(exists=True, dir_okay=False, path_type=Path)


@backup_cli.command("create")
@click.option("--out", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the archive into (default: BACKUP_FOLDER).")
@click.option("--with-secrets", is_flag=True,
              help="Keep SECRET_KEY, passwords and tokens in the archived instance configuration.")
@in_site_language
def backup_create(folder: Path | None, with_secrets: bool):
    """Write a backup archive: database snapshot, portable dump, uploads, brochures, instance configuration."""
    result = create_backup(folder=folder, with_secrets=with_secrets)
    manifest = result.manifest
    click.echo(_("Backup written: %(path)s", path=str(result.path)))
    click.echo(_("%(tables)s tables, %(rows)s rows (%(kind)s, migration %(revision)s); %(uploads)s uploaded files, "
                 "%(brochures)s brochures; %(size)s bytes.",
                 tables=len(manifest["tables"]), rows=format_number(sum(t["rows"] for t in manifest["tables"])),
                 kind=manifest["database"]["kind"], revision=manifest["database"]["revision"],
                 uploads=manifest["uploads"], brochures=manifest["brochures"],
                 size=format_number(result.path.stat().st_size)))
    if manifest["instance"]["config"] and not with_secrets:
        click.echo(_("Secrets were removed from the instance configuration (--with-secrets keeps them)."))
    for note in result.notes:
        click.echo(str(note), err=True)


@backup_cli.command("restore")
@click.argument("archive", type=ARCHIVE)
@click.option("--force", is_flag=True, help="Replace a database and folders that are not empty.")
@in_site_language
def backup_restore(archive: Path, force: bool):
    """Restore ARCHIVE into the configured (empty) database, upload folder and brochure folder."""
    report = restore_backup(archive, force=force)
    click.echo(_("Restored %(rows)s rows in %(tables)s tables (from %(kind)s), %(uploads)s uploaded files and "
                 "%(brochures)s brochures.", rows=format_number(report.rows), tables=report.tables,
                 kind=report.kind, uploads=report.uploads, brochures=report.brochures))
    if report.needs_upgrade:
        click.echo(_("The database is at the archive's migration %(revision)s: run `flask db upgrade` to bring it "
                     "to this release.", revision=report.revision))
    click.echo(_("Check it with: flask backup verify %(archive)s", archive=str(archive)))


@backup_cli.command("verify")
@click.argument("archive", type=ARCHIVE)
@click.option("--archive-only", is_flag=True, help="Only check the archive itself, not the database and folders.")
@in_site_language
def backup_verify(archive: Path, archive_only: bool):
    """Check ARCHIVE's checksums and compare it with the database and folders (exit status 1 on any difference)."""
    report = verify_backup(archive, against_current=not archive_only)
    for problem in report.problems:
        click.echo(f"- {problem}")
    if not report.ok:
        raise click.ClickException(_("%(count)s differences found.", count=len(report.problems)))
    if archive_only:
        click.echo(_("The archive is intact: %(files)s files, %(tables)s tables, %(rows)s rows.",
                     files=report.files, tables=report.tables, rows=format_number(report.rows)))
    else:
        click.echo(_("The archive is intact and matches the database and folders: %(tables)s tables, %(rows)s rows, "
                     "%(files)s files.", files=report.files, tables=report.tables, rows=format_number(report.rows)))


@backup_cli.command("prune")
@click.option("--dry-run", is_flag=True, help="Only list the archives that would be deleted.")
@in_site_language
def backup_prune(dry_run: bool):
    """Delete the archives in BACKUP_FOLDER beyond BACKUP_KEEP_DAILY daily and BACKUP_KEEP_MONTHLY monthly ones."""
    result = prune_backups(dry_run=dry_run)
    for name in result.removed:
        click.echo(_("Would delete %(name)s", name=name) if dry_run else _("Deleted %(name)s", name=name))
    click.echo(_("%(kept)s archives kept, %(removed)s deleted.", kept=len(result.kept),
                 removed=0 if dry_run else len(result.removed)))
