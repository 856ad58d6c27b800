"""The deployment kit in ``deploy/`` agrees with the app: the environment
template lists every setting, the systemd units run commands that exist, the
nginx site matches the settings and the folders (parsed: ``nginx -t`` and
``systemd-analyze verify`` are not available here)."""
import configparser
import re
import runpy
import shlex
from pathlib import Path

import pytest

from app.config import DEFAULTS, _coerce

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
#: Where deploy/README.md installs the repository.
INSTALLED = Path("/opt/showcase")
ENV_FILE = "/etc/showcase/showcase.env"
_LINE = re.compile(r"^(?P<commented># ?)?(?P<key>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


def env_template() -> tuple[dict[str, str], set[str]]:
    """The template's active settings (unquoted, as systemd reads them) and its commented-out ones."""
    active, commented = {}, set()
    for line in (DEPLOY / "showcase.env.example").read_text().splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        if match["commented"]:
            commented.add(match["key"])
        else:
            value = match["value"]
            active[match["key"]] = value[1:-1] if value[:1] == value[-1:] == '"' and len(value) > 1 else value
    return active, commented


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string((DEPLOY / "systemd" / name).read_text())
    return parser


def in_repository(path: str) -> Path:
    """A path under the install folder, found in this repository."""
    return ROOT / Path(path).relative_to(INSTALLED)


def test_the_env_template_lists_every_setting_once():
    active, commented = env_template()

    assert set(DEFAULTS) <= set(active) | commented, sorted(set(DEFAULTS) - set(active) - commented)
    assert not set(active) & commented


def test_the_env_template_values_are_valid_production_settings():
    active, _ = env_template()

    for key, value in active.items():
        if key in DEFAULTS:
            _coerce(value, DEFAULTS[key])  # a number that does not parse would stop the app at start
    assert active["SHOWCASE_ENV"] == "production"
    assert active["PROXY_COUNT"] == "1"
    assert active["LOG_FORMAT"] == "json"
    assert active["RATELIMIT_STORAGE_URI"].startswith("redis://")
    assert active["JOBS_REDIS_URL"].startswith("redis://")
    assert len(active["SECRET_KEY"]) >= 32


@pytest.mark.parametrize("name", ["showcase-web.service", "showcase-worker.service"])
def test_the_systemd_units_run_as_their_own_user_with_the_env_file_and_restart(name):
    service = unit(name)["Service"]

    assert service["User"] == service["Group"] == "showcase"
    assert service["EnvironmentFile"] == ENV_FILE
    assert service["Restart"] == "on-failure"
    assert service["Type"] == "notify"  # both tell systemd when they are ready
    assert service["WorkingDirectory"] == str(INSTALLED)
    assert in_repository(service["WorkingDirectory"]).joinpath("app", "__init__.py").is_file()
    assert ENV_FILE in (DEPLOY / "README.md").read_text()


def test_the_web_unit_runs_gunicorn_with_the_config_file():
    command = shlex.split(unit("showcase-web.service")["Service"]["ExecStart"])

    assert command[0] == str(INSTALLED / ".venv/bin/gunicorn")
    assert (ROOT / ".venv/bin/gunicorn").is_file()
    assert command[1] == "-c" and in_repository(command[2]) == DEPLOY / "gunicorn.conf.py"


def test_the_worker_unit_runs_flask_worker_and_lets_a_job_finish(app):
    service = unit("showcase-worker.service")["Service"]
    command = shlex.split(service["ExecStart"])

    assert command[0] == str(INSTALLED / ".venv/bin/flask")
    assert (ROOT / ".venv/bin/flask").is_file()
    assert command[1] == "worker"
    worker = app.cli.get_command(None, "worker")
    assert worker is not None
    options = {opt for param in worker.params for opt in param.opts}
    assert {arg.split("=")[0] for arg in command[2:] if arg.startswith("-")} <= options
    assert service["KillSignal"] == "SIGINT"  # Ctrl+C: running jobs finish (app/jobs_cli.py)


def test_gunicorn_reads_its_settings_from_the_environment(monkeypatch):
    for key in ("GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(key, raising=False)
    defaults = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    monkeypatch.setenv("GUNICORN_WORKERS", "5")
    monkeypatch.setenv("GUNICORN_BIND", "unix:/run/showcase-web/gunicorn.sock")
    changed = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))

    assert defaults["wsgi_app"] == "app:create_app()"
    assert (defaults["bind"], defaults["workers"], defaults["timeout"]) == ("127.0.0.1:8000", 3, 120)
    assert (changed["bind"], changed["workers"]) == ("unix:/run/showcase-web/gunicorn.sock", 5)
    active, _ = env_template()
    assert active["GUNICORN_BIND"] == defaults["bind"]


def nginx_site() -> str:
    text = (DEPLOY / "nginx" / "showcase.conf").read_text()
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def directives(text: str, name: str) -> list[str]:
    return [value.strip() for value in re.findall(rf"(?m)^\s*{name}\s+([^;]+);", text)]


def test_the_nginx_site_is_well_formed_and_serves_tls_and_http2():
    site = nginx_site()

    assert site.count("{") == site.count("}")
    assert "443 ssl http2" in directives(site, "listen")
    assert directives(site, "ssl_certificate") and directives(site, "ssl_certificate_key")
    assert directives(site, "return") == ["301 https://$host$request_uri", "404"]


def test_the_nginx_body_limit_is_the_apps():
    (limit,) = directives(nginx_site(), "client_max_body_size")

    assert re.fullmatch(r"\d+m", limit)
    assert int(limit[:-1]) * 1024 * 1024 == DEFAULTS["MAX_CONTENT_LENGTH"]


def test_nginx_serves_the_apps_static_folder_and_proxies_the_rest_to_gunicorn():
    site = nginx_site()
    (static,) = directives(site, "alias")
    (server,) = re.findall(r"upstream showcase_app \{[^}]*server ([^;\s]+);", site)

    assert in_repository(static) == ROOT / "app" / "static"
    assert (ROOT / "app" / "static" / "vendor" / "bootstrap" / "bootstrap.min.css").is_file()
    assert directives(site, "proxy_pass") == ["http://showcase_app"]
    assert server == runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))["bind"]
    headers = dict(value.split(None, 1) for value in directives(site, "proxy_set_header"))
    # One address exactly, for PROXY_COUNT=1; the scheme for the Secure cookies and links.
    assert headers["X-Forwarded-For"] == "$remote_addr"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["X-Request-ID"] == "$request_id"
    assert directives(site, "proxy_read_timeout") == [f"{runpy.run_path(str(DEPLOY / 'gunicorn.conf.py'))['timeout']}s"]


def test_every_worker_listens_on_its_own_socket_and_a_retiring_one_hands_its_queue_on():
    assert runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))["reuse_port"] is True
    settings = dict(line.replace(" ", "").split("=", 1) for line in (DEPLOY / "sysctl" / "90-showcase.conf")
                    .read_text().splitlines() if line.strip() and not line.startswith("#"))
    assert settings == {"net.ipv4.tcp_migrate_req": "1"}
    # A setting of this kernel (Linux 5.14 and later), and installed by the README's steps.
    assert Path("/proc/sys/net/ipv4/tcp_migrate_req").exists()
    assert "cp deploy/sysctl/90-showcase.conf /etc/sysctl.d/" in (DEPLOY / "README.md").read_text()
