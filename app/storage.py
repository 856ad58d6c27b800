"""File storage for uploads: content-addressed blobs behind a small interface.

A blob's key is derived from the SHA-256 of its bytes, so storing the same
bytes twice keeps one copy, and a key can never be chosen by a user. Unused
blobs are removed by ``flask storage prune`` (see :meth:`LocalStorage.prune`). The
default backend keeps files under ``instance/uploads``, outside ``static/``;
a deployment can plug in another backend with the same three methods.
"""
import hashlib
import os
import re
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import Flask, current_app

_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}\.[a-z0-9]{1,5}$")


class BlobStorage(Protocol):
    def put(self, data: bytes, *, suffix: str) -> str: ...

    def open(self, key: str) -> BinaryIO: ...

    def delete(self, key: str) -> None: ...


def blob_key(data: bytes, suffix: str) -> str:
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest[:2]}/{digest[2:4]}/{digest}{suffix}"


class LocalStorage:
    """Blobs as files below ``root``, written atomically."""

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        if not _KEY.match(key or ""):
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

    def path(self, key: str) -> Path:
        """The file of a blob (for WeasyPrint's URL fetcher and send_file)."""
        return self._path(key)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def prune(self, *, referenced: set[str], older_than: timedelta) -> list[str]:
        """Delete the blobs no row refers to that were last stored before
        ``older_than`` ago; return their keys.

        Blobs are shared by content, so they are never deleted when a row lets
        go of one (another request may be storing the same bytes right then);
        this sweep, run from the CLI, collects them once they have been unused
        for a while.
        """
        cutoff = time.time() - older_than.total_seconds()
        removed = []
        for path in sorted(self.root.glob("*/*/*")):
            key = path.relative_to(self.root).as_posix()
            if _KEY.match(key) and key not in referenced and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed.append(key)
        return removed


def init_storage(app: Flask) -> None:
    root = app.config["UPLOAD_FOLDER"] or str(Path(app.instance_path) / "uploads")
    app.config["UPLOAD_FOLDER"] = root
    app.extensions["storage"] = LocalStorage(root)


def storage() -> LocalStorage:
    return current_app.extensions["storage"]
