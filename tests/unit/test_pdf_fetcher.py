"""The locked URL fetcher of every PDF: local files below the allowed roots and data: URIs, nothing else."""
import base64
import io
import logging
import socket
from pathlib import Path

import pytest
from pypdf import PdfReader
from weasyprint.urls import URLFetchingError

from app.pdf.fetcher import FetchRefused, LockedFetcher
from app.pdf.render import render_pdf

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture
def tree(tmp_path):
    """allowed/ (photo.png, style.css, a symlink out, a symlink in), outside/secret.txt."""
    allowed = tmp_path / "allowed"
    outside = tmp_path / "outside"
    (allowed / "sub").mkdir(parents=True)
    outside.mkdir()
    (allowed / "photo.png").write_bytes(PNG)
    (allowed / "style.css").write_text("p { color: red }")
    (allowed / "sub" / "deep.txt").write_text("deep")
    (outside / "secret.txt").write_text("secret")
    (allowed / "leak.txt").symlink_to(outside / "secret.txt")
    (allowed / "leakdir").symlink_to(outside, target_is_directory=True)
    (allowed / "alias.png").symlink_to(allowed / "photo.png")
    return allowed, outside


@pytest.fixture
def fetcher(tree):
    return LockedFetcher([tree[0]])


def test_serves_a_file_below_a_root_with_its_content_type(fetcher, tree):
    allowed, _ = tree
    image = fetcher.fetch((allowed / "photo.png").as_uri())
    css = fetcher.fetch((allowed / "style.css").as_uri())
    deep = fetcher.fetch((allowed / "sub" / "deep.txt").as_uri())
    assert (image.read(), image.content_type) == (PNG, "image/png")
    assert (css.read(), css.content_type) == (b"p { color: red }", "text/css")
    assert deep.read() == b"deep"


def test_serves_a_symlink_that_stays_inside_the_root(fetcher, tree):
    assert fetcher.fetch((tree[0] / "alias.png").as_uri()).read() == PNG


def test_ignores_fragments_and_queries_and_decodes_plain_escapes(fetcher, tree):
    allowed, _ = tree
    (allowed / "with space.txt").write_text("spaced")
    assert fetcher.fetch(allowed.as_uri() + "/with%20space.txt?v=1#frag").read() == b"spaced"
    assert fetcher.fetch("file://localhost" + str(allowed / "photo.png")).read() == PNG


def test_serves_data_uris():
    fetcher = LockedFetcher([])
    image = fetcher.fetch("data:image/png;base64," + base64.b64encode(PNG).decode())
    text = fetcher.fetch("data:text/plain;charset=utf-8,%E4%B8%AD%E6%96%87")
    assert (image.read(), image.content_type) == (PNG, "image/png")
    assert (text.read().decode(), text.content_type) == ("中文", "text/plain")


def _refusals(allowed: Path, outside: Path) -> dict[str, str]:
    root = allowed.as_uri()
    return {
        "file outside the roots": (outside / "secret.txt").as_uri(),
        "system file": "file:///etc/passwd",
        "dot-dot traversal": f"{root}/../outside/secret.txt",
        "dot-dot traversal inside the root": f"{root}/sub/../photo.png",
        "single dot segment": f"{root}/./photo.png",
        "percent-encoded dot-dot": f"{root}/%2e%2e/outside/secret.txt",
        "upper-case percent-encoded dot-dot": f"{root}/%2E%2E/outside/secret.txt",
        "half-encoded dot-dot": f"{root}/.%2e/outside/secret.txt",
        "encoded slash": f"{root}%2f..%2foutside%2fsecret.txt",
        "double-encoded dot-dot": f"{root}/%252e%252e/outside/secret.txt",
        "double-encoded slash": f"{root}/..%252foutside%252fsecret.txt",
        "backslash": f"{root}/..\\outside\\secret.txt",
        "encoded backslash": f"{root}/..%5coutside%5csecret.txt",
        "encoded NUL": f"{root}/photo.png%00.txt",
        "overlong UTF-8 dot": f"{root}/%c0%ae%c0%ae/outside/secret.txt",
        "symlink to a file outside": f"{root}/leak.txt",
        "symlink to a folder outside": f"{root}/leakdir/secret.txt",
        "remote host": "file://evil.example" + str(allowed / "photo.png"),
        "relative file URL": "file:photo.png",
        "missing file": f"{root}/missing.png",
        "the root folder itself": root + "/",
        "http": "http://127.0.0.1/photo.png",
        "https": "https://example.com/photo.png",
        "ftp": "ftp://example.com/photo.png",
        "upper-case scheme": "HTTP://example.com/photo.png",
        "unknown scheme": "gopher://example.com/1",
        "javascript": "javascript:alert(1)",
        "scheme-relative": "//example.com/photo.png",
        "no scheme": "photo.png",
        "malformed data URI": "data:image/png;base64",
    }


@pytest.mark.parametrize("case", list(_refusals(Path("/a"), Path("/b"))))
def test_refuses(case, fetcher, tree, caplog):
    url = _refusals(*tree)[case]
    with caplog.at_level(logging.WARNING, logger="app.pdf.fetcher"), pytest.raises(FetchRefused):
        fetcher.fetch(url)
    assert "PDF resource refused" in caplog.text


def test_refusal_is_a_value_error_that_weasyprint_turns_into_a_fetch_error(fetcher):
    from weasyprint.urls import fetch

    assert issubclass(FetchRefused, ValueError)
    with pytest.raises(URLFetchingError, match="FetchRefused"), fetch(fetcher, "file:///etc/passwd"):
        pass


def test_opens_no_socket(fetcher, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the fetcher tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    for url in ("http://127.0.0.1:9/x.png", "https://localhost/x.css", "ftp://127.0.0.1/x"):
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)


def test_a_filesystem_root_cannot_be_allowed():
    with pytest.raises(ValueError, match="filesystem root"):
        LockedFetcher([Path("/")])


def test_render_pdf_leaves_refused_resources_out(tree, caplog, monkeypatch):
    """A document naming forbidden resources still renders; they are left out and logged."""
    allowed, outside = tree
    monkeypatch.setattr(socket.socket, "connect", lambda *a: pytest.fail("network access"))
    html = f"""<html lang="zh-CN"><head><title>测试</title>
      <link rel="stylesheet" href="http://127.0.0.1:9/evil.css">
      <link rel="attachment" href="file:///etc/passwd">
      <link rel="attachment" href="{(outside / 'secret.txt').as_uri()}"></head>
      <body><p>正文</p><img src="photo.png"><img src="{(outside / 'secret.txt').as_uri()}">
      <img src="{allowed.as_uri()}/%2e%2e/outside/secret.txt"></body></html>"""

    with caplog.at_level(logging.WARNING):
        pdf = render_pdf(html, base_url=allowed.as_uri() + "/", stylesheets=[allowed / "style.css"],
                         allowed_roots=[allowed])

    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title == "测试"
    assert "/Names" not in reader.trailer["/Root"]  # no embedded files
    assert b"secret" not in pdf
    refused = [r.getMessage() for r in caplog.records if r.name == "app.pdf.fetcher"]
    assert len(refused) == 5
    assert not any("photo.png" in message for message in refused)


def test_render_pdf_refuses_a_stylesheet_outside_the_roots(tree):
    allowed, outside = tree
    (outside / "evil.css").write_text("body { color: red }")
    with pytest.raises(URLFetchingError):
        render_pdf("<p>x</p>", base_url=allowed.as_uri() + "/", stylesheets=[outside / "evil.css"],
                   allowed_roots=[allowed])
