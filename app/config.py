"""Configuration: defaults here, then ``instance/config.py``, then environment.

Every key in :data:`DEFAULTS` can be overridden by an environment variable of
the same name (``DATABASE_URL``, ``SECRET_KEY``, ``MAIL_SERVER``, …); values
are converted to the type of the default.
"""
import os
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from huey import crontab

DEFAULTS = {
    # "development", "production" or "testing". Production is the default so
    # that a forgotten setting fails closed (no generated secret key).
    "SHOWCASE_ENV": "production",
    "SECRET_KEY": "",
    "DATABASE_URL": "",  # empty: SQLite in the instance folder
    "SQLITE_BUSY_TIMEOUT_MS": 15000,
    # Tests: a relationship read before it was loaded raises instead of
    # loading lazily (app.db.StrictLoadingSession); off in production.
    "RAISE_ON_LAZY_LOAD": False,
    # Chairs enter and everyone reads dates in this zone; the database stores UTC.
    "TIMEZONE": "Asia/Shanghai",
    "BABEL_DEFAULT_LOCALE": "zh",
    "MAIL_SERVER": "",  # empty: mails are written to MAIL_OUTBOX_DIR and the log
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_DEFAULT_SENDER": "Scenario Showcase <noreply@showcase.local>",
    "MAIL_OUTBOX_DIR": "",  # empty: instance/mail
    "PASSWORD_HASH_METHOD": "scrypt",
    # The password policy (app/accounts/passwords.py): length, how many of
    # the four kinds of characters (lower case, capitals, digits, symbols),
    # optional expiry and history (0: off).
    "PASSWORD_MIN_LENGTH": 12,
    "PASSWORD_MIN_CLASSES": 3,
    "PASSWORD_MAX_AGE_DAYS": 0,
    "PASSWORD_HISTORY": 0,
    "PASSWORD_RESET_HOURS": 2,
    "INVITATION_DAYS": 7,
    "REGISTRATION_LINK_HOURS": 48,
    # After this many failed logins in a row an account is locked for the given time.
    "LOGIN_LOCKOUT_ATTEMPTS": 5,
    "LOGIN_LOCKOUT_MINUTES": 15,
    # Chair and publicity accounts must use a second factor (TOTP) when true.
    "TWO_FACTOR_REQUIRED": False,
    # Login sessions, on the server: idle timeout (staff, applicants), absolute
    # lifetime, how often the last activity is written, the warning before expiry.
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_IDLE_MINUTES_APPLICANT": 60,
    "SESSION_ABSOLUTE_MINUTES": 720,
    "SESSION_TOUCH_SECONDS": 60,
    "SESSION_WARNING_MINUTES": 3,
    # Days the audit log keeps events for `flask audit prune` (0: keep them all; else at least 180).
    "AUDIT_RETENTION_DAYS": 0,
    "RATELIMIT_STORAGE_URI": "memory://",
    # When that storage (Redis) cannot be reached, count login attempts in each
    # process's memory (logged as a warning) instead of failing every login.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    # Every login attempt counts (checked and counted atomically, before the
    # password is checked). Per account and address: guessing one password;
    # per account: a distributed guess; per address: a meeting room of
    # experts behind one NAT must still fit.
    "LOGIN_LIMIT_PER_ACCOUNT_AND_IP": "10 per 15 minutes",
    "LOGIN_LIMIT_PER_ACCOUNT": "30 per 15 minutes",
    "LOGIN_LIMIT_PER_IP": "200 per 15 minutes",
    "PROXY_COUNT": 0,  # how many reverse proxies set X-Forwarded-For
    # A request may carry one upload of up to MAX_UPLOAD_BYTES plus the form.
    "MAX_CONTENT_LENGTH": 21 * 1024 * 1024,
    "MAX_UPLOAD_BYTES": 20 * 1024 * 1024,
    "MAX_IMAGE_PIXELS": 50_000_000,  # larger images are refused (decompression bombs)
    "UPLOAD_FOLDER": "",  # empty: instance/uploads
    # Where uploads are kept (app/storage/): "local" (UPLOAD_FOLDER, one host or
    # a folder shared by NFS) or "s3" (an S3-compatible object store, below).
    "STORAGE_BACKEND": "local",
    "S3_BUCKET": "",
    "S3_PREFIX": "",  # prepended to every object name, e.g. "showcase/"
    "S3_ENDPOINT_URL": "",  # empty: AWS; MinIO e.g. http://minio.internal:9000
    "S3_REGION": "",  # empty: boto3's default (AWS_DEFAULT_REGION, ~/.aws)
    # Empty (both): boto3's own credential chain (AWS_* variables, ~/.aws, an instance role).
    "S3_ACCESS_KEY_ID": "",
    "S3_SECRET_ACCESS_KEY": "",
    "S3_ADDRESSING_STYLE": "auto",  # auto, path (MinIO, most on-premises stores) or virtual
    "RUBRICS_FOLDER": "",  # empty: rubrics/ beside the app package
    "RESULTS_RESAMPLES": 1000,  # bootstrap resamples for the rank intervals
    # The job queue (brochure builds): Redis when a URL is given, else a SQLite file.
    "JOBS_REDIS_URL": "",
    "JOBS_SQLITE_PATH": "",  # empty: instance/jobs.sqlite3
    "BROCHURE_CACHE_FOLDER": "",  # empty: instance/brochure-cache (prepared images, rendered parts)
    "BROCHURE_FOLDER": "",  # empty: instance/brochures (the built PDFs)
    "BROCHURE_WORKERS": 0,  # processes rendering brochure parts; 0: up to 2, by the CPU count
    # Mail leaves through the outbox (app/mail.py): the worker tries a mail up
    # to MAIL_MAX_ATTEMPTS times, waiting MAIL_RETRY_SECONDS after the first
    # failure and twice as long after each next one; sent mails are deleted
    # from the outbox after MAIL_KEEP_DAYS (0: kept).
    "MAIL_MAX_ATTEMPTS": 8,
    "MAIL_RETRY_SECONDS": 60,
    "MAIL_KEEP_DAYS": 90,
    # Periodic jobs, run by `flask worker` (app/jobs.py): each *_SCHEDULE is a
    # cron expression "minute hour day month weekday" in TIMEZONE, empty: off.
    # With workers on several hosts, leave PERIODIC_JOBS_ENABLED on for one only.
    "PERIODIC_JOBS_ENABLED": True,
    "MAIL_SWEEP_SCHEDULE": "*/5 * * * *",  # re-queue mails whose job was lost
    "STORAGE_PRUNE_SCHEDULE": "30 3 * * *",  # delete uploaded files nothing uses
    "TOKEN_CLEANUP_SCHEDULE": "15 3 * * *",  # delete expired links, old ended login sessions
    "ENDED_SESSIONS_KEEP_DAYS": 30,  # ended login sessions kept this long (client address, user agent)
    # Experts with open sheets are reminded daily in the last REVIEW_REMINDER_DAYS
    # days of the review phase (0: never automatically; chairs still can).
    "REVIEW_REMINDER_SCHEDULE": "0 9 * * *",
    "REVIEW_REMINDER_DAYS": 3,
    # Backup archives (flask backup): where they go, and how many the retention
    # rule keeps: the newest of each of the last N days and of the last M months.
    "BACKUP_FOLDER": "",  # empty: instance/backups
    "BACKUP_KEEP_DAILY": 7,
    "BACKUP_KEEP_MONTHLY": 12,
    "BACKUP_SCHEDULE": "0 2 * * *",  # the nightly backup (a periodic job; empty: off)
    "PREFERRED_URL_SCHEME": "http",
    # Operations (app/ops/): logs, readiness, metrics, error reporting.
    "LOG_FORMAT": "",  # "json" or "text"; empty: json in production, text otherwise
    "LOG_LEVEL": "INFO",
    # `flask worker` records a heartbeat this often; /readyz fails when the
    # newest is older than the maximum age.
    "WORKER_HEARTBEAT_SECONDS": 15,
    "WORKER_HEARTBEAT_MAX_AGE_SECONDS": 120,
    # /readyz fails when the upload folder's disk has less free space than this.
    "READYZ_MIN_FREE_DISK_MB": 1024,
    # Prometheus metrics at /metrics (off by default), only for these client
    # addresses (comma-separated) or a request with "Authorization: Bearer <token>".
    "METRICS_ENABLED": False,
    "METRICS_ALLOWED_IPS": "127.0.0.1,::1",
    "METRICS_TOKEN": "",
    # Errors reported to a Sentry-compatible service when a DSN is given.
    "SENTRY_DSN": "",
    # Where users reach the site. Links in mails are built from it, never from
    # the request's Host header (which a client can forge). Required in production;
    # elsewhere it follows HOST and PORT (what ``make run`` serves on) unless set.
    "BASE_URL": "",
    "HOST": "127.0.0.1",
    "PORT": 5000,
}

