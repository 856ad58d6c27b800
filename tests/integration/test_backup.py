"""The restore drill and its failures: a site with the demo data (and a row
in every table) is backed up once; each test restores or verifies that
archive against a database and folders of its own.

The site's database is the suite's kind (on PostgreSQL a fresh schema in the
test database, so ``pg_dump`` dumps that schema); restores go into a new,
empty database (on PostgreSQL ``<test database>_restore``, dropped after the
test). The cross-database tests run in the PostgreSQL pass.
"""
import gzip
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlmodel import select

from app.backup.dump import TableDigest
from app.backup.services import create_backup
from app.db_cli import alembic_config
from app.models import Organisation, ResultRun
from app.results.publishing import verify
from app.storage import storage
from tests.backup_sites import (
    close_site,
    fill_site,
    manifest_of,
    published_runs,
    read_member,
    rewrite_archive,
    site_app,
    stored_files,
    table_digests,
)
from tests.databases import ON_POSTGRES, fresh_database, migrate, scratch_database
from tests.factories import jpeg_bytes


@dataclass
class Site:
    app: object
    archive: Path
    digests: list[TableDigest]
    files: dict[str, str]


def _backup(app, folder: Path) -> Path:
    with app.app_context():
        return create_backup(folder=folder).path


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo site on the suite's database, and its backup archive."""
    folder = tmp_path_factory.mktemp("site")
    with fresh_database(folder) as url:
        app = site_app(url, folder)
        try:
            fill_site(app)
            archive = _backup(app, folder / "archives")
            yield Site(app=app, archive=archive, digests=table_digests(app), files=stored_files(app))
        finally:
            close_site(app)


@pytest.fixture
def target(tmp_path):
    """An app on a new, empty database (no schema) with empty folders."""
    with scratch_database(tmp_path, "restore") as url:
        app = site_app(url, tmp_path / "target")
        yield app
        close_site(app)


def _invoke(app, *args):
    return app.test_cli_runner().invoke(args=["backup", *[str(arg) for arg in args]])


def _assert_same_site(restored, source: Site) -> None:
    """Every table's row count and content hash, every file with its checksum,
    the published snapshots' hashes: as in the source."""
    assert table_digests(restored) == source.digests
    files = stored_files(restored)
    assert files == source.files
    for name, sha256 in files.items():
        if name.startswith("uploads/"):
            assert Path(name).stem == sha256  # a blob's name is its content's SHA-256
    runs = published_runs(restored)
    assert runs
    session = restored.extensions["db"].sessionmaker()
    try:
        assert all(verify(session, session.get(ResultRun, run.id)) for run in runs)
    finally:
        session.close()


def test_the_archive_holds_the_snapshot_the_dump_the_files_and_a_manifest(site):
    manifest = manifest_of(site.archive)
    kind = "postgresql" if ON_POSTGRES else "sqlite"
    assert manifest["database"]["kind"] == kind
    assert manifest["database"]["native"] in manifest["files"]
    with site.app.app_context():
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert manifest["database"]["revision"] == head
    assert manifest["app"] == {"name": "scenario-showcase", "version": "0.1.0"}
    assert [(t["name"], t["rows"], t["sha256"]) for t in manifest["tables"]] == \
        [(d.name, d.rows, d.sha256) for d in site.digests]
    # Every table has rows: the drill covers the whole schema.
    assert [d.name for d in site.digests if d.rows == 0] == []
    assert {name for name in manifest["files"] if not name.startswith(("data/", "database/"))} == set(site.files)
    assert manifest["uploads"] == sum(1 for name in site.files if name.startswith("uploads/"))
    assert manifest["brochures"] == 1
    # The portable dump is the canonical lines whose hash the manifest gives.
    users = next(t for t in manifest["tables"] if t["name"] == "users")
    lines = gzip.decompress(read_member(site.archive, users["file"])).splitlines(keepends=True)
    assert len(lines) == users["rows"]
    assert b'"email":"chair@demo.local"' in b"".join(lines)


