"""Blobs as files in a folder (the default backend): one host, or several
hosts that share the folder (NFS)."""
import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

from app.errors import StorageFull
from app.storage.protocol import StoredBlob, blob_key, check_key, is_blob_key

#: The errors of a disk (or a quota) with no room left.
_FULL = {errno.ENOSPC, errno.EDQUOT}


class LocalStorage:
    """Blobs as files below ``root``, written atomically: into a temporary
    file beside the blob's place, flushed to the disk, then renamed, so a
    blob's file is complete or absent — also when the disk fills up midway,
    which raises :class:`~app.errors.StorageFull` and removes the temporary file."""

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"not a blob key: {key!r}")
        return path

    def put(self, data: bytes, *, suffix: str) -> str:
        key = blob_key(data, suffix)
        path = self._path(key)
        try:
            os.utime(path)  # stored already: fresh again, so pruning spares it
            return key
        except FileNotFoundError:  # not stored yet (or pruned just now)
            pass
        try:
            self._write(path, data)
        except OSError as error:
            if error.errno in _FULL:
                raise StorageFull() from error
            raise
        return key

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The temporary name is not a blob key: listing and pruning never see it.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
                file.flush()
                # On the disk before a row names it: a crash after the commit loses no upload.
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except ValueError:
            return False

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def blobs(self) -> Iterator[StoredBlob]:
        for path in sorted(self.root.glob("*/*/*")):
            key = path.relative_to(self.root).as_posix()
            if is_blob_key(key):
                try:
                    yield StoredBlob(key=key, stored_at=path.stat().st_mtime)
                except FileNotFoundError:  # deleted while listing
                    continue

    def describe(self) -> str:
        return f"the folder {self.root}"
