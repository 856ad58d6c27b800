"""A small HTTP client that behaves like a browser towards the app under
gunicorn: it keeps cookies, reads the forms of a page (with their CSRF token
and current values) and submits them.

Production cookies are ``Secure``. Browsers treat http://127.0.0.1 as a
secure origin and send such cookies to it; Python's cookie jar does not, so
the client clears the flag of the loopback's cookies it keeps, and follows
redirects itself so that each hop's cookies are kept that way.
"""
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests

TIMEOUT = 120


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _Forms(HTMLParser):
    """Every <form> of a page with its fields' current values (the first
    checked radio of a group, selected options, textareas)."""

    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = Form(action=attributes.get("action", ""), method=attributes.get("method", "get").lower())
            self.forms.append(self._form)
        if self._form is None:
            return
        if tag == "option" and self._select:
            if "selected" in attributes or self._select not in self._form.fields:
                self._form.fields[self._select] = attributes.get("value", "")
            return
        if not attributes.get("name"):
            return
        name = attributes["name"]
        if tag == "input":
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    self._form.fields[name] = attributes.get("value", "on")
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self._form.fields[name] = attributes.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self._form.fields[name] = ""
        elif tag == "select":
            self._select = name

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def forms(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


class Browser:
    """One visitor: a requests session (a new connection per request when
    ``fresh_connections``) with cookies, reading forms from pages."""

    def __init__(self, base_url: str, *, fresh_connections: bool = False):
        self.base_url = base_url
        self.session = requests.Session()
        self.fresh_connections = fresh_connections
        self.page: requests.Response | None = None

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path)

    def get(self, path: str, **kwargs) -> requests.Response:
        """GET ``path``, following redirects; the answer becomes the current page."""
        url = self.url(path)
        for _hop in range(10):
            response = self.session.get(url, timeout=TIMEOUT, headers=self._headers(kwargs), allow_redirects=False,
                                        **kwargs)
            self._keep_cookies()
            if not response.is_redirect:
                break
            url = urljoin(url, response.headers["Location"])
        self.page = response
        return response

    def post(self, path: str, data: dict, **kwargs) -> requests.Response:
        """POST ``data`` to ``path`` (redirects are not followed: the caller checks them)."""
        response = self.session.post(self.url(path), data=data, timeout=TIMEOUT, headers=self._headers(kwargs),
                                     allow_redirects=False, **kwargs)
        self._keep_cookies()
        return response

    def _keep_cookies(self) -> None:
        for cookie in self.session.cookies:
            if cookie.domain.startswith("127.0.0.1"):
                cookie.secure = False

    def _headers(self, kwargs) -> dict:
        headers = kwargs.pop("headers", {})
        if self.fresh_connections:
            headers["Connection"] = "close"
        return headers

    def form(self, path: str, page: requests.Response | None = None) -> Form:
        """The form of the current page that posts to ``path`` (or, when it
        has no action, the page's own address is ``path``)."""
        page = page or self.page
        for candidate in forms(page.text):
            if urlsplit(urljoin(page.url, candidate.action)).path == path:
                return candidate
        actions = [candidate.action for candidate in forms(page.text)]
        raise AssertionError(f"no form posting to {path} on {page.url} (forms: {actions})")

    def submit(self, path: str, **values) -> requests.Response:
        """Fill in the form that posts to ``path`` and post it, as a browser would."""
        form = self.form(path)
        return self.post(urljoin(self.page.url, form.action), data=form.fields | values)

    def login(self, email: str, password: str) -> requests.Response:
        self.get("/account/login")
        response = self.submit("/account/login", email=email, password=password)
        assert response.status_code == 302, f"login of {email} failed: {response.status_code} {alert(response.text)}"
        return response


_ALERT = re.compile(r'<div class="(?:alert|invalid-feedback)[^"]*"[^>]*>(.*?)</div>', re.DOTALL)


def alert(html: str) -> str:
    """The flash messages and field errors of a page, for assertion messages."""
    return " | ".join(" ".join(text.split()) for text in _ALERT.findall(html))