def test_restore_drill_gives_back_every_row_and_file(site, target):
    result = _invoke(target, "restore", site.archive)
    assert result.exit_code == 0, result.output
    rows = sum(d.rows for d in site.digests)
    assert f"Restored {rows:,} rows in {len(site.digests)} tables" in result.output
    _assert_same_site(target, site)

    verified = _invoke(target, "verify", site.archive)
    assert verified.exit_code == 0, verified.output
    assert "matches the database and folders" in verified.output

    # The restored site takes new rows: ids continue after the archived ones,
    # and a deleted draft's id is never handed out again (SQLite
    # AUTOINCREMENT, PostgreSQL sequences).
    counters = manifest_of(site.archive)["database"]["id_counters"]
    session = target.extensions["db"].sessionmaker()
    try:
        largest = session.exec(select(sa.func.max(Organisation.id))).one()
        call_id = session.exec(select(sa.func.min(ResultRun.call_id))).one()
        organisation = Organisation(name="恢复后新增单位", credit_code="91440300MA5FXXXX1X", city_code="440300")
        run = ResultRun(call_id=call_id, method="mean", inputs_hash="0" * 64)
        session.add_all([organisation, run])
        session.commit()
        assert organisation.id == max(largest, counters.get("organisations", 0)) + 1
        assert run.id > counters["result_runs"]
    finally:
        session.close()


def test_restore_refuses_a_database_or_folder_that_is_not_empty(site, target):
    with target.app_context():
        storage().put(jpeg_bytes(), suffix=".jpg")
    result = _invoke(target, "restore", site.archive)
    assert result.exit_code == 1
    assert "The target is not empty (uploaded files: 1)" in result.output
    assert "--force" in result.output
    assert stored_files(target) != site.files

    refused = _invoke(site.app, "restore", site.archive)
    assert refused.exit_code == 1
    files = len(site.files) - 1
    assert (f"table rows: {sum(d.rows for d in site.digests):,} in {len(site.digests)} tables; "
            f"uploaded files: {files}; brochure files: 1)") in refused.output


def _fill_with_other_data(app) -> None:
    migrate(app.config["DATABASE_URL"])
    session = app.extensions["db"].sessionmaker()
    session.add(Organisation(name="另一个站点的单位", credit_code="91440300MA5FYYYY2Y", city_code="440300"))
    session.commit()
    session.close()
    with app.app_context():
        storage().put(jpeg_bytes(color=(1, 2, 3)), suffix=".jpg")
    stray = Path(app.config["BROCHURE_FOLDER"]) / "call-99" / "old.pdf"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"%PDF-1.4 old")


def test_force_replaces_what_the_target_holds(site, target):
    _fill_with_other_data(target)
    result = _invoke(target, "restore", "--force", site.archive)
    assert result.exit_code == 0, result.output
    _assert_same_site(target, site)
    assert _invoke(target, "verify", site.archive).exit_code == 0


def test_a_restore_that_fails_changes_nothing(site, target, tmp_path):
    """A consistent archive whose data cannot be loaded (a user twice): the
    old database and files stay as they were, no file is added."""
    _fill_with_other_data(target)
    before = (table_digests(target), stored_files(target))
    manifest = manifest_of(site.archive)
    users = next(t for t in manifest["tables"] if t["name"] == "users")
    lines = gzip.decompress(read_member(site.archive, users["file"])).splitlines(keepends=True)
    broken = gzip.compress(b"".join(lines + lines[:1]), mtime=0)

    def count_twice(document):
        next(t for t in document["tables"] if t["name"] == "users")["rows"] += 1

    archive = rewrite_archive(site.archive, tmp_path / "broken.tar", members={users["file"]: broken},
                              manifest=count_twice, rehash=True)
    result = _invoke(target, "restore", "--force", archive)
    assert result.exit_code == 1
    assert "The restore failed and was undone (the database and folders are as they were)" in result.output
    assert (table_digests(target), stored_files(target)) == before


