"""Rendering HTML to PDF with the locked fetcher: the one way this project makes PDFs."""
import functools
import logging
import os
from pathlib import Path

from weasyprint import CSS, HTML
from weasyprint.css.counters import CounterStyle
from weasyprint.text.fonts import FontConfiguration

from app.pdf import arrays
from app.pdf.fetcher import LockedFetcher
from app.pdf.markup import MarkupError, ParsedHTML
from app.storage import BlobStorage

# Our stylesheets for PDFs; this folder is one of the fetcher's allowed roots.
CSS_FOLDER = Path(__file__).resolve().parent.parent / "static" / "pdf"
logger = logging.getLogger(__name__)


def render_pdf(html: str, *, base_url: str, stylesheets: list[Path], allowed_roots: list[Path],
               blobs: BlobStorage | None = None) -> bytes:
    """The PDF of ``html`` (:func:`render_pdf_pages` without the page count)."""
    return render_pdf_pages(html, base_url=base_url, stylesheets=stylesheets, allowed_roots=allowed_roots,
                            blobs=blobs)[0]


def render_pdf_pages(html: str, *, base_url: str, stylesheets: list[Path], allowed_roots: list[Path],
                     blobs: BlobStorage | None = None, full_fonts: bool = False,
                     shared_css: str | None = None, own_markup: bool = False) -> tuple[bytes, int]:
    """The PDF of ``html`` and its page count, its stylesheets and resources
    read through a LockedFetcher. The count comes from the rendered document
    (reading the PDF again to count its pages costs more than writing it).

    ``base_url`` resolves relative URLs in the document (e.g. the CSS folder's
    ``file://`` URL). ``stylesheets`` are loaded through the fetcher too, so
    each must lie below one of ``allowed_roots``: a stylesheet it refuses
    raises (``weasyprint.urls.URLFetchingError``) instead of silently
    rendering an unstyled PDF. Resources the document names that the fetcher
    refuses (an image outside the roots, any ``http:`` URL) are left out and
    logged.

    The metadata comes from the HTML: ``<title>`` (Title), ``<meta name=author>``
    (Author), ``<meta name=generator>`` (Creator), ``<meta name=dcterms.created>``
    (CreationDate) and ``<html lang>`` (Lang). ``full_fonts``: embed the
    fonts whole instead of subsets of the glyphs printed (for fonts already
    cut to a document's characters, which the parts of one document share).

    ``shared_css`` (e.g. ``@font-face`` rules): with it, the stylesheets,
    these rules and the font configuration are made once in this process and
    reused by every later call with the same stylesheets, roots and rules
    (parsing the stylesheet and loading the fonts is a third of rendering a
    short document). For documents rendered in series, such as the parts
    of one brochure; never with ``blobs``.

    ``own_markup``: ``html`` is our templates' well-formed markup, parsed by
    :mod:`app.pdf.markup` (five times faster than WeasyPrint's HTML5 parser);
    markup it refuses, which HTML5 would repair, is left to WeasyPrint's
    parser, with a warning in the log.
    """
    arrays.install()
    fetcher = LockedFetcher(allowed_roots, blobs=blobs)
    if shared_css is not None and blobs is None:
        font_config, counter_style, styles = _shared_styles(
            stylesheets_key(stylesheets), tuple(str(root) for root in allowed_roots), shared_css, os.getpid())
    else:
        font_config, counter_style, styles = _styles(stylesheets, fetcher, "")
    document = _source(html, base_url, fetcher, own_markup).render(
        stylesheets=styles, font_config=font_config, counter_style=counter_style)
    return document.write_pdf(full_fonts=full_fonts), len(document.pages)


def _source(html: str, base_url: str, fetcher: LockedFetcher, own_markup: bool) -> HTML:
    if own_markup:
        try:
            return ParsedHTML(html, base_url=base_url, url_fetcher=fetcher)
        except MarkupError as error:
            # A document must print all the same: WeasyPrint's own parser repairs it, more slowly.
            logger.warning("PDF markup left to WeasyPrint's HTML5 parser: %s", error)
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher)


def _styles(stylesheets: list[Path], fetcher: LockedFetcher, extra_css: str, font_config=None):
    # Shared by the stylesheets and the document, so that their @font-face
    # and @counter-style rules apply.
    font_config = FontConfiguration() if font_config is None else font_config
    counter_style = CounterStyle()
    styles = [
        CSS(url=Path(path).resolve().as_uri(), url_fetcher=fetcher, font_config=font_config, counter_style=counter_style)
        for path in stylesheets
    ]
    if extra_css:
        styles.insert(0, CSS(string=extra_css, url_fetcher=fetcher, font_config=font_config,
                             counter_style=counter_style))
    return font_config, counter_style, styles


def stylesheets_key(stylesheets: list[Path]) -> tuple[tuple[str, int], ...]:
    """What the kept styles of ``stylesheets`` are kept under: each file and its version (mtime)."""
    return tuple((str(Path(path).resolve()), Path(path).stat().st_mtime_ns) for path in stylesheets)


@functools.lru_cache(maxsize=4)
def _shared_styles(stylesheets: tuple[tuple[str, int], ...], roots: tuple[str, ...], extra_css: str, pid: int):
    """:func:`_styles`, kept: per process (``pid``: a forked child makes its
    own font configuration), per version of the stylesheets (their mtime) and
    per extra rules. The stylesheets are parsed once for all extra rules
    (:func:`_parsed_stylesheets`) when they declare no fonts or counter
    styles of their own: a brochure whose fonts were cut again, for one
    scenario's new characters, then parses only its ``@font-face`` rules
    (parsing the brochure's stylesheet is 20–25 ms)."""
    fetcher = LockedFetcher([Path(root) for root in roots])
    parsed = _parsed_stylesheets(stylesheets, roots)
    if parsed is None:
        return _styles([Path(path) for path, _mtime in stylesheets], fetcher, extra_css)
    font_config, counter_style, extra = _styles([], fetcher, extra_css)
    return font_config, counter_style, (*extra, *parsed)


class _Declarations(FontConfiguration):
    """A font configuration that notes whether a stylesheet declared a font in it."""

    declared = False

    def add_font_face(self, rule_descriptors, url_fetcher):
        self.declared = True
        return super().add_font_face(rule_descriptors, url_fetcher)


@functools.lru_cache(maxsize=4)
def _parsed_stylesheets(stylesheets: tuple[tuple[str, int], ...], roots: tuple[str, ...]) -> tuple[CSS, ...] | None:
    """The stylesheets parsed, per version (their mtime), when they declare no
    ``@font-face`` or ``@counter-style`` rule (None otherwise): those register
    with the font configuration and counter styles they are parsed with, and
    parsed rules keep nothing else of them, so they serve with any (and a
    forked process may reuse them)."""
    declarations, counter_style, parsed = _styles([Path(path) for path, _mtime in stylesheets],
                                                  LockedFetcher([Path(root) for root in roots]), "", _Declarations())
    return None if declarations.declared or counter_style else tuple(parsed)
