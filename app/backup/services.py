"""Making backup archives, and keeping the right ones.

:func:`create_backup` writes one archive (see :mod:`app.backup.archive` for
what is in it) under a temporary name and renames it when it is complete, so
the backup folder never holds half an archive under an archive's name.
:func:`prune_backups` applies the retention rule
(:mod:`app.backup.retention`); :func:`create_scheduled_backup` does both,
for the nightly job.
"""
import itertools
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import force_locale

from app.backup.archive import FORMAT, ArchiveWriter, data_member, gzip_lines
from app.backup.redaction import UnreadableConfig, strip_secrets
from app.backup.retention import archive_name, archive_time, archives_to_keep
from app.backup.snapshot import NATIVE_MEMBER, snapshot_database
from app.brochure.files import brochure_folder
from app.db import db, utcnow
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.storage import storage

PACKAGE = "scenario-showcase"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    notes: list = field(default_factory=list)  # what the operator should know (translated messages)


def backup_folder() -> Path:
    """Where archives are kept: ``BACKUP_FOLDER`` (default ``instance/backups``)."""
    return Path(current_app.config["BACKUP_FOLDER"])


def app_version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "unknown"


def brochure_files() -> Iterator[tuple[str, Path]]:
    """The built brochures: (path relative to the brochure folder, file).
    Hidden files and folders are left out: they are writes in progress
    (``.part-…`` of :func:`app.brochure.files.atomic_write`, a restore's staging)."""
    folder = brochure_folder()
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not path.is_symlink() and not any(part.startswith(".") for part in relative.parts):
            yield relative.as_posix(), path


def _free_path(folder: Path, now: datetime) -> Path:
    for serial in itertools.count(1):
        path = folder / archive_name(now, serial)
        if not path.exists():
            return path
    raise AssertionError("unreachable")


def _add_uploads(archive: ArchiveWriter) -> int:
    blobs = storage()
    count = 0
    for blob in blobs.blobs():
        try:
            size = blobs.size(blob.key)
            source = blobs.open(blob.key)
        except FileNotFoundError:  # pruned since it was listed: nothing refers to it
            continue
        with source:
            archive.add_stream(f"uploads/{blob.key}", source, size)
        count += 1
    return count


def _add_instance_files(archive: ArchiveWriter, *, with_secrets: bool) -> tuple[dict[str, Any], list]:
    instance = Path(current_app.instance_path)
    config = instance / "config.py"
    facts: dict[str, Any] = {"config": False, "secrets": with_secrets}
    notes = []
    if config.is_file():
        source = config.read_text(encoding="utf-8")
        if not with_secrets:
            try:
                source = strip_secrets(source)
            except UnreadableConfig:
                source = None
                notes.append(_l("instance/config.py is not valid Python, so its secrets cannot be removed: "
                                "it was left out of the archive."))
        if source is not None:
            archive.add_bytes("instance/config.py", source.encode("utf-8"))
            facts["config"] = True
    secret_key = instance / "secret_key"  # the development key (app.config)
    if with_secrets and secret_key.is_file():
        archive.add_file("instance/secret_key", secret_key)
    return facts, notes


def create_backup(*, folder: Path | None = None, with_secrets: bool = False, now: datetime | None = None) -> BackupResult:
    """Write a backup archive of the current app into ``folder`` (default
    ``BACKUP_FOLDER``): a consistent snapshot of the database (native and as
    the portable dump), the uploaded files, the built brochures and the
    instance configuration (its secrets removed unless ``with_secrets``).

    Needs an app context. Raises DomainError when the database cannot be
    backed up (e.g. ``pg_dump`` missing or failing) or the folder cannot be
    written; nothing is left behind then.
    """
    now = now or utcnow()
    folder = Path(folder or backup_folder())
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = _free_path(folder, now)
        partial = folder / f".{path.name}.partial"
        archive = ArchiveWriter(partial)
    except OSError as error:
        raise DomainError(_l("The backup could not be written to %(folder)s: %(error)s", folder=str(folder),
                             error=str(error))) from None
    try:
        with tempfile.TemporaryDirectory(prefix=".work-", dir=folder) as work:
            work = Path(work)
            files = {}
            positions = itertools.count(1)

            def write_table(name: str, lines: Iterator[bytes]) -> Iterator[bytes]:
                member = data_member(next(positions), name)
                dumped = work / member.replace("/", "_")
                with dumped.open("wb") as target:
                    yield from gzip_lines(lines, target)
                archive.add_file(member, dumped)
                dumped.unlink()
                files[name] = member

            snapshot = snapshot_database(db.engine, work, write_table)
            archive.add_file(NATIVE_MEMBER[snapshot.kind], snapshot.native_path)
        uploads = _add_uploads(archive)
        brochures = 0
        for relative, brochure in brochure_files():
            archive.add_file(f"brochures/{relative}", brochure)
            brochures += 1
        instance, notes = _add_instance_files(archive, with_secrets=with_secrets)
        manifest = {
            "format": FORMAT,
            "app": {"name": PACKAGE, "version": app_version()},
            "created_at": now.astimezone(timezone.utc).isoformat(timespec="seconds"),
            "database": {"kind": snapshot.kind, "revision": snapshot.revision, "native": NATIVE_MEMBER[snapshot.kind],
                         "id_counters": snapshot.counters},
            "tables": [table.as_dict() | {"file": files[table.name]} for table in snapshot.tables],
            "uploads": uploads,
            "brochures": brochures,
            "instance": instance,
        }
        archive.finish(manifest)
        partial.replace(path)
    except BaseException as error:
        archive.abandon()
        partial.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise DomainError(_l("The backup failed and was removed: %(error)s", error=str(error))) from None
        raise
    return BackupResult(path=path, manifest=manifest | {"files": archive.files}, notes=notes)


@dataclass(frozen=True)
class PruneResult:
    kept: list[str]
    removed: list[str]


def prune_backups(*, folder: Path | None = None, daily: int | None = None, monthly: int | None = None,
                  dry_run: bool = False) -> PruneResult:
    """Delete the archives in ``folder`` (default ``BACKUP_FOLDER``) that the
    retention rule does not keep: ``daily`` days and ``monthly`` months
    (default ``BACKUP_KEEP_DAILY`` and ``BACKUP_KEEP_MONTHLY``). Files not
    named like an archive are never touched. ``dry_run``: only say which."""
    folder = Path(folder or backup_folder())
    daily = current_app.config["BACKUP_KEEP_DAILY"] if daily is None else daily
    monthly = current_app.config["BACKUP_KEEP_MONTHLY"] if monthly is None else monthly
    archives = {}
    if folder.is_dir():
        for path in folder.iterdir():
            created_at = archive_time(path.name)
            if created_at is not None and path.is_file():
                archives[path.name] = created_at
    kept = archives_to_keep(archives, daily=daily, monthly=monthly)
    removed = sorted(set(archives) - kept)
    if not dry_run:
        for name in removed:
            (folder / name).unlink(missing_ok=True)
    return PruneResult(kept=sorted(kept), removed=removed)


def create_scheduled_backup() -> tuple[BackupResult, PruneResult]:
    """The nightly backup: an archive in ``BACKUP_FOLDER`` without secrets,
    then the folder pruned to ``BACKUP_KEEP_DAILY`` daily and
    ``BACKUP_KEEP_MONTHLY`` monthly archives.

    For a periodic job on the job queue (``app.jobs``): call it inside an app
    context, as jobs run; it needs no request. A failure raises DomainError
    (with a message in the site's default language) and prunes nothing, so a
    broken night never costs an older archive.
    """
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        result = create_backup(with_secrets=False)
        return result, prune_backups()
