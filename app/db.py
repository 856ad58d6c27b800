"""Engine, one session per request, and the shared column types.

Services only ``flush``; the edge (a view or a CLI command) calls
:meth:`Database.commit` once, which then runs the callbacks queued with
:meth:`Database.after_commit` (mails go out only for data that was saved).
"""
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from flask import Flask, abort, current_app, g, request
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, raiseload, sessionmaker
from sqlmodel import Session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Set for requests and commands that will write: SQLite then starts their
# transaction with BEGIN IMMEDIATE, so a read-then-write transaction takes the
# write lock up front and waits (busy_timeout) instead of failing with
# "database is locked" when it upgrades from a read lock.
_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC that always comes back timezone-aware.

    PostgreSQL keeps the offset itself; SQLite has no timezone type, so the
    value is stored as naive UTC and marked as UTC again when read.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class EnumText(sa.types.TypeDecorator):
    """A ``StrEnum`` stored as its plain string value (no native DB enum,
    so adding a member never needs a type migration)."""

    impl = sa.String
    cache_ok = True

    def __init__(self, enum_class, length: int = 32):
        super().__init__(length)
        self.enum_class = enum_class

    def process_bind_param(self, value, dialect):
        return None if value is None else self.enum_class(value).value

    def process_result_value(self, value, dialect):
        return None if value is None else self.enum_class(value)


