"""What a blob store is: the :class:`BlobStorage` protocol, its keys, and
the sweep that every backend shares (:func:`prune`)."""
import hashlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO, Protocol

_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}\.[a-z0-9]{1,5}$")


@dataclass(frozen=True)
class StoredBlob:
    """A blob as listed by :meth:`BlobStorage.blobs`."""

    key: str
    stored_at: float  # when its bytes were last stored (a POSIX timestamp)


class StorageUnavailable(OSError):
    """The storage cannot be used as configured (an object store that does
    not answer, a bucket that does not exist, credentials it refuses); the
    message says what to check, for the log and ``flask storage check``."""


class BlobStorage(Protocol):
    """What the app needs of a blob store. Keys are made by :func:`blob_key`;
    a malformed key raises ``ValueError``, a missing blob ``FileNotFoundError``;
    a full disk :class:`~app.errors.StorageFull` (nothing of the blob is left
    behind); a store that cannot be reached :class:`StorageUnavailable`."""

    def put(self, data: bytes, *, suffix: str) -> str:
        """Store ``data`` (again: that refreshes its ``stored_at``); return its key."""

    def open(self, key: str) -> BinaryIO:
        """The blob's bytes as a seekable binary file object, to read or
        stream (whole or from any position: served with range requests)."""

    def size(self, key: str) -> int:
        """The blob's length in bytes."""

    def exists(self, key: str) -> bool:
        """Whether the blob is stored (False for a malformed key)."""

    def delete(self, key: str) -> None:
        """Remove the blob; nothing happens if it is not stored."""

    def blobs(self) -> Iterator[StoredBlob]:
        """Every stored blob, for :func:`prune`."""

    def describe(self) -> str:
        """Where the blobs are kept (a folder, a bucket), for messages to the operator."""


def blob_key(data: bytes, suffix: str) -> str:
    """The key of ``data``: its SHA-256 (split into two folder levels) and ``suffix``."""
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest[:2]}/{digest[2:4]}/{digest}{suffix}"


def is_blob_key(key: str) -> bool:
    """Whether ``key`` has the shape :func:`blob_key` makes (nothing else is ever stored or read)."""
    return bool(_KEY.fullmatch(key or ""))


def check_key(key: str) -> str:
    """``key`` itself, or ``ValueError`` when it is not a blob key."""
    if not is_blob_key(key):
        raise ValueError(f"not a blob key: {key!r}")
    return key


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
    # Lazily: each blob's time is read as late as the backend lists it (a
    # file's just before it may be deleted; an object store's a page at a time).
    for blob in blobs.blobs():
        if blob.key not in referenced and blob.stored_at < cutoff:
            blobs.delete(blob.key)
            removed.append(blob.key)
    return removed
