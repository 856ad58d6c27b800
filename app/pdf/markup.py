"""Our own templates' HTML as a WeasyPrint document, parsed five times faster.

WeasyPrint parses HTML with tinyhtml5, a pure-Python HTML5 parser: about a
twentieth of a brochure part's CPU time (20 ms of a nine-page chapter part).
The brochure's markup is our templates' own, with every tag closed and every
user text escaped, so the standard library's ``html.parser`` (its tokenizer is
regular expressions) builds the same tree in a fifth of the time.

It builds only what the markup says, and only where that is what HTML5 builds
too: the elements of :data:`HTML_ELEMENTS` and :data:`SVG_ELEMENTS`, every tag
closed where it was opened, none of the nestings HTML5 takes apart (a block in
a ``<p>``, a heading in a heading, a link in a link, a list item in a list
item), nothing between ``</head>`` and ``<body>``, no comments, no duplicate
attributes, no ``&`` in an attribute that is not a whole character reference.
Anything else raises :class:`MarkupError`, and :mod:`app.pdf.render` leaves
that document to WeasyPrint's parser. A parsed document is styled with
``static/pdf/markup-ua.css``, WeasyPrint's user-agent stylesheet cut to these
elements (its header says why). ``tests/unit/test_pdf_markup.py``
checks that markup is either refused or parsed to tinyhtml5's tree, node by
node; ``tests/integration/test_brochure_parts.py`` that every part of a
brochure is parsed, to the same tree.
"""
import functools
import re
import xml.etree.ElementTree as ET
from html import unescape
from html.entities import html5 as html5_entities
from html.parser import HTMLParser
from pathlib import Path

import cssselect2
from tinyhtml5.constants import adjust_foreign_attributes, adjust_svg_attributes, namespaces
from weasyprint import CSS, HTML
from weasyprint.html import UA_FORM_STYLESHEET
from weasyprint.urls import URLFetcher, ensure_url