LANGUAGES = {"zh": "简体中文", "en": "English"}
#: Bootstrap resamples a results computation may use (RESULTS_RESAMPLES, ``--resamples``).
RESAMPLES_RANGE = (1, 100_000)


class ConfigError(RuntimeError):
    """The configuration cannot run the app (raised at start-up)."""


def _coerce(raw: str, default):
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    return raw


def load_config(app, test_config: dict | None) -> None:
    """Fill ``app.config`` from defaults, instance config, environment, tests."""
    app.config.from_mapping(DEFAULTS)
    app.config["LANGUAGES"] = LANGUAGES
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        for key, default in DEFAULTS.items():
            if key in os.environ:
                app.config[key] = _coerce(os.environ[key], default)
    else:
        app.config.update(test_config)

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'showcase.db'}"
    app.config["DATABASE_URL"] = normalise_database_url(app.config["DATABASE_URL"])
    if not app.config["RUBRICS_FOLDER"]:
        app.config["RUBRICS_FOLDER"] = str(Path(app.root_path).parent / "rubrics")
    if not app.config["MAIL_OUTBOX_DIR"]:
        app.config["MAIL_OUTBOX_DIR"] = str(instance / "mail")
    if not app.config["JOBS_SQLITE_PATH"]:
        app.config["JOBS_SQLITE_PATH"] = str(instance / "jobs.sqlite3")
    if not app.config["BROCHURE_CACHE_FOLDER"]:
        app.config["BROCHURE_CACHE_FOLDER"] = str(instance / "brochure-cache")
    if not app.config["BROCHURE_FOLDER"]:
        app.config["BROCHURE_FOLDER"] = str(instance / "brochures")
    if not app.config["BACKUP_FOLDER"]:
        app.config["BACKUP_FOLDER"] = str(instance / "backups")
    # At least one daily archive: pruning never deletes the newest one.
    if app.config["BACKUP_KEEP_DAILY"] < 1 or app.config["BACKUP_KEEP_MONTHLY"] < 0:
        raise ConfigError("BACKUP_KEEP_DAILY must be at least 1 and BACKUP_KEEP_MONTHLY at least 0.")

    env = app.config["SHOWCASE_ENV"]
    if env not in {"development", "production", "testing"}:
        raise ConfigError(f"SHOWCASE_ENV must be development, production or testing, not {env!r}")
    if not app.config["SECRET_KEY"]:
        if env == "production":
            raise ConfigError(
                "SECRET_KEY is not set. In production set it in the environment or in "
                "instance/config.py (for example: python -c 'import secrets; "
                "print(secrets.token_hex(32))'); for local work set SHOWCASE_ENV=development."
            )
        app.config["SECRET_KEY"] = _development_secret(instance)
    elif env == "production" and len(app.config["SECRET_KEY"]) < 32:
        raise ConfigError("SECRET_KEY is too short for production: use at least 32 random characters.")

    if not app.config["BASE_URL"]:
        if env == "production":
            raise ConfigError("BASE_URL is not set: give the address users reach the site at, e.g. https://showcase.example.gov.cn")
        app.config["BASE_URL"] = local_base_url(app.config["HOST"], app.config["PORT"])
    if env == "production" and not app.config["MAIL_SERVER"]:
        raise ConfigError(
            "MAIL_SERVER is not set: production sends password-reset and invitation links by SMTP "
            "(without it they would be written to the log)."
        )
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TIMEZONE"]
    if not app.config["LOG_FORMAT"]:
        app.config["LOG_FORMAT"] = "json" if env == "production" else "text"
    if app.config["LOG_FORMAT"] not in {"json", "text"}:
        raise ConfigError(f"LOG_FORMAT must be json or text, not {app.config['LOG_FORMAT']!r}")
    low, high = RESAMPLES_RANGE
    if not low <= app.config["RESULTS_RESAMPLES"] <= high:
        raise ConfigError(f"RESULTS_RESAMPLES must be a whole number from {low:,} to {high:,}.")

    app.config["TESTING"] = app.config.get("TESTING", False) or env == "testing"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = env == "production"
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    app.config["REMEMBER_COOKIE_SECURE"] = env == "production"
    # The cookie lives as long as a login session may; the server decides before that (app/accounts/sessions.py).
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=app.config["SESSION_ABSOLUTE_MINUTES"])
    app.config["WTF_CSRF_TIME_LIMIT"] = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    check_security_settings(app.config)


