"""Our templates' HTML parsed by app.pdf.markup: the tree WeasyPrint's own parser builds, or a refusal."""
import re

import pytest
import tinyhtml5
from weasyprint import HTML

from app.pdf.markup import MarkupError, ParsedHTML, parse
from app.pdf.render import CSS_FOLDER, render_pdf_pages
from tests.trees import tree

SAMPLE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <title>案例集 &amp; 索引</title>
  <link rel="stylesheet" href="brochure.css">
  <style>.a > b { color: #123; }</style>
</head>
<body class="chapter">
  <section class="page" data-page="3" hidden>
    <h1 title="两行\r\n标题">智能质检 &lt;AI&gt; &#39;平台&#39;&nbsp;一</h1>
    <p class="summary">Windows 的换行\r\n和旧 Mac 的换行\r各读作一个换行</p>
    <p>第一行<br>第二行<img src="photo.jpg" alt="现场"></p>
    <pre>
保留的空白  两格</pre>
    <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" preserveAspectRatio="none" role="img">
      <title>分布 &amp; 数量</title>
      <defs><linearGradient id="g"><stop offset="0"/></linearGradient></defs>
      <rect x="1" y="1" width="8" height="8" fill="url(#g)"/>
      <text x="5" y="5" text-anchor="middle">5</text>
    </svg>
  </section>
</body>
</html>
"""


def html5(html: str):
    return tinyhtml5.parse(html, namespace_html_elements=False)


def test_well_formed_markup_makes_the_tree_html5_makes():
    ours = tree(parse(SAMPLE))
    assert ours == tree(html5(SAMPLE))
    # What HTML5 does beyond tokenizing, done the same: SVG names and attributes keep their case, in their
    # namespace; the newline after <pre> goes; entities are decoded; CR LF and CR read as LF; blanks before
    # <head> are dropped.
    nodes = [node[1:] for node in ours]
    svg = "{http://www.w3.org/2000/svg}"
    assert (f"{svg}linearGradient", {"id": "g"}, None, None) in nodes
    assert nodes[[node[0] for node in nodes].index(f"{svg}svg")][1]["viewBox"] == "0 0 10 10"
    assert ("pre", {}, "保留的空白  两格", "\n    ") in nodes
    assert ("h1", {"title": "两行\n标题"}, "智能质检 <AI> '平台'\xa0一", "\n    ") in nodes
    assert ("p", {"class": "summary"}, "Windows 的换行\n和旧 Mac 的换行\n各读作一个换行", "\n    ") in nodes
    assert ours[0] == (0, "html", {"lang": "zh-CN"}, None, None)


def document(body: str) -> str:
    return f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head><meta charset="utf-8"><title>t</title></head>\n' \
           f"<body>{body}</body>\n</html>\n"


@pytest.mark.parametrize("html, problem", [
    (document("<div><p>x</div>"), "</div> closes <p>"),
    (document("<div/>"), "<div/>, which HTML does not close"),
    ("<html><head></head><body><div>", "<div> is never closed"),
    ("hello<html><head></head><body></body></html>", "text outside <body>"),
    ("<html><head></head><body></body></html><p>x</p>", "<p> after </html>"),
    ("<html><body></body></html>", "<body> outside <head> and <body>"),
    ("<html><head></head>text<body></body></html>", "text outside <body>"),
    ("<html><head></head>\xa0<body></body></html>", "text outside <body>"),
    ('<html><head></head><link rel="x" href="y"><body></body></html>', "<link> outside <head> and <body>"),
    ("<html><head><img src='a.png'></head><body></body></html>", "<img> in <head>"),
    (document("<br></br>"), "</br>"),
    ("", "no <html>"),
    (document("a\x00b"), "NUL"),
    (document("<p><div>x</div></p>"), "<div> in <p>"),
    (document("<table><tr><td>x</td></tr></table>"), "<table>"),
    (document("<h1>a<h2>b</h2></h1>"), "<h2> in <h1>"),
    (document('<a href="#">a<a href="#">b</a></a>'), "<a> in <a>"),
    (document("<ul><li>a<li>b</li></li></ul>"), "<li> in <li>"),
    (document('<div class="a" class="b">x</div>'), "attribute twice"),
    (document("<div>a<!-- c -->b</div>"), "a comment"),
    (document('<img src="a.png?x=1&copy=2">'), "not a character reference"),
    (document('<div title="&notit;">x</div>'), "not a character reference"),
    (document("<p>&#x1;&#xFFFE;</p>"), "a character HTML5 reads otherwise"),
    (document("<svg><Rect x='1'/></svg>"), "<Rect> in SVG"),
    (document("<SVG></SVG>"), "<SVG> in SVG"),
    (document("<svg><p>x</p></svg>"), "<p> in SVG"),
    (document("<svg><title>a<b>c</b></title></svg>"), "<b> in an SVG <title>"),
    (document("<math><mi>x</mi></math>"), "<math>"),
    (document("<textarea>\nx</textarea>"), "<textarea>"),
    (document("<select><option>a</option></select>"), "<select>"),
    (document("<![CDATA[x]]>"), "a declaration"),
])
def test_markup_html5_would_parse_otherwise_is_refused(html, problem):
    with pytest.raises(MarkupError, match=re.escape(problem)):
        parse(html)


@pytest.mark.parametrize("body", [
    "<p><div>x</div></p>", "<table><tr><td>x</td></tr></table>", "<h1>a<h2>b</h2></h1>", "<ul><li>a<li>b</li></li></ul>",
    '<a href="#">a<a href="#">b</a></a>', '<div class="a" class="b">x</div>', "<div>a<!-- c -->b</div>",
    "<svg><foreignobject><p>x</p></foreignobject></svg>", '<svg><Rect x="1"/></svg>', "<SVG></SVG>",
    "<svg><p>x</p></svg>", '<svg xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="#a"/></svg>',
    '<svg><image href="a.png"/></svg>', '<image src="a.png">', "<math><mi>x</mi></math>", '<DIV CLASS="a">x</DIV>',
    "<svg><style>a{}</style></svg>", '<object><param name="a" value="b"></object>', "<textarea>\nx</textarea>",
    "<svg><title>a<b>c</b></title></svg>", "<noscript><p>x</p></noscript>", "<template><p>x</p></template>",
    "<pre>&#10;x</pre>", "<pre>\r\nx</pre>", "<button>a<button>b</button></button>", "<form><form></form></form>",
    "<nobr>a<nobr>b</nobr></nobr>", "<select><div>x</div></select>", "<dl><dd>a<dd>b</dd></dd></dl>",
    "<div><td>x</td></div>", '<img src="a.png?x=1&copy=2">', '<img src="a.png?x=1&amp;y=2" alt="&lt;&#34;&#39;">',
    "<style>a{}</STYLE>", "<p>a<span>b<em>c</em></span></p>", "<ol><li><p>a</p></li><li>b</li></ol>",
    "<figure><img src='a.png'><figcaption>说明</figcaption></figure>", "<h2><a href='#x'>标题</a></h2>",
    "line1\r\nline2\rline3", "<p title='a\r\nb'>x</p>", '<div title="&notit;">x</div>', "&#x1;x", "&#x80;&#0;&#13;",
    '<div title="&lt;x&gt;&amp;">x</div>', "&notit; &ltx", "&copy &copy; &amp &lt;", "😀 👨\u200d👩\u200d👧 𠀀 \ufeff",
])
def test_markup_is_parsed_as_html5_would_or_refused(body):
    html = document(body)
    try:
        ours = parse(html)
    except MarkupError:
        return
    assert tree(ours) == tree(html5(html))


def test_the_document_has_what_weasyprint_s_own_parsing_sets():
    ours = ParsedHTML(SAMPLE, base_url="file:///styles/", url_fetcher=None)
    theirs = HTML(string=SAMPLE, base_url="file:///styles/", url_fetcher=None)
    assert set(vars(ours)) == set(vars(theirs))
    assert (ours.base_url, ours.media_type) == (theirs.base_url, theirs.media_type)
    assert type(ours.url_fetcher) is type(theirs.url_fetcher)
    # A path as the base is made a URL, as WeasyPrint makes it.
    assert ParsedHTML(SAMPLE, base_url="/styles/").base_url == HTML(string=SAMPLE, base_url="/styles/").base_url
    assert tree(ours.etree_element) == tree(theirs.etree_element)
    assert ours.wrapper_element.etree_element is ours.etree_element
    with pytest.raises(MarkupError, match="<base>"):
        ParsedHTML(SAMPLE.replace("<head>", '<head><base href="https://elsewhere.example/">'), base_url="file:///",
                   url_fetcher=None)


def test_markup_it_refuses_is_printed_by_weasyprint_s_parser_with_a_warning(caplog):
    broken = "<!DOCTYPE html><html><head></head><body><div><p>未闭合的段落</div></body></html>"
    data, count = render_pdf_pages(broken, base_url=CSS_FOLDER.as_uri() + "/", stylesheets=[],
                                   allowed_roots=[CSS_FOLDER], own_markup=True)
    assert data.startswith(b"%PDF") and count == 1
    assert "PDF markup left to WeasyPrint's HTML5 parser: </div> closes <p>" in caplog.text
