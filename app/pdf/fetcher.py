"""The URL fetcher of every PDF: local files below allowed folders, and ``data:``.

WeasyPrint fetches whatever a document names: images, stylesheets, fonts,
``<link rel=attachment>`` files, which it embeds in the PDF. Left to its
default fetcher, one ``<img src="file:///etc/passwd">`` or a link to an
internal address would read a file or reach the network. This fetcher opens
no socket at all; it serves

- ``data:`` URIs,
- ``storage:<key>`` URLs (:func:`storage_url`): an uploaded blob, read
  through the :class:`~app.storage.BlobStorage` it was given, so a PDF never
  needs to know where or how blobs are kept, and
- ``file://`` URLs whose percent-decoded path, with every symlink resolved,
  lies below one of the roots it was built with (our stylesheets, the
  brochure's build cache),

and refuses everything else with :class:`FetchRefused`. WeasyPrint sees URLs
before ``..`` or ``%2e%2e`` are normalised, so the check is made on the
resolved path, after refusing any URL that is ambiguous to begin with
(encoded slashes or backslashes, ``.``/``..`` segments, a ``%`` left after
decoding, a host name, control characters).
"""
import logging
import mimetypes
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn
from urllib.parse import unquote, urlsplit
from urllib.request import DataHandler, Request

from weasyprint.urls import URLFetcher, URLFetcherResponse

from app.storage import BlobStorage

logger = logging.getLogger(__name__)

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9.+-]*):")
# Percent-encoded "/", "\" and NUL change how a path splits once decoded.
_ENCODED_SEPARATOR = re.compile(r"%(2f|5c|00)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


STORAGE_SCHEME = "storage"


def storage_url(key: str) -> str:
    """The URL a PDF names a stored blob by (served only by a fetcher given the storage)."""
    return f"{STORAGE_SCHEME}:{key}"


class FetchRefused(ValueError):
    """A URL the PDF may not load. WeasyPrint logs it and leaves the resource out."""


class LockedFetcher(URLFetcher):
    """Serve ``data:`` URIs, blobs of ``blobs`` and files below ``roots``;
    refuse anything else.

    ``roots`` are directories; each is resolved once, here. A file is served
    when its resolved path is inside one of them (a symlink inside a root that
    points outside is refused). Without ``blobs``, ``storage:`` URLs are refused.
    """

    def __init__(self, roots: Iterable[str | Path], *, blobs: BlobStorage | None = None):
        # No redirects, and only these two schemes even for WeasyPrint's own
        # checks; fetch() below never reaches urllib's network handlers.
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False, fail_on_errors=False)
        self.roots = tuple(Path(root).resolve() for root in roots)
        self.blobs = blobs
        for root in self.roots:
            if root == Path(root.anchor):
                raise ValueError(f"a filesystem root cannot be an allowed PDF folder: {root}")

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        if not isinstance(url, str):
            raise FetchRefused(f"not a URL: {url!r}")
        match = _SCHEME.match(url)
        scheme = match[1].lower() if match else ""
        if scheme == "data":
            return self._data(url)
        if scheme == "file":
            return self._file(url)
        if scheme == STORAGE_SCHEME and self.blobs is not None:
            return self._blob(url)
        self._refuse(url, "only data:, storage: and local files are served")

    def _refuse(self, url: str, reason: str) -> NoReturn:
        shown = url if len(url) <= 200 else url[:200] + "…"
        logger.warning("PDF resource refused: %s (%s)", shown, reason)
        raise FetchRefused(f"{reason}: {shown}")

    def _data(self, url: str) -> URLFetcherResponse:
        try:
            response = DataHandler().data_open(Request(url))
        except (ValueError, TypeError) as error:  # includes binascii.Error
            self._refuse(url, f"malformed data: URI ({error})")
        return URLFetcherResponse(url, response.read(), {"Content-Type": response.headers["Content-Type"]})

    def _blob(self, url: str) -> URLFetcherResponse:
        key = url[len(STORAGE_SCHEME) + 1:]
        try:
            with self.blobs.open(key) as blob:
                body = blob.read()
        except (FileNotFoundError, ValueError):  # not stored, or not a blob key
            self._refuse(url, "no such stored file")
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": content_type})

    def _file(self, url: str) -> URLFetcherResponse:
        path = self.resolve(url)
        # O_NOFOLLOW: the resolved path names no symlink; refuse if one was
        # swapped in since.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                self._refuse(url, "not a regular file")
            body = file.read()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": content_type})

    def resolve(self, url: str) -> Path:
        """The file a ``file://`` URL names, if it may be served; else FetchRefused."""
        if _CONTROL.search(url) or "\\" in url:
            self._refuse(url, "control character or backslash in URL")
        parts = urlsplit(url)
        if parts.scheme.lower() != "file":
            self._refuse(url, "not a file: URL")
        if parts.netloc not in ("", "localhost"):
            self._refuse(url, "file: URL with a host")
        raw = parts.path
        if _ENCODED_SEPARATOR.search(raw):
            self._refuse(url, "encoded separator in path")
        try:
            decoded = unquote(raw, errors="strict")
        except UnicodeDecodeError:
            self._refuse(url, "path is not UTF-8")
        if "%" in decoded or "\\" in decoded or "\x00" in decoded:
            # A "%" left after one decoding is double encoding (%252e%252e).
            self._refuse(url, "double-encoded or ambiguous path")
        if not decoded.startswith("/"):
            self._refuse(url, "relative path")
        if any(segment in (".", "..") for segment in decoded.split("/")):
            self._refuse(url, "dot segment in path")
        try:
            path = Path(decoded).resolve(strict=True)
        except (OSError, RuntimeError):  # missing file, symlink loop
            self._refuse(url, "no such file")
        if not any(path.is_relative_to(root) for root in self.roots):
            self._refuse(url, "outside the allowed folders")
        if not path.is_file():
            self._refuse(url, "not a regular file")
        return path
