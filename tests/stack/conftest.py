"""The stack fixture: an own PostgreSQL (or a SQLite file), an own Redis, a
local SMTP server, the database migrated with ``flask db upgrade`` in the
production configuration and a small world seeded; gunicorn and ``flask
worker`` are started by the tests that need them (``stack.serve()``,
``stack.start_worker()``). Everything is stopped and reaped at the end.

Tests marked ``stack`` run in the PostgreSQL pass of ``scripts/run-tests.sh``
(TEST_DATABASE_URL set) only, unless they take the database kind as their
``database`` parameter (then each pass runs its own kind), and are skipped
with the reason when initdb/pg_ctl or redis-server are missing.
"""
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.databases import ON_POSTGRES
from tests.stack import processes as proc
from tests.stack.browser import Browser
from tests.stack.world import World, seed_world


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("stack") is None:
            continue
        missing = proc.missing_servers()
        if missing:
            item.add_marker(pytest.mark.skip(reason=f"production-stack test: {missing}"))
            continue
        kinds = getattr(item, "callspec", None) and item.callspec.params.get("database")
        if kinds is None and not ON_POSTGRES:
            item.add_marker(pytest.mark.skip(
                reason="production-stack test: runs in the PostgreSQL pass (TEST_DATABASE_URL set), once"))
        elif kinds is not None and kinds != ("postgresql" if ON_POSTGRES else "sqlite"):
            item.add_marker(pytest.mark.skip(reason=f"runs in the {kinds} pass of the suite"))


@dataclass
class Stack:
    processes: proc.Processes
    folder: Path
    database_url: str
    env: dict[str, str]
    port: int
    world: World
    smtp: proc.SmtpSink
    postgres: proc.PostgresServer | None = None
    gunicorn: proc.Service | None = None
    workers: list[proc.Service] = field(default_factory=list)
    _engine: sa.Engine | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve(self, workers: int = 3) -> proc.Service:
        self.gunicorn = proc.start_gunicorn(self.processes, self.env, self.port, workers=workers)
        return self.gunicorn

    def start_worker(self) -> proc.Service:
        worker = proc.start_worker(self.processes, self.env, name=f"worker-{len(self.workers) + 1}")
        self.workers.append(worker)
        return worker

    def browser(self, **options) -> Browser:
        return Browser(self.base_url, **options)

    def logs(self) -> str:
        return self.processes.logs() + ("\n" + self.postgres.tail() if self.postgres else "")

    def wait_until(self, condition, what: str, **options):
        return proc.wait_until(condition, what, logs=self.logs, **options)

    @property
    def engine(self) -> sa.Engine:
        """An engine on the stack's database, for checking rows (no pool: nothing held between checks)."""
        if self._engine is None:
            from app.config import normalise_database_url

            self._engine = sa.create_engine(normalise_database_url(self.database_url), poolclass=sa.pool.NullPool)
            self.processes.closers.insert(0, self._engine.dispose)
        return self._engine

    def rows(self, sql: str, **params) -> list:
        with self.engine.connect() as connection:
            return list(connection.execute(sa.text(sql), params))


@pytest.fixture
def processes(tmp_path):
    registry = proc.Processes(tmp_path)
    yield registry
    registry.close()


@pytest.fixture
def make_stack(processes, tmp_path):
    """``make_stack(database="postgresql"|"sqlite", experts=1, library=True, **settings)``: a stack, not serving yet."""
    smtp = proc.SmtpSink()
    processes.closers.append(smtp.stop)

    def build(*, database: str = "postgresql", experts: int = 1, library: bool = True, **settings) -> Stack:
        postgres = None
        if database == "postgresql":
            postgres = proc.start_postgres(processes)
            url = postgres.create_database(f"stack_{uuid.uuid4().hex[:8]}")
            _redis, redis_url = proc.start_redis(processes)
        else:
            url, redis_url = f"sqlite:///{tmp_path / 'stack.db'}", ""
            settings.setdefault("RATELIMIT_STORAGE_URI", "memory://")
        port = proc.free_port()
        env = proc.production_env(database_url=url, redis_url=redis_url, smtp_port=smtp.port,
                                  base_url=f"http://127.0.0.1:{port}", folder=tmp_path, **settings)
        proc.flask_command(env, "db", "upgrade")
        world = seed_world(url, tmp_path, experts=experts, library=library)
        return Stack(processes=processes, folder=tmp_path, database_url=url, env=env, port=port, world=world,
                     smtp=smtp, postgres=postgres)

    return build