#: Elements without content or end tag (HTML's void elements).
VOID_ELEMENTS = frozenset(("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                           "track", "wbr"))
#: The HTML elements parsed here: none of them has content HTML5 parses in a mode of its own
#: (tables, forms, raw text other than <style>), and :data:`CLOSES_P` and :data:`NOT_NESTED`
#: cover the nestings among them that HTML5 takes apart.
HTML_ELEMENTS = frozenset((
    "html", "head", "body", "meta", "link", "style", "title", "div", "span", "section", "article", "header",
    "footer", "main", "nav", "aside", "h1", "h2", "h3", "h4", "h5", "h6", "p", "a", "img", "br", "strong", "em",
    "b", "i", "small", "sub", "sup", "figure", "figcaption", "ul", "ol", "li", "pre", "svg"))
#: Start tags before which HTML5 closes an open <p> (of :data:`HTML_ELEMENTS`).
CLOSES_P = frozenset(("div", "section", "article", "header", "footer", "main", "nav", "aside", "h1", "h2", "h3",
                      "h4", "h5", "h6", "p", "figure", "figcaption", "ul", "ol", "li", "pre"))
#: Elements HTML5 closes when one of these starts inside them: a link, a list item, a heading.
NOT_NESTED = {"a": ("a",), "li": ("li",), **{f"h{level}": tuple(f"h{n}" for n in range(1, 7)) for level in range(1, 7)}}
HEAD_ELEMENTS = frozenset(("meta", "link", "style", "title"))
SVG_NAMESPACE = namespaces["svg"]
#: SVG elements parsed here, in their case (HTML5 gives these names their case back).
SVG_ELEMENTS = frozenset(("svg", "g", "rect", "circle", "ellipse", "line", "polyline", "polygon", "path", "text",
                          "tspan", "title", "desc", "defs", "linearGradient", "radialGradient", "stop", "clipPath",
                          "use", "symbol", "marker", "pattern", "mask", "image"))
#: SVG elements whose content would be HTML again (HTML5's integration points): text only here.
SVG_TEXT_ONLY = frozenset(("title", "desc"))
#: Foreign attributes with a namespace (``xlink:href``, ``xmlns``…) as ElementTree names them.
FOREIGN_ATTRIBUTES = {name: f"{{{namespace}}}{local}" for name, (_prefix, local, namespace)
                      in adjust_foreign_attributes.items()}
#: HTML's blanks (not Unicode's: a no-break space between </head> and <body> is text to HTML5).
BLANKS = " \t\n\f\r"
#: An ``&`` in a start tag that is not a whole character reference: HTML5 and html.parser read
#: ``&copy=2`` in an attribute differently.
LOOSE_AMPERSAND = re.compile(r"&(?!#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")
NAMED_REFERENCE = re.compile(r"&([A-Za-z][A-Za-z0-9]*;)")
NUMERIC_REFERENCE = re.compile(r"&#(?:[0-9]+|[xX][0-9a-fA-F]+);?")
#: The user-agent stylesheet of a parsed document.
UA_FILE = Path(__file__).resolve().parent.parent / "static" / "pdf" / "markup-ua.css"


class MarkupError(ValueError):
    """The HTML is not markup this module parses as HTML5 would (see the module's docstring)."""


class _TreeParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.builder = ET.TreeBuilder()
        #: The open elements: (lower-case name, as built) — an SVG element's name has its namespace and case.
        self.open: list[tuple[str, str]] = []
        self.opened: dict[str, int] = {}  # how many of each HTML element are open
        self.root_seen = self.head_done = False
        self.pre_opened = False  # HTML drops a newline right after <pre>
        self.after_root = ""  # blanks after </html>, which HTML5 puts in <body>

    def error(self, message: str):
        raise MarkupError(f"{message} at line {self.getpos()[0]}")

    def handle_starttag(self, tag, attrs):
        if not self.open and self.root_seen:
            self.error(f"<{tag}> after </html>")
        self.root_seen = True
        attributes = {name: "" if value is None else value for name, value in attrs}
        if len(attributes) < len(attrs):
            self.error(f"<{tag}> with an attribute twice")
        written = self.get_starttag_text()
        if "&" in written and (LOOSE_AMPERSAND.search(written) or any(
                name not in html5_entities for name in NAMED_REFERENCE.findall(written))):
            self.error(f"<{tag}> with an & that is not a character reference")
        if self._in_svg(tag):
            # HTML5 gives an SVG element's name its case (linearGradient) and camel-cases its attributes (viewBox).
            written = written[1:1 + len(tag)]
            if written not in SVG_ELEMENTS:
                self.error(f"<{written}> in SVG")
            name = f"{{{SVG_NAMESPACE}}}{written}"
            attributes = {FOREIGN_ATTRIBUTES.get(key, adjust_svg_attributes.get(key, key)): value
                          for key, value in attributes.items()}
        else:
            self._check_html(tag)
            name = tag
        self.builder.start(name, attributes)
        if name in VOID_ELEMENTS:
            self.builder.end(name)
        else:
            self.open.append((tag, name))
            self.opened[name] = self.opened.get(name, 0) + 1
        self.pre_opened = tag == "pre"

    def _check_html(self, tag: str) -> None:
        if tag not in HTML_ELEMENTS:
            self.error(f"<{tag}>")
        depth = len(self.open)
        if depth == 1 and tag != ("body" if self.head_done else "head"):
            self.error(f"<{tag}> outside <head> and <body>")
        if depth == 2 and self.open[1][0] == "head" and tag not in HEAD_ELEMENTS:
            self.error(f"<{tag}> in <head>")
        if tag in CLOSES_P and self.opened.get("p"):
            self.error(f"<{tag}> in <p>")
        for group in NOT_NESTED.get(tag, ()):
            if self.opened.get(group):
                self.error(f"<{tag}> in <{group}>")

    def _in_svg(self, tag: str) -> bool:
        if not self.open:
            return False
        namespace, _, parent = self.open[-1][1].rpartition("}")
        if namespace == f"{{{SVG_NAMESPACE}":
            if parent in SVG_TEXT_ONLY:
                self.error(f"<{tag}> in an SVG <{parent}>")
            return True
        return tag == "svg"

    def handle_startendtag(self, tag, attrs):
        svg = self._in_svg(tag)
        if not svg and tag not in VOID_ELEMENTS:
            self.error(f"<{tag}/>, which HTML does not close")
        self.handle_starttag(tag, attrs)
        if svg:  # SVG closes it, as XML does
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        self.pre_opened = False
        if not self.open or self.open[-1][0] != tag:
            self.error(f"</{tag}> closes <{self.open[-1][0] if self.open else 'nothing'}>")
        self.head_done = self.head_done or tag == "head"
        name = self.open.pop()[1]
        self.opened[name] -= 1
        self.builder.end(name)

    def handle_data(self, data):
        if self.pre_opened and data.startswith("\n"):
            data = data[1:]
        self.pre_opened = False
        depth = len(self.open)
        if (depth < 2 or depth == 2 and self.open[1][0] == "head") and data.strip(BLANKS):
            self.error("text outside <body>")
        if not depth:  # before <html> or after </html>
            self.after_root += data if self.root_seen else ""
            return
        self.builder.data(data)

    def handle_comment(self, data):
        self.error("a comment")

    def handle_pi(self, data):
        self.error("a processing instruction")

    def unknown_decl(self, data):
        self.error("a declaration")


def parse(html: str) -> ET.Element:
    """The ``<html>`` element of ``html``, as tinyhtml5 builds it (without namespaces
    for HTML). Raises :class:`MarkupError` for markup outside what this module
    parses (see its docstring)."""
    if "\x00" in html:
        raise MarkupError("a NUL character")  # HTML5 drops or replaces it, by where it stands
    for reference in set(NUMERIC_REFERENCE.findall(html)):
        if not unescape(reference):  # html.parser drops a control or non-character HTML5 keeps
            raise MarkupError(f"{reference}: a character HTML5 reads otherwise")
    parser = _TreeParser()
    parser.feed(html.replace("\r\n", "\n").replace("\r", "\n"))  # as HTML5 reads its input
    parser.close()
    if parser.open:
        raise MarkupError(f"<{parser.open[-1][0]}> is never closed")
    if not parser.root_seen:
        raise MarkupError("no <html> element")
    root = parser.builder.close()
    if root.tag != "html" or [child.tag for child in root] != ["head", "body"]:
        raise MarkupError("the document is not <html> with a <head> and a <body>")
    head, body = root
    if ((root.text or "") + (head.tail or "") + (body.tail or "")).strip(BLANKS):
        raise MarkupError("text outside <head> and <body>")
    # HTML5 ignores the blanks before <head>, and puts those after </body> at its end.
    trailing = (body.tail or "") + parser.after_root
    root.text = body.tail = None
    if trailing and len(body):
        body[-1].tail = (body[-1].tail or "") + trailing
    elif trailing:
        body.text = (body.text or "") + trailing
    return root


class ParsedHTML(HTML):
    """A WeasyPrint :class:`~weasyprint.HTML` document made from :func:`parse`'s tree.

    ``HTML.__init__`` reads and parses its source with tinyhtml5; this sets the
    same attributes from our tree instead (the tests compare them). Its
    user-agent stylesheet is :data:`UA_FILE`, which prints our markup as
    WeasyPrint's own does, in less time (the tests compare the pages)."""

    def __init__(self, html: str, *, base_url: str, url_fetcher=None, media_type: str = "print"):
        root = parse(html)  # refuses <base>: the base is base_url alone
        self.base_url = ensure_url(str(base_url))
        self.url_fetcher = URLFetcher() if url_fetcher is None else url_fetcher
        self.media_type = media_type
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
        self.etree_element = self.wrapper_element.etree_element

    def _ua_stylesheets(self, forms=False):
        return [_ua_stylesheet(), UA_FORM_STYLESHEET] if forms else [_ua_stylesheet()]


@functools.cache
def _ua_stylesheet() -> CSS:
    """``markup-ua.css``, parsed once per process (as WeasyPrint parses its own)."""
    return CSS(string=UA_FILE.read_text(encoding="utf-8"))
