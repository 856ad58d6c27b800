"""A live server on a fresh database, and a real headless Chromium."""
import os
import shutil
from dataclasses import dataclass

import pytest
from flask import Flask

from app import create_app
from tests.conftest import make_test_config
from tests.databases import fresh_database
from tests.live import served

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"


@dataclass
class LiveServer:
    url: str
    app: Flask


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The app served over HTTP in a thread, on its own committed database."""
    tmp = tmp_path_factory.mktemp("live")
    with fresh_database(tmp) as url:
        app = create_app(make_test_config(url, tmp, WTF_CSRF_ENABLED=True))
        try:
            with served(app) as url:
                yield LiveServer(url=url, app=app)
        finally:
            app.extensions["db"].engine.dispose()


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """``new_page()``: a page in a fresh browser context (its own cookies)."""
    contexts = []

    def _new_page():
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()
