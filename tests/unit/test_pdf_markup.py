"""Our templates' HTML parsed by app.pdf.markup: the tree WeasyPrint's own parser builds, or a refusal."""
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
    # namespace; the newline after <pre> goes; entities are decoded; blanks before <head> are dropped.
    svg = "{http://www.w3.org/2000/svg}"
    assert (f"{svg}linearGradient", {"id": "g"}, None, None) in ours
    assert ours[[node[0] for node in ours].index(f"{svg}svg")][1]["viewBox"] == "0 0 10 10"
    assert ("pre", {}, "保留的空白  两格", "\n    ") in ours
    assert ("h1", {"title": "两行\n标题"}, "智能质检 <AI> '平台'\xa0一", "\n    ") in ours
    assert ("p", {"class": "summary"}, "Windows 的换行\n和旧 Mac 的换行\n各读作一个换行", "\n    ") in ours
    assert ours[0] == ("html", {"lang": "zh-CN"}, None, None)


@pytest.mark.parametrize("html, problem", [
    ("<html><head></head><body><div><p>x</div></body></html>", "closes <p>"),
    ("<html><head></head><body><div/></body></html>", "does not close it"),
    ("<html><head></head><body><div></body></html>", "closes <div>"),
    ("<html><head></head><body><div>", "never closed"),
    ("hello<html><head></head><body></body></html>", "text before"),
    ("<html><head></head><body></body></html><p>x</p>", "after </html>"),
    ("<html><body></body></html>", "<head> and a <body>"),
    ("<html><head></head>text<body></body></html>", "outside <head> and <body>"),
    ("<html><head></head><body><br></br></body></html>", "</br>"),
    ("", "no <html>"),
    ("<html><head></head><body>a\x00b</body></html>", "NUL"),
])
def test_markup_html5_would_repair_is_refused(html, problem):
    with pytest.raises(MarkupError, match=problem):
        parse(html)


def test_the_document_has_what_weasyprint_s_own_parsing_sets():
    ours = ParsedHTML(SAMPLE, base_url="file:///styles/", url_fetcher=None)
    theirs = HTML(string=SAMPLE, base_url="file:///styles/", url_fetcher=None)
    assert set(vars(ours)) == set(vars(theirs))
    assert (ours.base_url, ours.media_type, ours.url_fetcher) == (theirs.base_url, theirs.media_type, None)
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
