import pytest
from flask import Flask

from app import create_app
from app.config import ConfigError, load_config, local_base_url


def _app(tmp_path):
    return Flask("t", instance_path=str(tmp_path / "instance"), instance_relative_config=True)


PRODUCTION = {
    "SHOWCASE_ENV": "production",
    "SECRET_KEY": "x" * 40,
    "BASE_URL": "https://showcase.example.gov.cn",
    "MAIL_SERVER": "smtp.example.gov.cn",
}


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "dev"}, "SECRET_KEY is too short"),
        ({"BASE_URL": ""}, "BASE_URL is not set"),
        ({"MAIL_SERVER": ""}, "MAIL_SERVER is not set"),
    ],
)
def test_production_refuses_to_start_without_its_settings(tmp_path, missing, message):
    with pytest.raises(ConfigError, match=message):
        load_config(_app(tmp_path), PRODUCTION | missing)


def test_one_timezone_for_entering_and_showing_dates(tmp_path):
    app = _app(tmp_path)
    load_config(app, {"SHOWCASE_ENV": "development", "TIMEZONE": "Asia/Urumqi"})
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Urumqi"


def test_development_generates_and_keeps_a_secret_key(tmp_path):
    first, second = _app(tmp_path), _app(tmp_path)
    load_config(first, {"SHOWCASE_ENV": "development", "SECRET_KEY": ""})
    load_config(second, {"SHOWCASE_ENV": "development", "SECRET_KEY": ""})
    key_file = tmp_path / "instance" / "secret_key"
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text()
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_environment_overrides_instance_config(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("MAIL_SERVER = 'from-instance'\nMAIL_PORT = 2525\n")
    monkeypatch.setenv("SHOWCASE_ENV", "development")
    monkeypatch.setenv("MAIL_SERVER", "from-env")
    monkeypatch.setenv("MAIL_USE_TLS", "true")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/showcase")
    app = _app(tmp_path)
    load_config(app, None)
    assert app.config["MAIL_SERVER"] == "from-env"
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["MAIL_USE_TLS"] is True
    assert app.config["DATABASE_URL"] == "postgresql+psycopg://u@db/showcase"


def test_development_base_url_follows_the_port_make_run_serves_on(tmp_path, monkeypatch):
    """``PORT=5701 make run``: links in mails, QR codes and the printed library
    address must point at 5701, not 5000 (issue 16, item 3)."""
    monkeypatch.setenv("SHOWCASE_ENV", "development")
    monkeypatch.setenv("PORT", "5701")
    app = _app(tmp_path)
    load_config(app, None)
    assert app.config["BASE_URL"] == "http://127.0.0.1:5701"

    monkeypatch.setenv("BASE_URL", "http://showcase.lan:8080")
    app = _app(tmp_path)
    load_config(app, None)
    assert app.config["BASE_URL"] == "http://showcase.lan:8080"


def test_development_base_url_defaults_to_the_default_host_and_port(tmp_path):
    app = _app(tmp_path)
    load_config(app, {"SHOWCASE_ENV": "development"})
    assert app.config["BASE_URL"] == "http://127.0.0.1:5000"


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("localhost", 5701, "http://localhost:5701"),
        ("0.0.0.0", 8000, "http://127.0.0.1:8000"),
        ("::", 8000, "http://127.0.0.1:8000"),
        ("::1", 8000, "http://[::1]:8000"),
        ("", 5000, "http://127.0.0.1:5000"),
    ],
)
def test_local_base_url_is_an_address_a_browser_can_open(host, port, url):
    assert local_base_url(host, port) == url


def test_production_never_guesses_the_base_url_from_the_port(tmp_path):
    with pytest.raises(ConfigError, match="BASE_URL is not set"):
        load_config(_app(tmp_path), PRODUCTION | {"BASE_URL": "", "PORT": 5701})


def test_sqlite_in_the_instance_folder_is_the_default(tmp_path):
    app = _app(tmp_path)
    load_config(app, {"SHOWCASE_ENV": "development"})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'showcase.db'}"


def test_production_cookies_are_secure(tmp_path):
    app = _app(tmp_path)
    load_config(app, PRODUCTION)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_unknown_environment_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="SHOWCASE_ENV"):
        create_app({"SHOWCASE_ENV": "staging", "SECRET_KEY": "x" * 40})
