"""Blobs as objects in an S3-compatible object store (MinIO, Ceph, a
cloud's): for several web hosts without a shared folder.

An object's name is ``S3_PREFIX`` followed by the blob key. A blob stored
again is copied onto itself (the bytes are not sent twice), which makes its
``LastModified`` — the ``stored_at`` that pruning reads — the present.
Reading streams the object: :meth:`S3Storage.open` returns a seekable file
that fetches from the position it is read at, so serving a 20 MB photo or
a range of it never holds more than a buffer in memory.
"""
import io
import mimetypes
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from app.config import ConfigError
from app.storage.protocol import StorageUnavailable, StoredBlob, blob_key, check_key, is_blob_key

ADDRESSING_STYLES = ("auto", "path", "virtual")
#: The error codes of a missing object (HEAD answers with the bare status).
_MISSING = {"NoSuchKey", "404", "NotFound"}
#: Bytes read from the object store at a time when streaming a blob.
READ_BUFFER = 64 * 1024


@dataclass(frozen=True)
class S3Settings:
    """The object store's settings (``S3_*``), checked at start-up."""

    bucket: str
    prefix: str = ""  # "" or ending in "/"
    endpoint_url: str | None = None  # None: the cloud's own (AWS)
    region: str | None = None
    access_key_id: str | None = None  # None: boto3 looks in its usual places
    secret_access_key: str | None = None
    addressing_style: str = "auto"

    @classmethod
    def from_config(cls, config) -> "S3Settings":
        """The settings in ``config``, or :class:`ConfigError` saying which is wrong."""
        bucket = config["S3_BUCKET"].strip()
        if not bucket:
            raise ConfigError("STORAGE_BACKEND is s3 but S3_BUCKET is not set: name the bucket that keeps the uploaded files.")
        endpoint = config["S3_ENDPOINT_URL"].strip() or None
        if endpoint is not None and not endpoint.startswith(("http://", "https://")):
            raise ConfigError(f"S3_ENDPOINT_URL must start with http:// or https://, not {endpoint!r}.")
        key_id, secret = config["S3_ACCESS_KEY_ID"].strip(), config["S3_SECRET_ACCESS_KEY"].strip()
        if bool(key_id) != bool(secret):
            raise ConfigError("Set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither (then boto3 reads the "
                              "AWS_* environment variables, ~/.aws or the host's instance role).")
        style = config["S3_ADDRESSING_STYLE"].strip().lower() or "auto"
        if style not in ADDRESSING_STYLES:
            raise ConfigError(f"S3_ADDRESSING_STYLE must be one of {', '.join(ADDRESSING_STYLES)}, not {style!r}.")
        prefix = config["S3_PREFIX"].strip().strip("/")
        return cls(bucket=bucket, prefix=f"{prefix}/" if prefix else "", endpoint_url=endpoint,
                   region=config["S3_REGION"].strip() or None, access_key_id=key_id or None,
                   secret_access_key=secret or None, addressing_style=style)


