"""Restoring a backup archive into an empty database and empty folders.

The order matters, so that a failure leaves nothing half-restored:

1. the archive is checked whole (every member against its SHA-256) and its
   migration must be one this code knows — before anything is touched;
2. the target must be empty (no rows, no uploaded file, no brochure) unless
   ``force`` says to replace what is there;
3. in **one transaction** on one connection: whatever schema is there is
   dropped, Alembic creates the schema of the archive's migration, the
   portable dump's rows are inserted table by table in dependency order, and
   the id counters are moved past the restored ids (PostgreSQL sequences,
   SQLite's AUTOINCREMENT counters). Both databases make DDL transactional,
   so a failure rolls all of it back;
4. the files are put back before that transaction commits (uploads through
   the storage interface, which checks each blob's key against its bytes);
   a failure deletes the files that were added, then the transaction rolls
   back. Only after the commit does ``force`` delete the files that the
   archive does not have.

The portable dump is the one loading path, whatever database the archive
came from, so a SQLite backup restored into PostgreSQL (the documented
migration path) runs exactly what a same-database restore runs. The native
snapshot stays in the archive for ``pg_restore`` or ``sqlite3`` by hand.
"""
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from app.backup.archive import Archive, safe_member_name
from app.backup.dump import data_tables, load_lines, reset_sequences
from app.backup.services import brochure_files
from app.brochure.files import atomic_write, brochure_folder
from app.db import db, write_intent
from app.db_cli import alembic_config
from app.errors import DomainError
from app.i18n import format_number
from app.i18n import lazy_gettext as _l
from app.storage import storage


@dataclass(frozen=True)
class RestoreReport:
    kind: str  # the database kind the archive came from
    revision: str  # the migration the restored database is at
    heads: tuple[str, ...]  # this code's migration head(s)
    tables: int
    rows: int
    uploads: int
    brochures: int

    @property
    def needs_upgrade(self) -> bool:
        return self.revision not in self.heads


def target_contents(engine: sa.Engine) -> list:
    """What the target database and folders already hold (messages; empty: nothing)."""
    found = []
    with engine.connect() as connection:
        counts = [connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                  for table in data_tables(connection)]
    if sum(counts):
        found.append(_l("table rows: %(rows)s in %(tables)s tables", rows=format_number(sum(counts)),
                        tables=sum(1 for count in counts if count)))
    uploads = sum(1 for _blob in storage().blobs())
    if uploads:
        found.append(_l("uploaded files: %(count)s", count=format_number(uploads)))
    brochures = sum(1 for _brochure in brochure_files())
    if brochures:
        found.append(_l("brochure files: %(count)s", count=format_number(brochures)))
    return found


def _known_revision(revision: str | None) -> tuple[str, ...]:
    script = ScriptDirectory.from_config(alembic_config(db.engine.url.render_as_string(hide_password=False)))
    heads = tuple(script.get_heads())
    if revision is None:
        raise DomainError(_l("The archive's database has no migration revision: it cannot be restored with "
                             "this tool."))
    try:
        known = script.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise DomainError(_l(
            "The archive's database is at migration %(revision)s, which this version of the app does not know "
            "(the archive comes from a newer release). Restore it with that release or a newer one.",
            revision=revision))
    return heads


def _drop_schema(connection: sa.Connection) -> None:
    """Drop every table of the target (with --force, or empty ones)."""
    if connection.dialect.name == "sqlite":
        # Full-text tables first: dropping one drops its shadow tables.
        virtual = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'").scalars().all()
        for name in virtual:
            connection.exec_driver_sql(f'DROP TABLE "{name}"')
    metadata = sa.MetaData()
    metadata.reflect(bind=connection)
    metadata.drop_all(bind=connection)


def _put_uploads(archive: Archive, added: list[str]) -> int:
    blobs = storage()
    keys = archive.members("uploads/")
    for key in keys:
        suffix = Path(key).suffix
        existed = blobs.exists(key)
        with archive.read(f"uploads/{key}") as source:
            stored = blobs.put(source.read(), suffix=suffix)
        if not existed:
            added.append(stored)
        if stored != key:
            raise ValueError(f"the uploaded file {key} does not match its name")
    return len(keys)


