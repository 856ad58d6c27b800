"""Redirect targets that cannot leave the site."""
from urllib.parse import urlsplit

from flask import request, url_for


def safe_next(default_endpoint: str = "main.dashboard") -> str:
    """The ``next`` parameter if it is a local path, else ``default_endpoint``."""
    target = request.values.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc and "\\" not in target:
        return target
    return url_for(default_endpoint)
