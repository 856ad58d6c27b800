"""Uploaded PDF attachments: checking them, naming them safely, the copy
without document metadata that blind review serves, and their text."""
import io
import re
import unicodedata

import pikepdf

from app.errors import DomainError
from app.i18n import lazy_gettext as _l


def check_pdf(data: bytes) -> int:
    """The number of pages of a real, readable PDF; DomainError otherwise."""
    # pypdf is imported where a PDF is read: 14 MB and 0.14 s in every process
    # that loads the app (web workers, brochure builds) otherwise.
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

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


class UnreadableDocument(DomainError):
    """A stored PDF that cannot be rewritten (too damaged to open)."""

    status_code = 422

    def __init__(self):
        super().__init__(_l(
            "This attachment is damaged: a copy without its document properties (author, title…) cannot be made, "
            "so it is not shown in blind review. The chair has the original."
        ))


# Keys that name people or organisations wherever they appear: XMP packets
# (on the catalog, pages, images, fonts) and applications' private data.
_METADATA_KEYS = ("/Metadata", "/PieceInfo")


def _strip_annotations(page) -> None:
    """Remove comment authors (``/T`` of non-widget annotations) and embedded-file annotations."""
    annotations = page.obj.get("/Annots")
    if not isinstance(annotations, pikepdf.Array):
        return
    kept = pikepdf.Array()
    for annotation in annotations:
        if not isinstance(annotation, pikepdf.Dictionary):
            continue
        subtype = annotation.get("/Subtype")
        if subtype == pikepdf.Name.FileAttachment:
            continue
        if subtype != pikepdf.Name.Widget:
            for key in ("/T", *_METADATA_KEYS):
                if key in annotation:
                    del annotation[key]
        kept.append(annotation)
    page.obj.Annots = kept


def strip_metadata(data: bytes) -> bytes:
    """A copy of the PDF ``data`` without what tells who made it: the document
    information dictionary (Title, Author, Subject, Keywords, Creator,
    Producer, dates, custom keys), every XMP ``/Metadata`` stream (of the
    catalog, pages, images, fonts), applications' ``/PieceInfo``, comment
    authors, embedded files (name tree, file attachment annotations,
    associated files) and signature values (a signer's certificate names
    them); earlier revisions of an incrementally saved file go too, since only
    what the current document uses is written. The pages themselves are
    unchanged.

    Deterministic: the same input gives the same bytes (so a copy made twice
    is stored once). :class:`UnreadableDocument` when qpdf cannot open the
    file even with its repair of damaged cross-reference tables.
    """
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            root = pdf.Root
            for key in ("/AF", "/Perms", "/Collection"):
                if key in root:
                    del root[key]
            names = root.get("/Names")
            if isinstance(names, pikepdf.Dictionary) and "/EmbeddedFiles" in names:
                del names["/EmbeddedFiles"]
            for obj in pdf.objects:
                if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                    continue
                for key in (*_METADATA_KEYS, "/AF"):
                    if key in obj:
                        del obj[key]
                if obj.get("/FT") == pikepdf.Name.Sig and "/V" in obj:
                    del obj["/V"]
            for key in _METADATA_KEYS:
                if key in root:
                    del root[key]
            for page in pdf.pages:
                for key in (*_METADATA_KEYS, "/AF"):
                    if key in page.obj:
                        del page.obj[key]
                _strip_annotations(page)
            out = io.BytesIO()
            pdf.save(out, deterministic_id=True, fix_metadata_version=False)
    except (pikepdf.PdfError, pikepdf.PasswordError, ValueError, TypeError, RecursionError) as error:
        raise UnreadableDocument() from error
    return out.getvalue()


def page_texts(data: bytes, *, max_pages: int, max_chars: int) -> list[str]:
    """The text of the PDF's first ``max_pages`` pages (pypdf), at most
    ``max_chars`` characters in all; what was read before a damaged page
    stops the reading (an unreadable file gives no text)."""
    from pypdf import PdfReader  # here, not at the top: see check_pdf

    texts: list[str] = []
    budget = max_chars
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        for page in reader.pages[:max_pages]:
            text = (page.extract_text() or "")[:budget]
            texts.append(text)
            budget -= len(text)
            if budget <= 0:
                break
    except Exception:  # noqa: BLE001 — pypdf fails on damaged files in many ways; the text read so far stands
        pass
    return texts