def _stage_brochures(archive: Archive, staging: Path) -> list[tuple[Path, Path]]:
    """Write the archive's brochures into ``staging`` (inside the brochure
    folder, so that moving them into place is a rename); return (staged, final) pairs."""
    folder = brochure_folder()
    moves = []
    for name in archive.members("brochures/"):
        final = (folder / name).resolve()
        if not safe_member_name(name) or not final.is_relative_to(folder):
            raise ValueError(f"the brochure {name} would be written outside the brochure folder")
        staged = staging / name
        with archive.read(f"brochures/{name}") as source:
            atomic_write(staged, source.read())
        moves.append((staged, final))
    return moves


def _remove_others(archive: Archive) -> None:
    """With --force, after the commit: the files the archive does not have."""
    keep = set(archive.members("uploads/"))
    blobs = storage()
    for blob in list(blobs.blobs()):
        if blob.key not in keep:
            blobs.delete(blob.key)
    keep = set(archive.members("brochures/"))
    for name, path in list(brochure_files()):
        if name not in keep:
            path.unlink(missing_ok=True)


def _load(connection: sa.Connection, archive: Archive) -> tuple[int, int]:
    manifest = archive.manifest
    tables = {table.name: table for table in data_tables(connection)}
    archived = [entry["name"] for entry in manifest["tables"]]
    if set(archived) != set(tables):
        raise ValueError(f"the archive's tables differ from the schema of its migration "
                         f"(only in the archive: {sorted(set(archived) - set(tables))}, "
                         f"only in the schema: {sorted(set(tables) - set(archived))})")
    rows = 0
    for entry in manifest["tables"]:
        lines = archive.table_lines(entry["file"])
        loaded = load_lines(connection, tables[entry["name"]], entry["columns"], lines)
        if loaded != entry["rows"]:
            raise ValueError(f"{entry['name']}: {loaded} rows loaded, the manifest says {entry['rows']}")
        rows += loaded
    reset_sequences(connection, tables.values(), manifest["database"].get("id_counters", {}))
    return len(tables), rows


def restore_backup(path: Path, *, force: bool = False) -> RestoreReport:
    """Restore the archive at ``path`` into the current app's database, upload
    folder and brochure folder (see the module for the steps). Needs an app
    context. Raises DomainError, with nothing changed, when the archive is
    damaged or too new, the target is not empty (without ``force``), or
    loading fails."""
    with Archive.open(path) as archive:
        problems = archive.check_files()
        if problems:
            raise DomainError(_l("The archive is damaged, nothing was restored: %(problems)s",
                                 problems="; ".join(str(problem) for problem in problems.values())))
        revision = archive.manifest["database"]["revision"]
        heads = _known_revision(revision)
        occupied = target_contents(db.engine)
        if occupied and not force:
            raise DomainError(_l(
                "The target is not empty (%(found)s). Restore into an empty database and empty upload and brochure "
                "folders, or pass --force to replace what is there.",
                found="; ".join(str(item) for item in occupied)))
        added_blobs: list[str] = []
        brochure_folder().mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".restore-", dir=brochure_folder()) as staging:
            try:
                with write_intent(), db.engine.connect() as connection, connection.begin():
                    _drop_schema(connection)
                    config = alembic_config(db.engine.url.render_as_string(hide_password=False))
                    config.attributes["connection"] = connection
                    command.upgrade(config, revision)
                    tables, rows = _load(connection, archive)
                    uploads = _put_uploads(archive, added_blobs)
                    moves = _stage_brochures(archive, Path(staging))
            except Exception as error:
                for key in added_blobs:
                    storage().delete(key)
                raise DomainError(_l("The restore failed and was undone (the database and folders are as they "
                                     "were): %(error)s", error=str(error) or error.__class__.__name__)) from error
            # Committed: the brochures move into place (renames), then --force
            # removes what the archive does not have.
            for staged, final in moves:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, final)
        if force:
            _remove_others(archive)
        if db.engine.dialect.name == "sqlite":
            with db.engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")  # as flask db upgrade does: the planner's statistics
        return RestoreReport(kind=archive.manifest["database"]["kind"], revision=revision, heads=heads,
                             tables=tables, rows=rows, uploads=uploads, brochures=len(moves))
