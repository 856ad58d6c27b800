"""File storage for uploads: content-addressed blobs behind a small interface.

A blob's key is derived from the SHA-256 of its bytes, so storing the same
bytes twice keeps one copy, and a key can never be chosen by a user. Every
caller — views (:func:`app.web.send_blob`), the PDF fetcher (``storage:``
URLs), the brochure's images, the prune command — uses only the
:class:`BlobStorage` protocol, so another backend (an object store, say) is
one class that implements it, chosen in :func:`init_storage`. The default
backend keeps files under ``instance/uploads``, outside ``static/``.
"""
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import Flask, current_app

_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}\.[a-z0-9]{1,5}$")


@dataclass(frozen=True)
class StoredBlob:
    """A blob as listed by :meth:`BlobStorage.blobs`."""

    key: str
    stored_at: float  # when its bytes were last stored (a POSIX timestamp)


class BlobStorage(Protocol):
    """What the app needs of a blob store. Keys are made by :func:`blob_key`;
    a malformed key raises ``ValueError``, a missing blob ``FileNotFoundError``."""

    def put(self, data: bytes, *, suffix: str) -> str:
        """Store ``data`` (again: that refreshes its ``stored_at``); return its key."""

    def open(self, key: str) -> BinaryIO:
        """The blob's bytes as a binary file object, to read or stream."""

    def size(self, key: str) -> int:
        """The blob's length in bytes."""

    def exists(self, key: str) -> bool:
        """Whether the blob is stored (False for a malformed key)."""

    def delete(self, key: str) -> None:
        """Remove the blob; nothing happens if it is not stored."""

    def blobs(self) -> Iterator[StoredBlob]:
        """Every stored blob, for :func:`prune`."""


def blob_key(data: bytes, suffix: str) -> str:
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest[:2]}/{digest[2:4]}/{digest}{suffix}"


class LocalStorage:
    """Blobs as files below ``root``, written atomically."""

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        if not _KEY.fullmatch(key or ""):
            raise ValueError(f"not a blob key: {key!r}")
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"not a blob key: {key!r}")
        return path

    def put(self, data: bytes, *, suffix: str) -> str:
        key = blob_key(data, suffix)
        path = self._path(key)
        if path.exists():
            os.utime(path)  # fresh again: pruning spares recently stored blobs
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
                tmp.write(data)
            os.replace(tmp.name, path)
        return key

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
            if _KEY.fullmatch(key):
                try:
                    yield StoredBlob(key=key, stored_at=path.stat().st_mtime)
                except FileNotFoundError:  # deleted while listing
                    continue


def prune(blobs: BlobStorage, *, referenced: set[str], older_than: timedelta) -> list[str]:
    """Delete the blobs no row refers to that were last stored before
    ``older_than`` ago; return their keys.

    Blobs are shared by content, so they are never deleted when a row lets go
    of one (another request may be storing the same bytes right then); this
    sweep, run from the CLI, collects them once they have been unused for a
    while.
    """
    cutoff = time.time() - older_than.total_seconds()
    removed = []
    # Lazily: each blob's time is read just before it may be deleted.
    for blob in blobs.blobs():
        if blob.key not in referenced and blob.stored_at < cutoff:
            blobs.delete(blob.key)
            removed.append(blob.key)
    return removed


def init_storage(app: Flask) -> None:
    root = app.config["UPLOAD_FOLDER"] or str(Path(app.instance_path) / "uploads")
    app.config["UPLOAD_FOLDER"] = root
    app.extensions["storage"] = LocalStorage(root)


def storage() -> BlobStorage:
    """The current app's blob storage."""
    return current_app.extensions["storage"]