def test_verify_reports_a_tampered_archive(site, tmp_path):
    manifest = manifest_of(site.archive)
    photo = next(name for name in manifest["files"] if name.startswith("uploads/"))
    data = bytearray(read_member(site.archive, photo))
    data[len(data) // 2] ^= 0xFF

    def one_more_call(document):
        next(t for t in document["tables"] if t["name"] == "calls")["rows"] += 1

    tampered = rewrite_archive(site.archive, tmp_path / "tampered.tar", members={photo: bytes(data)},
                               manifest=one_more_call)
    result = _invoke(site.app, "verify", "--archive-only", tampered)
    assert result.exit_code == 1
    assert f"{photo} does not match its checksum in the manifest." in result.output
    assert "The dump of table calls does not match its row count and hash in the manifest." in result.output
    assert "2 differences found." in result.output

    assert _invoke(site.app, "verify", "--archive-only", site.archive).exit_code == 0


def test_verify_reports_how_the_database_and_folders_differ(site, target):
    assert _invoke(target, "restore", site.archive).exit_code == 0
    session = target.extensions["db"].sessionmaker()
    organisation = session.exec(select(Organisation).order_by(Organisation.id)).first()
    organisation.name = "改过的名称"
    session.add(organisation)
    session.commit()
    session.close()
    photo = next(name for name in site.files if name.startswith("uploads/"))
    with target.app_context():
        storage().delete(photo.removeprefix("uploads/"))
    brochure = Path(target.config["BROCHURE_FOLDER"]) / next(
        name for name in site.files if name.startswith("brochures/")).removeprefix("brochures/")
    brochure.write_bytes(b"%PDF-1.4 another")

    result = _invoke(target, "verify", site.archive)
    assert result.exit_code == 1
    assert "Table organisations: same row count, different contents." in result.output
    assert f"Uploaded file {photo.removeprefix('uploads/')} is missing." in result.output
    assert "differs from the archived copy." in result.output
    assert "3 differences found." in result.output


def test_restore_refuses_an_archive_from_a_newer_release(site, target, tmp_path):
    def newer(document):
        document["database"]["revision"] = "f0f0f0f0f0f0"

    archive = rewrite_archive(site.archive, tmp_path / "newer.tar", manifest=newer)
    result = _invoke(target, "restore", archive)
    assert result.exit_code == 1
    assert "at migration f0f0f0f0f0f0, which this version of the app does not know" in result.output
    with target.extensions["db"].engine.connect() as connection:
        assert sa.inspect(connection).get_table_names() == []


def test_restore_refuses_a_damaged_archive_before_touching_anything(site, target, tmp_path):
    name = manifest_of(site.archive)["tables"][0]["file"]
    damaged = rewrite_archive(site.archive, tmp_path / "damaged.tar", members={name: b"not gzip"})
    result = _invoke(target, "restore", damaged)
    assert result.exit_code == 1
    assert f"The archive is damaged, nothing was restored: {name} does not match its checksum" in result.output
    with target.extensions["db"].engine.connect() as connection:
        assert sa.inspect(connection).get_table_names() == []


@pytest.mark.skipif(not ON_POSTGRES, reason="a cross-database restore needs PostgreSQL (TEST_DATABASE_URL)")
def test_a_sqlite_backup_restores_into_postgresql(tmp_path):
    """The documented migration path: SQLite → PostgreSQL, verified."""
    url = f"sqlite:///{tmp_path / 'source.db'}"
    migrate(url)
    source = site_app(url, tmp_path / "source")
    try:
        fill_site(source)
        archive = _backup(source, tmp_path / "archives")
        sqlite_site = Site(app=source, archive=archive, digests=table_digests(source), files=stored_files(source))
        assert manifest_of(archive)["database"]["kind"] == "sqlite"
        with scratch_database(tmp_path, "restore", postgres=True) as target_url:
            target = site_app(target_url, tmp_path / "target")
            try:
                result = _invoke(target, "restore", archive)
                assert result.exit_code == 0, result.output
                assert target.extensions["db"].engine.dialect.name == "postgresql"
                _assert_same_site(target, sqlite_site)
                assert _invoke(target, "verify", archive).exit_code == 0
            finally:
                close_site(target)
    finally:
        close_site(source)


@pytest.mark.skipif(not ON_POSTGRES, reason="a cross-database restore needs PostgreSQL (TEST_DATABASE_URL)")
def test_a_postgresql_backup_restores_into_sqlite(site, tmp_path):
    with scratch_database(tmp_path, "restore", postgres=False) as url:
        target = site_app(url, tmp_path / "target")
        try:
            result = _invoke(target, "restore", site.archive)
            assert result.exit_code == 0, result.output
            _assert_same_site(target, site)
        finally:
            close_site(target)
