"""Fixtures: ``app``, ``client``, ``runner``, ``session`` (each test rolled
back), ``outbox`` (mails written by the app), ``login``, factories
(``make``), ``rubric_folder`` and ``library``; the Hypothesis profile."""
import email
import os
import tempfile
from email import policy
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hypothesis import settings
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app import create_app
from app.extensions import limiter
from tests import factories
from tests.databases import reset_shared_database

TRANSLATIONS = Path(__file__).resolve().parent.parent / "app" / "translations"
TEST_SECRET = "test-secret-key-that-is-long-enough-for-production"

# Property tests: the same examples on every run (CI is deterministic), no
# deadline (the machine is shared), no example database; Hypothesis' other
# files (its cache of the constants in the code) go to the temporary folder,
# not into the repository. Each test bounds its own max_examples.
settings.register_profile("showcase", deadline=None, derandomize=True, database=None)
settings.load_profile("showcase")
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(Path(tempfile.gettempdir()) / "scenario-showcase-hypothesis"))


def make_test_config(database_url: str, tmp_dir: Path, **overrides) -> dict:
    return {
        "SHOWCASE_ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url,
        "MAIL_OUTBOX_DIR": str(tmp_dir / "mail"),
        "UPLOAD_FOLDER": str(tmp_dir / "uploads"),
        "BROCHURE_CACHE_FOLDER": str(tmp_dir / "brochure-cache"),
        "BROCHURE_FOLDER": str(tmp_dir / "brochures"),
        "BACKUP_FOLDER": str(tmp_dir / "backups"),
        "JOBS_SQLITE_PATH": str(tmp_dir / "jobs.sqlite3"),
        # A cheap KDF cost keeps the suite fast; production uses the default.
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
        # An unplanned lazy load (N+1 queries) fails the test that reaches it.
        "RAISE_ON_LAZY_LOAD": True,
        **overrides,
    }


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    """Compile the message catalogs, so tests see the current translations."""
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with po_path.with_suffix(".mo").open("wb") as mo_file:
            write_mo(mo_file, catalog)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return reset_shared_database(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app(make_test_config(database_url, tmp_path_factory.mktemp("instance")))
    yield app
    app.extensions["db"].engine.dispose()


@pytest.fixture(autouse=True)
def _isolated(app, tmp_path):
    """Run each test inside one outer transaction that is rolled back after it.

    Requests commit as usual; in ``create_savepoint`` mode their commits only
    release a SAVEPOINT, so nothing outlives the test.
    """
    state = app.extensions["db"]
    connection = state.engine.connect()
    transaction = connection.begin()
    original = state.sessionmaker
    state.sessionmaker = sessionmaker(
        bind=connection, class_=state.session_class, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    app.config["MAIL_OUTBOX_DIR"] = str(tmp_path / "mail")
    app.config["WTF_CSRF_ENABLED"] = False
    # flask-limiter keeps one storage per process and, after a storage error
    # in an earlier test, serves from an in-memory fallback until a timed
    # check finds the storage back — mid-test, dropping the counts so far.
    # Each test starts on the healthy storage (there is no public switch).
    limiter._storage_dead = False
    limiter.reset()
    try:
        yield
    finally:
        state.sessionmaker = original
        transaction.rollback()
        connection.close()


@pytest.fixture
def csrf(app):
    """Turn CSRF protection on for this test (it is off in the others)."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def session(app):
    """A session on the test's transaction, for arranging and checking data.

    No app context is held open: requests made by the test client must get
    their own context (and so their own session), as in production. A plain
    session: a test reads what it checks as it likes; the app's own sessions
    raise on unplanned lazy loads (``RAISE_ON_LAZY_LOAD``).
    """
    maker = app.extensions["db"].sessionmaker
    session = Session(**{**maker.kw, "bind": maker.kw["bind"]})
    yield session
    session.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def english(client):
    """Switch the test client to English, as the language buttons do."""
    client.set_cookie("lang", "en")


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Outbox:
    """The mails the app wrote to its outbox folder (no SMTP server configured)."""

    def __init__(self, app):
        self.app = app

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        folder = Path(self.app.config["MAIL_OUTBOX_DIR"])
        if not folder.exists():
            return []
        return [
            email.message_from_bytes(path.read_bytes(), policy=policy.default) for path in sorted(folder.glob("*.eml"))
        ]

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [message for message in self.messages if message["To"] == address]

    def link(self, message, prefix: str) -> str:
        """The path of the first link in ``message`` that contains ``prefix``."""
        for word in message.get_content().split():
            if prefix in word:
                return word[word.index(prefix):]
        raise AssertionError(f"no link with {prefix!r} in: {message.get_content()}")


@pytest.fixture
def outbox(app):
    return Outbox(app)


@pytest.fixture
def login(client):
    """``login(user)``: log the test client in as ``user`` (password from the factory)."""

    def _login(user, password=factories.PASSWORD):
        response = client.post("/account/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, "login failed"
        return user

    return _login


@pytest.fixture
def make(session, app):
    """The factories, bound to the test's session."""
    return factories.Factories(session, app)


@pytest.fixture
def rubric_folder(app, tmp_path, monkeypatch):
    """An empty rubric folder of this test's own (the app fixture is shared); factories.write_rubric fills it."""
    folder = tmp_path / "rubrics"
    folder.mkdir()
    monkeypatch.setitem(app.config, "RUBRICS_FOLDER", str(folder))
    return folder


@pytest.fixture
def library(make):
    """A published snapshot selecting 5 of 7 entries, ranks and scores public (factories.library)."""
    return make.published_library()
