"""Checking uploaded PDF attachments and naming them safely."""
import io
import re
import unicodedata

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from app.errors import DomainError
from app.i18n import lazy_gettext as _l


def check_pdf(data: bytes) -> int:
    """The number of pages of a real, readable PDF; DomainError otherwise."""
    if not data.lstrip()[:5] == b"%PDF-":
        raise DomainError(_l("This file is not a PDF document."))
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DomainError(_l("The PDF is password-protected. Please upload a version without a password."))
        pages = len(reader.pages)
    except DomainError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError):
        raise DomainError(_l("The PDF file is damaged or incomplete and cannot be read.")) from None
    if pages < 1:
        raise DomainError(_l("The PDF has no pages."))
    return pages


def safe_filename(name: str, *, suffix: str, limit: int = 100) -> str:
    """A display file name without paths, control characters or odd quotes,
    ending in ``suffix`` (the name is only ever shown and sent back in a
    Content-Disposition header; files are stored under their content hash)."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r'[\x00-\x1f\x7f"<>:|?*;]', "", name).strip(" .")
    stem = name[: -len(suffix)] if name.lower().endswith(suffix) else name
    stem = stem[: limit - len(suffix)] or "document"
    return stem + suffix