# The Cybersecurity Law (网络安全法, art. 21) asks for network logs kept at least six months.
MIN_AUDIT_RETENTION_DAYS = 180


def check_security_settings(config) -> None:
    """Refuse settings that would switch a protection off by accident."""
    problems = []
    if config["PASSWORD_MIN_LENGTH"] < 8:
        problems.append("PASSWORD_MIN_LENGTH must be at least 8")
    if not 1 <= config["PASSWORD_MIN_CLASSES"] <= 4:
        problems.append("PASSWORD_MIN_CLASSES must be between 1 and 4")
    for key in ("PASSWORD_MAX_AGE_DAYS", "PASSWORD_HISTORY", "AUDIT_RETENTION_DAYS"):
        if config[key] < 0:
            problems.append(f"{key} cannot be negative (0 switches it off)")
    for key in ("LOGIN_LOCKOUT_ATTEMPTS", "LOGIN_LOCKOUT_MINUTES", "SESSION_IDLE_MINUTES",
                "SESSION_IDLE_MINUTES_APPLICANT", "SESSION_ABSOLUTE_MINUTES", "REGISTRATION_LINK_HOURS"):
        if config[key] < 1:
            problems.append(f"{key} must be at least 1")
    for key in ("MAIL_MAX_ATTEMPTS", "MAIL_RETRY_SECONDS"):
        if config[key] < 1:
            problems.append(f"{key} must be at least 1")
    for key in ("MAIL_KEEP_DAYS", "ENDED_SESSIONS_KEEP_DAYS", "REVIEW_REMINDER_DAYS"):
        if config[key] < 0:
            problems.append(f"{key} cannot be negative")
    for key in sorted(key for key in config if key.endswith("_SCHEDULE")):
        try:
            cron_schedule(config[key])
        except ValueError as error:
            problems.append(f"{key} is not a cron expression \"minute hour day month weekday\" ({error})")
    if 0 < config["AUDIT_RETENTION_DAYS"] < MIN_AUDIT_RETENTION_DAYS:
        problems.append(f"AUDIT_RETENTION_DAYS must be 0 (keep everything) or at least {MIN_AUDIT_RETENTION_DAYS}: "
                        "network logs are kept at least six months")
    if problems:
        raise ConfigError("; ".join(problems) + ".")


def cron_schedule(expression: str) -> Callable[[datetime], bool] | None:
    """The test of a ``*_SCHEDULE`` setting: a cron expression of five fields
    (minute hour day month weekday; ``*``, ``*/n``, ``a-b``, ``a,b``; Sunday is
    0), as Huey's ``crontab`` reads it; None for an empty one (off).
    ValueError when it is not one."""
    fields = (expression or "").split()
    if not fields:
        return None
    if len(fields) != 5:
        raise ValueError(f"{len(fields)} fields instead of 5")
    minute, hour, day, month, weekday = fields
    return crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=weekday, strict=True)


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def local_base_url(host: str, port: int) -> str:
    """The address of a development server listening on ``host``:``port``, as
    links in mails, QR codes and printed URLs should carry it. A wildcard
    address (0.0.0.0, ::) is not one a browser can open, so links use the
    loopback address; set BASE_URL to the machine's name to share links."""
    host = host.strip() or "127.0.0.1"
    if host in {"0.0.0.0", "::", "[::]"}:
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return f"http://{host}:{int(port)}"


def _development_secret(instance: Path) -> str:
    """A random key kept in the instance folder, so sessions survive restarts."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