def create_engine(url: str, *, busy_timeout_ms: int = 15000) -> sa.Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _configure_sqlite(engine: sa.Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own
        # transaction handling would defer it and break SAVEPOINTs).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        # The library's search triggers fill their one- and two-character index with it.
        dbapi_connection.create_function("library_search_grams", 1, search_grams, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


@contextmanager
def write_intent():
    """Mark the transactions started inside the block as writing ones."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


class StrictLoadingSession(Session):
    """A session in which a relationship that would have to be loaded lazily
    (one SELECT per object: the N+1 pattern) raises instead.

    Relationships are lazy by default (app/models); a page loads what it shows
    with loader options (``selectinload``, ``joinedload``, ``contains_eager``).
    The test suite runs with this session (``RAISE_ON_LAZY_LOAD``), so a load
    nobody planned fails the test that reaches it; production runs with the
    plain session, where such a load is only slower.
    """


@event.listens_for(StrictLoadingSession, "do_orm_execute")
def _raise_on_lazy_load(state: ORMExecuteState) -> None:
    # Every ORM SELECT (``session.get`` included) and every relationship load
    # gets ``raiseload("*")``: the relationships of the objects it loads that
    # no option of the statement names raise when first read. ``sql_only``: a
    # many-to-one found in the identity map costs no query and is allowed. The
    # unit of work still loads what a flush needs (cascades), as SQLAlchemy's
    # raise loaders always let it. Refreshing columns is left alone.
    if state.is_select and not state.is_column_load:
        state.statement = state.statement.options(raiseload("*", sql_only=True))


@dataclass
class DatabaseState:
    """One app's engine and session factory (``app.extensions["db"]``).

    ``session_class`` is :class:`StrictLoadingSession` when the app's
    ``RAISE_ON_LAZY_LOAD`` is set (the tests), else the plain ``Session``.
    """

    engine: sa.Engine
    sessionmaker: sessionmaker
    session_class: type[Session] = Session


@contextmanager
def read_only():
    """Start the transactions inside the block as reading ones (no write lock).

    For the read part of a writing request that does slow work (a password
    hash check) before it writes: end the read transaction before writing.
    """
    token = _write_intent.set(False)
    try:
        yield
    finally:
        _write_intent.reset(token)


class Database:
    """Access to the current app's database and its per-request session.

    The state lives on the app, not on this object, so several apps (tests, a
    live test server) can each have their own database in one process.
    """

    def init_app(self, app: Flask) -> None:
        engine = create_engine(app.config["DATABASE_URL"], busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"])
        session_class = StrictLoadingSession if app.config["RAISE_ON_LAZY_LOAD"] else Session
        app.extensions["db"] = DatabaseState(
            engine=engine,
            sessionmaker=sessionmaker(bind=engine, class_=session_class, expire_on_commit=False),
            session_class=session_class,
        )

        @app.before_request
        def _mark_writes():
            if request.method not in {"GET", "HEAD", "OPTIONS"}:
                g._write_token = _write_intent.set(True)

        @app.teardown_request
        def _unmark_writes(_exc):
            token = g.pop("_write_token", None)
            if token is not None:
                _write_intent.reset(token)

        @app.teardown_appcontext
        def _close_session(_exc):
            session = g.pop("db_session", None)
            if session is not None:
                try:
                    session.close()  # rolls back whatever was not committed
                except (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError):
                    # The server went away after the request's work (a restart): the
                    # rollback cannot reach it. The response stands; the pool drops
                    # the dead connection instead of failing the request with a 500.
                    session.invalidate()
            g.pop("after_commit", None)

    @property
    def state(self) -> DatabaseState:
        return current_app.extensions["db"]

    @property
    def engine(self) -> sa.Engine:
        return self.state.engine

    @property
    def session(self) -> Session:
        """The session of the current app context, created on first use."""
        if "db_session" not in g:
            g.db_session = self.state.sessionmaker()
        return g.db_session

    def get_or_404(self, model, object_id, *, options=()):
        """The row of ``model`` with this primary key, or a 404 page;
        ``options``: loader options for what the page reads of it."""
        row = self.session.get(model, object_id, options=list(options))
        if row is None:
            abort(404)
        return row

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the current transaction has been committed."""
        g.setdefault("after_commit", []).append(callback)

    def commit(self) -> None:
        """Commit the current session, then run the queued after-commit callbacks."""
        self.session.commit()
        callbacks = g.pop("after_commit", [])
        for callback in callbacks:
            callback()

    def rollback(self) -> None:
        self.session.rollback()
        g.pop("after_commit", None)

    @contextmanager
    def separate_transaction(self) -> Iterator[Session]:
        """A short writing transaction on a session of its own (not the app
        context's ``session``), committed at the end of the block and rolled
        back when it raises: a background build records its progress this way,
        one small transaction at a time."""
        session = self.state.sessionmaker()
        try:
            with write_intent():
                yield session
                session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


db = Database()


def migration_include_name(name, type_, parent_names) -> bool:
    """For Alembic's autogenerate (``include_name``): leave out what migrations
    make by hand and no model describes — the library's SQLite FTS5 search
    tables with their shadow tables, and its search indexes (trigram, grams,
    result order)."""
    if type_ == "table" and name and name.startswith("library_search"):
        return False
    return not (type_ == "index" and name and name.startswith("ix_library_cases_search"))


def gram_character(character: str) -> bool:
    """Whether ``character`` goes into the library's one- and two-character
    search index (SQLite): ASCII letters and digits and CJK ideographs, the
    characters FTS5's unicode61 tokenizer keeps as they are."""
    return (character.isascii() and character.isalnum()) or "\u4e00" <= character <= "\u9fff" \
        or "\u3400" <= character <= "\u4dbf"


def search_grams(text: str | None) -> str | None:
    """The tokens of ``text`` for the SQLite table ``library_search_grams``:
    every two-character run of :func:`gram_character` characters, and a
    character on its own where no such character follows it — so a
    one-character term is a prefix query (``智*``) and a two-character one a
    single token (``智能``). Distinct, space-separated.

    The table is contentless: its triggers delete a row with the tokens this
    function gives for the old text, so a change here needs a migration that
    empties and refills it.
    """
    if text is None:
        return None
    tokens = set()
    for position, character in enumerate(text):
        if not gram_character(character):
            continue
        following = text[position + 1:position + 2]
        tokens.add(character + following if following and gram_character(following) else character)
    return " ".join(sorted(tokens))
