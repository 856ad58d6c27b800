"""Redirect targets that cannot leave the site."""
from urllib.parse import unquote, urlsplit

from flask import current_app, has_request_context, request, url_for


def safe_next(default_endpoint: str = "main.dashboard", *, within: str | None = None) -> str:
    """The ``next`` parameter if it is a local path (below ``within``, when
    given), else ``default_endpoint``."""
    target = request.values.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc and "\\" not in target:
        if within is None:
            return target
        path = unquote(parts.path)
        if (target.isprintable() and ".." not in path.split("/")
                and (path == within or path.startswith(within.rstrip("/") + "/"))):
            return target
    return url_for(default_endpoint)


def external_url(endpoint: str, **values) -> str:
    """An absolute link for mails, on ``BASE_URL`` (not the request's Host header)."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def site_path(endpoint: str, **values) -> str:
    """A path inside the site, stored with data (a notification's link): built
    in a request, a command or a job alike (outside a request, ``url_for``
    would need ``SERVER_NAME``)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)
