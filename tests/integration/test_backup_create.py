"""Making archives: the instance configuration without secrets unless asked,
the password of the database URL never shown, retention in the backup
folder and the scheduled backup (app.backup.services)."""
import tarfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from app.backup.retention import archive_name
from app.backup.services import create_scheduled_backup
from app.backup.tasks import nightly_backup
from app.config import ConfigError
from tests.backup_sites import close_site, manifest_of, read_member, site_app
from tests.databases import ON_POSTGRES, fresh_database

CONFIG = '''SHOWCASE_ENV = "testing"
SECRET_KEY = "instance-secret-key-that-must-not-leave-the-server"
MAIL_PASSWORD = "mail-password-in-config"
JOBS_REDIS_URL = "redis://:redis-password@127.0.0.1:6379/1"
'''


@pytest.fixture
def small_site(tmp_path, monkeypatch):
    """An empty migrated site with an instance folder of its own holding a config.py."""
    with fresh_database(tmp_path) as url:
        app = site_app(url, tmp_path / "site", BACKUP_KEEP_DAILY=2, BACKUP_KEEP_MONTHLY=2)
        instance = tmp_path / "instance"
        instance.mkdir()
        (instance / "config.py").write_text(CONFIG)
        (instance / "secret_key").write_text("development-key")
        monkeypatch.setattr(app, "instance_path", str(instance))
        yield app
        close_site(app)


def _create(app, *options) -> Path:
    result = app.test_cli_runner().invoke(args=["backup", "create", *options])
    assert result.exit_code == 0, result.output
    assert "Backup written: " in result.output
    return Path(result.output.split("Backup written: ", 1)[1].splitlines()[0])


def _members(archive: Path) -> set[str]:
    with tarfile.open(archive) as tar:
        return set(tar.getnames())


def test_secrets_are_removed_from_the_instance_configuration_by_default(small_site, tmp_path):
    archive = _create(small_site, "--out", tmp_path / "out")
    assert archive.parent == tmp_path / "out"
    config = read_member(archive, "instance/config.py").decode()
    for secret in ("instance-secret-key", "mail-password-in-config", "redis-password"):
        assert secret not in config
    assert 'SHOWCASE_ENV = "testing"' in config
    assert "redis://:***@127.0.0.1:6379/1" in config
    assert "instance/secret_key" not in _members(archive)
    assert manifest_of(archive)["instance"] == {"config": True, "secrets": False}


def test_with_secrets_the_configuration_is_kept_as_it_is(small_site, tmp_path):
    archive = _create(small_site, "--out", tmp_path / "out", "--with-secrets")
    assert read_member(archive, "instance/config.py").decode() == CONFIG
    assert read_member(archive, "instance/secret_key") == b"development-key"
    assert manifest_of(archive)["instance"] == {"config": True, "secrets": True}


@pytest.mark.skipif(not ON_POSTGRES, reason="pg_dump runs on PostgreSQL only")
def test_the_database_password_is_never_printed_nor_archived(small_site, tmp_path):
    url = make_url(small_site.config["DATABASE_URL"]).set(password="db-password-in-url")
    app = site_app(url.render_as_string(hide_password=False), tmp_path / "with-password")
    try:
        result = app.test_cli_runner().invoke(args=["backup", "create", "--out", str(tmp_path / "out")])
        assert result.exit_code == 0, result.output
        archive = next((tmp_path / "out").glob("*.tar"))
        assert "db-password-in-url" not in result.output
        assert b"db-password-in-url" not in archive.read_bytes()
        assert manifest_of(archive)["database"]["kind"] == "postgresql"
    finally:
        close_site(app)


def _touch_archives(folder: Path, moments: list[datetime]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for moment in moments:
        (folder / archive_name(moment)).write_bytes(b"")


def test_prune_keeps_the_daily_and_monthly_archives(small_site):
    folder = Path(small_site.config["BACKUP_FOLDER"])
    night = datetime(2026, 12, 6, 3, 0, tzinfo=timezone.utc)
    moments = [night - timedelta(days=days) for days in (0, 1, 2, 3, 10, 40, 70)]
    _touch_archives(folder, moments)
    (folder / "notes.txt").write_text("not an archive")
    runner = small_site.test_cli_runner()

    dry = runner.invoke(args=["backup", "prune", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"Would delete {archive_name(moments[2])}" in dry.output
    assert len(list(folder.iterdir())) == 8

    result = runner.invoke(args=["backup", "prune"])
    assert result.exit_code == 0, result.output
    # Two days (6 and 5 December), two months (December's newest is the 6th, November's the 26th).
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        [archive_name(moments[0]), archive_name(moments[1]), archive_name(moments[4]), "notes.txt"])
    assert "3 archives kept, 4 deleted." in result.output


def test_the_scheduled_backup_writes_an_archive_then_prunes(small_site):
    folder = Path(small_site.config["BACKUP_FOLDER"])
    old = [datetime(2025, month, 1, 3, 0, tzinfo=timezone.utc) for month in (1, 2, 3)]
    _touch_archives(folder, old)
    with small_site.app_context():
        backup, pruned = create_scheduled_backup()
    assert backup.path.parent == folder and backup.path.is_file()
    assert manifest_of(backup.path)["instance"]["secrets"] is False
    # Kept: the new archive, and March 2025's (the second day and the second month that have one).
    assert pruned.kept == sorted([backup.path.name, archive_name(old[2])])
    assert pruned.removed == [archive_name(old[0]), archive_name(old[1])]
    assert sorted(path.name for path in folder.iterdir()) == pruned.kept


def test_the_nightly_job_writes_an_archive_and_says_which(small_site):
    folder = Path(small_site.config["BACKUP_FOLDER"])
    with small_site.app_context():
        outcome = nightly_backup()  # what the worker runs at BACKUP_SCHEDULE
    archive = Path(outcome["archive"])
    assert archive.parent == folder and archive.is_file() and outcome["removed"] == []
    assert archive.stat().st_mode & 0o777 == 0o600  # personal data: the owner only
    assert manifest_of(archive)["instance"]["secrets"] is False


def test_backup_settings_are_checked_at_start_up(tmp_path):
    with pytest.raises(ConfigError, match="BACKUP_KEEP_DAILY must be at least 1"):
        site_app(f"sqlite:///{tmp_path / 'x.db'}", tmp_path, BACKUP_KEEP_DAILY=0)