class S3Storage:
    """Blobs as objects named ``prefix + key`` in one bucket."""

    def __init__(self, settings: S3Settings, *, page_size: int = 1000):
        self.settings = settings
        self.page_size = page_size  # objects listed per request (1,000 is the most S3 gives)
        # A session of its own: boto3's default session is not thread-safe,
        # a client is (gunicorn's threads share this one).
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=settings.endpoint_url,
            region_name=settings.region,
            aws_access_key_id=settings.access_key_id,
            aws_secret_access_key=settings.secret_access_key,
            config=Config(s3={"addressing_style": settings.addressing_style}, connect_timeout=5, read_timeout=60,
                          retries={"mode": "standard", "max_attempts": 3}),
        )

    # --- the protocol ---

    def put(self, data: bytes, *, suffix: str) -> str:
        key = blob_key(data, suffix)
        name, content_type = self._name(key), _content_type(key)
        with self._errors():
            try:
                self.client.copy_object(Bucket=self.settings.bucket, Key=name, ContentType=content_type,
                                        CopySource={"Bucket": self.settings.bucket, "Key": name},
                                        MetadataDirective="REPLACE")
                return key
            except ClientError as error:
                if _code(error) not in _MISSING:
                    raise
            self.client.put_object(Bucket=self.settings.bucket, Key=name, Body=data, ContentType=content_type)
        return key

    def open(self, key: str) -> BinaryIO:
        name = self._name(key)
        return io.BufferedReader(_ObjectReader(self, name, self._head(name)["ContentLength"]), buffer_size=READ_BUFFER)

    def size(self, key: str) -> int:
        return self._head(self._name(key))["ContentLength"]

    def exists(self, key: str) -> bool:
        if not is_blob_key(key):
            return False
        try:
            self._head(self._name(key))
        except FileNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        name = self._name(key)
        with self._errors():
            self.client.delete_object(Bucket=self.settings.bucket, Key=name)  # no error when absent

    def blobs(self) -> Iterator[StoredBlob]:
        prefix = self.settings.prefix
        with self._errors():
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.settings.bucket, Prefix=prefix, PaginationConfig={"PageSize": self.page_size})
            for page in pages:
                for item in page.get("Contents", ()):
                    key = item["Key"][len(prefix):]
                    if is_blob_key(key):
                        yield StoredBlob(key=key, stored_at=item["LastModified"].timestamp())

    def describe(self) -> str:
        where = self.settings.endpoint_url or "the default AWS endpoint"
        return f"the bucket {self.settings.bucket!r} (prefix {self.settings.prefix!r}) at {where}"

    # --- details ---

    def _name(self, key: str) -> str:
        return self.settings.prefix + check_key(key)

    def _head(self, name: str) -> dict:
        with self._errors(missing=name):
            return self.client.head_object(Bucket=self.settings.bucket, Key=name)

    def read_from(self, name: str, start: int):
        """The streaming body of object ``name`` from byte ``start`` on."""
        extra = {"Range": f"bytes={start}-"} if start else {}
        with self._errors(missing=name):
            return self.client.get_object(Bucket=self.settings.bucket, Key=name, **extra)["Body"]

    @contextmanager
    def _errors(self, *, missing: str | None = None):
        """botocore's errors as the protocol's: ``FileNotFoundError`` for the
        missing object ``missing``, else :class:`StorageUnavailable` saying
        what to check."""
        try:
            yield
        except ClientError as error:
            code = _code(error)
            if missing is not None and code in _MISSING:
                raise FileNotFoundError(missing) from None
            raise StorageUnavailable(self._explain(code, error)) from error
        except BotoCoreError as error:  # no connection, no credentials, a timeout
            raise StorageUnavailable(f"{self.describe()} cannot be used: {error}") from error

    def _explain(self, code: str, error: ClientError) -> str:
        bucket = self.settings.bucket
        refused = (f"access denied: check S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, and that they may list, read, "
                   f"write and delete objects in {bucket!r}")  # HEAD answers a bare 403, whatever the cause
        reasons = {
            "NoSuchBucket": f"the bucket {bucket!r} does not exist: create it, or correct S3_BUCKET",
            "InvalidAccessKeyId": "the object store does not know the access key: check S3_ACCESS_KEY_ID",
            "SignatureDoesNotMatch": "the object store refuses the secret key: check S3_SECRET_ACCESS_KEY",
            "AccessDenied": refused,
            "403": refused,
        }
        reason = reasons.get(code) or f"{code}: {error.response.get('Error', {}).get('Message', error)}"
        return f"{self.describe()}: {reason}"


class _ObjectReader(io.RawIOBase):
    """A stored object as a seekable raw file: the first read after opening
    or seeking starts a GET from that position, which later reads stream on;
    seeking elsewhere drops it."""

    def __init__(self, storage: S3Storage, name: str, size: int):
        super().__init__()
        self._storage, self._name, self._size = storage, name, size
        self._position = 0
        self._body = None  # the current GET's body, at _position

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        if base + offset != self._position:
            self._drop()
            self._position = base + offset
        return self._position

    def readinto(self, buffer) -> int:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        if self._position >= self._size:
            return 0
        if self._body is None:
            self._body = self._storage.read_from(self._name, self._position)
        with self._storage._errors():
            data = self._body.read(len(buffer))
        if not data:
            raise StorageUnavailable(f"{self._name} ended at byte {self._position} of {self._size}")
        buffer[:len(data)] = data
        self._position += len(data)
        return len(data)

    def _drop(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def close(self) -> None:
        self._drop()
        super().close()


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _content_type(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"
