"""File storage for uploads: content-addressed blobs behind a small interface.

A blob's key is derived from the SHA-256 of its bytes, so storing the same
bytes twice keeps one copy, and a key can never be chosen by a user. Every
caller — views (:func:`app.web.send_blob`), the PDF fetcher (``storage:``
URLs), the brochure's images, the prune command — uses only the
:class:`BlobStorage` protocol (``protocol.py``). ``STORAGE_BACKEND`` chooses
the backend in :func:`init_storage`: ``local`` (the default, ``local.py``)
keeps files under ``UPLOAD_FOLDER`` (``instance/uploads``, outside
``static/``); ``s3`` (``s3.py``) keeps objects in an S3-compatible object
store, for several web hosts.
"""
import secrets
from pathlib import Path

from flask import Flask, current_app

from app.config import ConfigError
from app.storage.local import LocalStorage
from app.storage.protocol import (
    BlobStorage,
    StorageUnavailable,
    StoredBlob,
    blob_key,
    check_key,
    is_blob_key,
    prune,
)

__all__ = [
    "BACKENDS", "BlobStorage", "LocalStorage", "StorageUnavailable", "StoredBlob", "blob_key", "check_key",
    "check_storage", "init_storage", "is_blob_key", "prune", "storage",
]

BACKENDS = ("local", "s3")
#: The suffix of :func:`check_storage`'s probe (a blob no row names: never kept).
PROBE_SUFFIX = ".probe"


def init_storage(app: Flask) -> None:
    """Make the blob storage ``STORAGE_BACKEND`` names; :class:`ConfigError`
    for an unknown backend or incomplete settings. (Whether the object store
    answers is checked by ``flask storage check``, not at every start.)"""
    root = app.config["UPLOAD_FOLDER"] or str(Path(app.instance_path) / "uploads")
    app.config["UPLOAD_FOLDER"] = root
    backend = app.config["STORAGE_BACKEND"].strip().lower()
    if backend == "local":
        app.extensions["storage"] = LocalStorage(root)
    elif backend == "s3":
        from app.storage.s3 import S3Settings, S3Storage  # boto3 is loaded only when used

        app.extensions["storage"] = S3Storage(S3Settings.from_config(app.config))
    else:
        raise ConfigError(f"STORAGE_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}.")


def storage() -> BlobStorage:
    """The current app's blob storage."""
    return current_app.extensions["storage"]


def check_storage(blobs: BlobStorage) -> str:
    """Store a probe blob, read it back and delete it; return its key.

    Listing is tried as well (one page). Raises what the backend raises (:class:`StorageUnavailable` saying what
    to check, :class:`~app.errors.StorageFull`, ``PermissionError``), or
    :class:`StorageUnavailable` when the bytes read back differ. The probe's
    bytes are random, so it can be no upload's blob.
    """
    data = b"Scenario Showcase storage check " + secrets.token_hex(16).encode()
    key = blobs.put(data, suffix=PROBE_SUFFIX)
    try:
        with blobs.open(key) as file:
            read = file.read()
        if read != data or blobs.size(key) != len(data):
            raise StorageUnavailable(f"{blobs.describe()} gave back other bytes than were stored")
        next(iter(blobs.blobs()), None)  # listing works too (pruning lists)
    finally:
        blobs.delete(key)
    if blobs.exists(key):
        raise StorageUnavailable(f"{blobs.describe()} still has the blob just deleted")
    return key
