"""The instance configuration without its secrets (app.backup.redaction)."""
import pytest

from app.backup.redaction import UnreadableConfig, strip_secrets

CONFIG = '''\
# Production settings for the province's showcase.
SHOWCASE_ENV = "production"
SECRET_KEY = "5f2c1e0b9a8d7c6b5a4f3e2d1c0b9a8d7c6b5a4f"
BASE_URL = "https://showcase.example.gov.cn"
DATABASE_URL = "postgresql://showcase:db-pass-123@db.internal:5432/showcase"
JOBS_REDIS_URL = "redis://:redis-pass-456@cache.internal:6379/1"
RATELIMIT_STORAGE_URI = "redis://cache.internal:6379/0"
MAIL_SERVER = "smtp.example.gov.cn"
MAIL_USERNAME = "showcase"
MAIL_PASSWORD: str = (
    "mail-pass-"
    "789"
)
S3_SECRET_ACCESS_KEY = "s3-secret-abc"
SENTRY_DSN = "https://key-def@sentry.example.gov.cn/4"
TWO_FACTOR_REQUIRED = True
'''


def _settings(source: str) -> dict:
    namespace = {}
    exec(compile(source, "config.py", "exec"), namespace)  # noqa: S102 - our own test text
    return {key: value for key, value in namespace.items() if key.isupper()}


def test_secrets_and_url_passwords_are_removed_the_rest_kept():
    stripped = strip_secrets(CONFIG)
    for secret in ("5f2c1e0b9a8d", "db-pass-123", "redis-pass-456", "mail-pass-", "s3-secret-abc", "key-def"):
        assert secret not in stripped
    settings = _settings(stripped)
    assert settings == {
        "SHOWCASE_ENV": "production",
        "SECRET_KEY": "",
        "BASE_URL": "https://showcase.example.gov.cn",
        "DATABASE_URL": "postgresql://showcase:***@db.internal:5432/showcase",
        "JOBS_REDIS_URL": "redis://:***@cache.internal:6379/1",
        "RATELIMIT_STORAGE_URI": "redis://cache.internal:6379/0",
        "MAIL_SERVER": "smtp.example.gov.cn",
        "MAIL_USERNAME": "showcase",
        "MAIL_PASSWORD": "",
        "S3_SECRET_ACCESS_KEY": "",
        "SENTRY_DSN": "",
        "TWO_FACTOR_REQUIRED": True,
    }
    assert "# SECRET_KEY: removed from the backup (flask backup create --with-secrets keeps it)" in stripped
    assert stripped.startswith("# Production settings for the province's showcase.\n")


def test_a_file_without_secrets_is_unchanged():
    source = 'SHOWCASE_ENV = "development"\nBABEL_DEFAULT_LOCALE = "en"\n'
    assert strip_secrets(source) == source


def test_a_file_that_is_not_python_cannot_be_stripped():
    with pytest.raises(UnreadableConfig):
        strip_secrets('SECRET_KEY = "unterminated\n')
