"""Checking an archive, and comparing it with the database and folders.

:func:`verify_backup` reads the whole archive: every member against its
SHA-256 and size in the manifest, every table's dump against its row count
and content hash. Then (unless only the archive is checked) it compares the
manifest with the current database — migration, each table's row count and
content hash, computed the same way (:mod:`app.backup.dump`) — and with the
folders: each archived upload and brochure present with the same SHA-256,
and none that the archive lacks. Right after a restore there is no
difference; on a live site the differences show what changed since.
"""
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from app.backup.archive import CHUNK, Archive
from app.backup.dump import consistent_read, database_digests, database_revision, digest_lines
from app.backup.services import brochure_files
from app.db import db
from app.i18n import lazy_gettext as _l
from app.storage import storage


@dataclass
class VerifyReport:
    tables: int = 0
    rows: int = 0
    files: int = 0
    problems: list = field(default_factory=list)  # translated messages

    @property
    def ok(self) -> bool:
        return not self.problems


def _sha256(source) -> str:
    sha = hashlib.sha256()
    with source:
        while chunk := source.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def _check_dumps(archive: Archive, report: VerifyReport, damaged: set[str]) -> None:
    for entry in archive.manifest["tables"]:
        if entry["file"] in damaged:
            continue  # already reported
        if entry["file"] not in archive.files:
            report.problems.append(_l("%(name)s is listed in the manifest but missing from the archive.",
                                      name=entry["file"]))
            continue
        digest = digest_lines(entry["name"], entry["columns"], archive.table_lines(entry["file"]))
        if (digest.rows, digest.sha256) != (entry["rows"], entry["sha256"]):
            report.problems.append(_l("The dump of table %(table)s does not match its row count and hash in the "
                                      "manifest.", table=entry["name"]))


def _compare_database(archive: Archive, report: VerifyReport) -> None:
    with consistent_read(db.engine) as connection:
        revision = database_revision(connection)
        current = {digest.name: digest for digest in database_digests(connection)}
    archived_revision = archive.manifest["database"]["revision"]
    if revision != archived_revision:
        report.problems.append(_l("The database is at migration %(current)s, the archive at %(archived)s.",
                                  current=revision, archived=archived_revision))
    for entry in archive.manifest["tables"]:
        digest = current.pop(entry["name"], None)
        if digest is None:
            report.problems.append(_l("Table %(table)s is in the archive but not in the database.",
                                      table=entry["name"]))
        elif digest.rows != entry["rows"]:
            report.problems.append(_l("Table %(table)s: %(current)s rows in the database, %(archived)s in the "
                                      "archive.", table=entry["name"], current=digest.rows, archived=entry["rows"]))
        elif digest.sha256 != entry["sha256"]:
            report.problems.append(_l("Table %(table)s: same row count, different contents.", table=entry["name"]))
    for name in sorted(current):
        report.problems.append(_l("Table %(table)s is in the database but not in the archive.", table=name))


def _compare_files(archive: Archive, report: VerifyReport, label, archived: dict[str, str], present: dict) -> None:
    """``archived``: name → SHA-256 in the manifest; ``present``: name → a
    function opening the current file."""
    for name, expected in sorted(archived.items()):
        opener = present.pop(name, None)
        if opener is None:
            report.problems.append(_l("%(kind)s %(name)s is missing.", kind=label, name=name))
        elif _sha256(opener()) != expected:
            report.problems.append(_l("%(kind)s %(name)s differs from the archived copy.", kind=label, name=name))
    for name in sorted(present):
        report.problems.append(_l("%(kind)s %(name)s is not in the archive.", kind=label, name=name))


def verify_backup(path: Path, *, against_current: bool = True) -> VerifyReport:
    """Check the archive at ``path`` and (with ``against_current``) compare it
    with the current app's database and folders; see the module. Needs an app
    context; raises DomainError only when ``path`` is not an archive."""
    with Archive.open(path) as archive:
        files = archive.files
        report = VerifyReport(tables=len(archive.manifest["tables"]),
                              rows=sum(entry["rows"] for entry in archive.manifest["tables"]), files=len(files))
        damaged = archive.check_files()
        report.problems += damaged.values()
        _check_dumps(archive, report, set(damaged))
        if not against_current:
            return report
        _compare_database(archive, report)
        blobs = storage()
        _compare_files(
            archive, report, _l("Uploaded file"),
            {key: files[f"uploads/{key}"]["sha256"] for key in archive.members("uploads/")},
            {blob.key: (lambda key=blob.key: blobs.open(key)) for blob in blobs.blobs()})
        _compare_files(
            archive, report, _l("Brochure"),
            {name: files[f"brochures/{name}"]["sha256"] for name in archive.members("brochures/")},
            {name: (lambda path=path: path.open("rb")) for name, path in brochure_files()})
    return report
