"""Our own templates' HTML as a WeasyPrint document, parsed five times faster.

WeasyPrint parses HTML with tinyhtml5, a pure-Python HTML5 parser: about a
twentieth of a brochure part's CPU time (20 ms of a nine-page chapter part).
The brochure's markup is our templates' own, with every tag closed and every
user text escaped, so the standard library's ``html.parser`` (its tokenizer is
regular expressions) builds the same tree in a fifth of the time. It builds
only what the markup says: a tag that closes another than the one open, or
text outside ``<head>`` and ``<body>``, raises :class:`MarkupError` rather than
being repaired as an HTML5 parser would (``tests/unit/test_pdf_markup.py``
checks the trees are equal to tinyhtml5's for every page of a brochure).
"""
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import cssselect2
from tinyhtml5.constants import adjust_foreign_attributes, adjust_svg_attributes, namespaces
from weasyprint import HTML

#: Elements without content or end tag (HTML's void elements).
VOID_ELEMENTS = frozenset(("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                           "track", "wbr"))
SVG_NAMESPACE = namespaces["svg"]
#: SVG elements whose content is HTML again (HTML5's integration points).
SVG_HTML_POINTS = frozenset(("foreignObject", "desc", "title"))
#: Foreign attributes with a namespace (``xlink:href``, ``xmlns``…) as ElementTree names them.
FOREIGN_ATTRIBUTES = {name: f"{{{namespace}}}{local}" for name, (_prefix, local, namespace)
                      in adjust_foreign_attributes.items()}


class MarkupError(ValueError):
    """The HTML is not well formed enough to be parsed without HTML5's repairs."""


class _TreeParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.builder = ET.TreeBuilder()
        #: The open elements: (lower-case name, as built) — an SVG element's name has its namespace and case.
        self.open: list[tuple[str, str]] = []
        self.root_seen = False
        self.pre_opened = False  # HTML drops a newline right after <pre>
        self.after_root = ""  # blanks after </html>, which HTML5 puts in <body>

    def handle_starttag(self, tag, attrs):
        if not self.open and self.root_seen:
            raise MarkupError(f"<{tag}> after </html>")
        self.root_seen = True
        attributes = {name: "" if value is None else value for name, value in attrs}
        name = tag
        if self._in_svg(tag):
            # HTML5 keeps an SVG element's case (linearGradient) and camel-cases its attributes (viewBox).
            name = f"{{{SVG_NAMESPACE}}}{self.get_starttag_text()[1:1 + len(tag)]}"
            attributes = {FOREIGN_ATTRIBUTES.get(key, adjust_svg_attributes.get(key, key)): value
                          for key, value in attributes.items()}
        self.builder.start(name, attributes)
        if tag in VOID_ELEMENTS and name == tag:
            self.builder.end(name)
        else:
            self.open.append((tag, name))
        self.pre_opened = tag == "pre"

    def _in_svg(self, tag: str) -> bool:
        if tag == "svg":
            return True
        if not self.open:
            return False
        parent = self.open[-1][1]
        return parent.startswith(f"{{{SVG_NAMESPACE}}}") and parent.split("}")[1] not in SVG_HTML_POINTS

    def handle_startendtag(self, tag, attrs):
        svg = self._in_svg(tag)
        if not svg and tag not in VOID_ELEMENTS:
            raise MarkupError(f"<{tag}/> at line {self.getpos()[0]}: HTML does not close it")
        self.handle_starttag(tag, attrs)
        if svg:  # SVG closes it, as XML does
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        self.pre_opened = False
        if not self.open or self.open[-1][0] != tag:
            raise MarkupError(f"</{tag}> closes <{self.open[-1][0] if self.open else 'nothing'}> "
                              f"at line {self.getpos()[0]}")
        self.builder.end(self.open.pop()[1])

    def handle_data(self, data):
        if self.pre_opened and data.startswith("\n"):
            data = data[1:]
        self.pre_opened = False
        if not self.open:  # before <html> or after </html>
            if data.strip():
                raise MarkupError(f"text {'after </html>' if self.root_seen else 'before <html>'}")
            self.after_root += data if self.root_seen else ""
            return
        self.builder.data(data)


def parse(html: str) -> ET.Element:
    """The ``<html>`` element of ``html``, as tinyhtml5 builds it for well-formed markup
    (without namespaces). Raises :class:`MarkupError` where it would have to repair it."""
    if "\x00" in html:
        raise MarkupError("a NUL character")  # HTML5 drops or replaces it, by where it stands
    parser = _TreeParser()
    parser.feed(html.replace("\r\n", "\n").replace("\r", "\n"))  # as HTML5 reads its input
    parser.close()
    if parser.open:
        raise MarkupError(f"<{parser.open[-1]}> is never closed")
    if not parser.root_seen:
        raise MarkupError("no <html> element")
    root = parser.builder.close()
    if root.tag != "html" or [child.tag for child in root] != ["head", "body"]:
        raise MarkupError("the document is not <html> with a <head> and a <body>")
    head, body = root
    if ((root.text or "") + (head.tail or "") + (body.tail or "")).strip():
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
    same attributes from our tree instead (the test compares them)."""

    def __init__(self, html: str, *, base_url: str, url_fetcher, media_type: str = "print"):
        root = parse(html)
        base = root.find("head/base")
        if base is not None:
            raise MarkupError("<base> is not supported: pass base_url")
        self.base_url = base_url
        self.url_fetcher = url_fetcher
        self.media_type = media_type
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
        self.etree_element = self.wrapper_element.etree_element
