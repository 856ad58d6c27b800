"""The backup archive: one tar file with a ``manifest.json``.

Members::

    database/showcase.sqlite3 | database/showcase.pgdump   the native snapshot
    data/NNN-<table>.jsonl.gz                              the portable dump (app.backup.dump)
    uploads/<blob key>                                     the uploaded files
    brochures/<path>                                       the built brochures
    instance/config.py                                     the instance configuration
    instance/secret_key                                    only with --with-secrets
    manifest.json                                          last: it lists the others

The manifest holds the app's version, the database's kind and Alembic
revision, each table's columns, row count and content hash, and the SHA-256
and size of every other member. Members are read one by one and never
extracted by name, so an archive cannot write outside the folders a restore
chooses.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from app.errors import DomainError
from app.i18n import lazy_gettext as _l

MANIFEST = "manifest.json"
FORMAT = 1
CHUNK = 1 << 20


class _HashingReader(io.RawIOBase):
    """Reads ``source`` and hashes what it reads (tarfile reads a member's bytes through it)."""

    def __init__(self, source: IO[bytes]):
        self.source = source
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.sha256.update(data)
        self.size += len(data)
        return data


def data_member(position: int, table: str) -> str:
    """Where a table's portable dump goes: numbered in dependency order."""
    return f"data/{position:03d}-{table}.jsonl.gz"


class ArchiveWriter:
    """Writes members into a new tar file, recording their SHA-256 and size."""

    def __init__(self, path: Path):
        self.path = path
        self.files: dict[str, dict[str, Any]] = {}
        # Readable by the owner only: an archive holds every account's data and password hash.
        path.touch(mode=0o600)
        path.chmod(0o600)
        self._tar = tarfile.open(path, "w", format=tarfile.PAX_FORMAT)

    def add_stream(self, name: str, source: IO[bytes], size: int) -> None:
        info = tarfile.TarInfo(name)
        info.size = size
        info.mode = 0o600
        reader = _HashingReader(source)
        self._tar.addfile(info, reader)
        if reader.size != size:
            raise OSError(f"{name} changed while it was being archived")
        self.files[name] = {"sha256": reader.sha256.hexdigest(), "size": size}

    def add_file(self, name: str, path: Path) -> None:
        with path.open("rb") as source:
            self.add_stream(name, source, path.stat().st_size)

    def add_bytes(self, name: str, data: bytes) -> None:
        self.add_stream(name, io.BytesIO(data), len(data))

    def finish(self, manifest: dict[str, Any]) -> None:
        """Write the manifest (with every member's checksum) and close the tar."""
        manifest = manifest | {"files": dict(sorted(self.files.items()))}
        data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        info.mode = 0o600
        self._tar.addfile(info, io.BytesIO(data))
        self._tar.close()

    def abandon(self) -> None:
        self._tar.close()


def gzip_lines(lines: Iterator[bytes], target: IO[bytes]) -> Iterator[bytes]:
    """Write ``lines`` gzip-compressed to ``target`` (no timestamp in the
    header: the same data makes the same bytes), passing each line on."""
    with gzip.GzipFile(fileobj=target, mode="wb", mtime=0) as compressed:
        for line in lines:
            compressed.write(line)
            yield line


def gunzip_lines(source: IO[bytes]) -> Iterator[bytes]:
    with gzip.GzipFile(fileobj=source, mode="rb") as compressed:
        yield from compressed


@dataclass
class Archive:
    """An archive opened for reading, with its manifest."""

    path: Path
    manifest: dict[str, Any]
    _tar: tarfile.TarFile = field(repr=False)

    @classmethod
    def open(cls, path: Path) -> Archive:
        """Open ``path`` and read its manifest; DomainError if it is not a backup archive."""
        try:
            tar = tarfile.open(path, "r:")
        except (OSError, tarfile.TarError):
            raise DomainError(_l("%(path)s is not a backup archive (not a readable tar file).", path=str(path))) \
                from None
        try:
            member = tar.getmember(MANIFEST)
            manifest = json.load(tar.extractfile(member))
        except (KeyError, ValueError, tarfile.TarError, OSError):
            tar.close()
            raise DomainError(_l("%(path)s is not a backup archive (no readable manifest.json).", path=str(path))) \
                from None
        if manifest.get("format") != FORMAT:
            tar.close()
            raise DomainError(_l("%(path)s is a backup archive of an unknown format (%(format)s).", path=str(path),
                                 format=manifest.get("format")))
        return cls(path=path, manifest=manifest, _tar=tar)

    def close(self) -> None:
        self._tar.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        return self.manifest.get("files", {})

    def members(self, prefix: str) -> list[str]:
        """The manifest's members under ``prefix`` (e.g. ``"uploads/"``), relative to it."""
        return sorted(name[len(prefix):] for name in self.files if name.startswith(prefix))

    def read(self, name: str) -> IO[bytes]:
        """A member's bytes, as a file object to read once."""
        member = self._tar.getmember(name)
        if not member.isfile():
            raise KeyError(name)
        return self._tar.extractfile(member)

    def table_lines(self, member: str) -> Iterator[bytes]:
        """The lines of a table's dump (``member``: the manifest's ``file``)."""
        with self.read(member) as source:
            yield from gunzip_lines(source)

    def check_files(self) -> dict[str, Any]:
        """Problems with the members, by member name (translated messages):
        each listed member present, of its size and SHA-256; nothing else in
        the archive but the manifest."""
        problems = {}
        present = set()
        for member in self._tar.getmembers():
            name = member.name
            if name == MANIFEST:
                continue
            expected = self.files.get(name)
            if expected is None or not member.isfile() or not safe_member_name(name):
                problems[name] = _l("%(name)s is in the archive but not in its manifest.", name=name)
                continue
            present.add(name)
            sha = hashlib.sha256()
            size = 0
            source = self._tar.extractfile(member)
            while chunk := source.read(CHUNK):
                sha.update(chunk)
                size += len(chunk)
            if size != expected["size"] or sha.hexdigest() != expected["sha256"]:
                problems[name] = _l("%(name)s does not match its checksum in the manifest.", name=name)
        for name in sorted(set(self.files) - present):
            problems[name] = _l("%(name)s is listed in the manifest but missing from the archive.", name=name)
        return problems


def safe_member_name(name: str) -> bool:
    """A relative path without ``..`` (what this module writes)."""
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and bool(path.parts)
