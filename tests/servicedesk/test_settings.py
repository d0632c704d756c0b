"""The settings module, loaded for real in a fresh process with a clean environment each time."""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
KEPT_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
PRINT_SETTINGS = """
import json
from django.conf import settings as s
from servicedesk.settings import DEV_SECRET_KEY
db = s.DATABASES["default"]
print("SETTINGS=" + json.dumps({
    "DEBUG": s.DEBUG,
    "ENGINE": db["ENGINE"],
    "NAME": str(db["NAME"]),
    "HOST": db.get("HOST", ""),
    "CONN_MAX_AGE": db["CONN_MAX_AGE"],
    "CACHE_BACKEND": s.CACHES["default"]["BACKEND"],
    "CACHE_LOCATION": str(s.CACHES["default"]["LOCATION"]),
    "CELERY_BROKER_URL": s.CELERY_BROKER_URL,
    "CELERY_BROKER_TRANSPORT_OPTIONS": getattr(s, "CELERY_BROKER_TRANSPORT_OPTIONS", None),
    "CELERY_RESULT_BACKEND": s.CELERY_RESULT_BACKEND,
    "CELERY_TASK_ALWAYS_EAGER": s.CELERY_TASK_ALWAYS_EAGER,
    "EMAIL_BACKEND": s.EMAIL_BACKEND,
    "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "MEDIA_ROOT": str(s.MEDIA_ROOT),
    "SECRET_KEY_IS_DEV": s.SECRET_KEY == DEV_SECRET_KEY,
}))
"""


def manage(*args: str, **variables: str) -> subprocess.CompletedProcess:
    """Run manage.py with only the basics of this environment plus `variables`.

    DATABASE_URL, REDIS_URL, CELERY_BROKER_URL, DEBUG, SECRET_KEY and the like from the outer
    environment (CI sets several) are left out, so each test states exactly what it sets.
    """
    env = {name: os.environ[name] for name in KEPT_VARIABLES if name in os.environ}
    env["DJANGO_SETTINGS_MODULE"] = "servicedesk.settings"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(variables)
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def printed_settings(**variables: str) -> dict:
    result = manage("shell", "--no-imports", "-c", PRINT_SETTINGS, **variables)
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stdout.splitlines() if line.startswith("SETTINGS=")]
    return json.loads(line.removeprefix("SETTINGS="))


def issue_ids(output: str) -> set[str]:
    return set(re.findall(r"^\?: \(([\w.]+)\)", output, flags=re.MULTILINE))


def strong_key() -> str:
    return secrets.token_urlsafe(64)


@pytest.fixture
def data_dir(tmp_path) -> str:
    return str(tmp_path / "data")


@pytest.mark.parametrize(
    "secret",
    [None, "", "   ", DEV_SECRET_KEY],
    ids=["unset", "empty", "blank", "development-key"],
)
def test_debug_off_without_a_real_secret_key_refuses_to_start(data_dir, secret):
    variables = {"DEBUG": "false", "SERVICEDESK_DATA_DIR": data_dir}
    if secret is not None:
        variables["SECRET_KEY"] = secret
    result = manage("check", **variables)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "Set SECRET_KEY: DEBUG is off and the development key is public." in result.stderr


def test_a_production_configuration_leaves_only_what_the_reverse_proxy_provides(data_dir):
    result = manage(
        "check",
        "--deploy",
        DEBUG="false",
        SECRET_KEY=strong_key(),
        ALLOWED_HOSTS="example.org",
        SERVICEDESK_DATA_DIR=data_dir,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "ERRORS:" not in output
    # HSTS (W004) and the HTTPS redirect (W008) are the TLS-terminating proxy's job by default.
    assert issue_ids(output) == {"security.W004", "security.W008"}
    assert "System check identified 2 issues (0 silenced)." in output


def test_hsts_and_the_https_redirect_can_be_switched_on_from_the_environment(data_dir):
    result = manage(
        "check",
        "--deploy",
        DEBUG="false",
        SECRET_KEY=strong_key(),
        ALLOWED_HOSTS="example.org",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_SSL_REDIRECT="true",
        SERVICEDESK_DATA_DIR=data_dir,
    )
    assert result.returncode == 0, result.stderr
    # What remains are HSTS's own options (subdomains, preload), a decision per site.
    assert issue_ids(result.stdout + result.stderr) == {"security.W005", "security.W021"}


def test_a_weak_secret_key_is_reported_by_the_deploy_check(data_dir):
    result = manage(
        "check",
        "--deploy",
        DEBUG="false",
        SECRET_KEY="short",
        ALLOWED_HOSTS="example.org",
        SERVICEDESK_DATA_DIR=data_dir,
    )
    assert "security.W009" in issue_ids(result.stdout + result.stderr)


def test_debug_off_makes_the_cookies_secure(data_dir):
    values = printed_settings(DEBUG="false", SECRET_KEY=strong_key(), SERVICEDESK_DATA_DIR=data_dir)
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECRET_KEY_IS_DEV"] is False


def test_with_nothing_set_it_runs_on_sqlite_and_the_filesystem_broker():
    values = printed_settings()  # no SERVICEDESK_DATA_DIR either: the real defaults
    data = BASE_DIR / "var"
    assert values["DEBUG"] is True
    assert values["SECRET_KEY_IS_DEV"] is True
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["NAME"] == str(data / "servicedesk.sqlite3")
    assert values["CELERY_BROKER_URL"] == "filesystem://"
    assert values["CELERY_BROKER_TRANSPORT_OPTIONS"] == {
        "data_folder_in": str(data / "celery" / "queue"),
        "data_folder_out": str(data / "celery" / "queue"),
        "control_folder": str(data / "celery" / "control"),
    }
    assert values["CELERY_RESULT_BACKEND"] == f"file://{data / 'celery' / 'results'}"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False
    assert values["CACHE_BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert values["CACHE_LOCATION"] == str(data / "cache")
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert values["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    assert values["SESSION_COOKIE_SECURE"] is False
    assert (data / "celery" / "queue").is_dir()
    assert (data / "celery" / "results").is_dir()


def test_the_data_directory_moves_everything_local(tmp_path):
    data = tmp_path / "elsewhere"
    values = printed_settings(SERVICEDESK_DATA_DIR=str(data))
    assert values["NAME"] == str(data / "servicedesk.sqlite3")
    assert values["CACHE_LOCATION"] == str(data / "cache")
    assert values["MEDIA_ROOT"] == str(data / "media")
    assert values["CELERY_RESULT_BACKEND"] == f"file://{data / 'celery' / 'results'}"
    assert (data / "celery" / "queue").is_dir()


def test_service_urls_switch_to_postgresql_redis_and_a_redis_broker(data_dir):
    values = printed_settings(
        DATABASE_URL="postgres://desk:secret@db.example.org:5432/servicedesk",
        REDIS_URL="redis://cache.example.org:6379/0",
        CELERY_BROKER_URL="redis://cache.example.org:6379/1",
        EMAIL_URL="smtp://mail.example.org:25",
        SERVICEDESK_DATA_DIR=data_dir,
    )
    assert values["ENGINE"] == "django.db.backends.postgresql"
    assert (values["NAME"], values["HOST"]) == ("servicedesk", "db.example.org")
    assert values["CONN_MAX_AGE"] == 60
    assert values["CACHE_BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert values["CACHE_LOCATION"] == "redis://cache.example.org:6379/0"
    assert values["CELERY_BROKER_URL"] == "redis://cache.example.org:6379/1"
    assert values["CELERY_BROKER_TRANSPORT_OPTIONS"] is None
    assert values["CELERY_RESULT_BACKEND"] == "redis://cache.example.org:6379/0"
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"


SITE_URL_OF = "from django.conf import settings; print('SITE_URL=' + settings.SITE_URL)"


def site_url(**variables) -> str:
    result = manage("shell", "-c", SITE_URL_OF, **variables)
    assert result.returncode == 0, result.stderr
    return re.search(r"^SITE_URL=(.*)$", result.stdout, re.M)[1]


def test_site_url_follows_the_port_served_unless_it_is_set(tmp_path):
    data = {"SERVICEDESK_DATA_DIR": str(tmp_path)}
    assert site_url(**data) == "http://localhost:8000"
    assert site_url(**data, WEB_PORT="8137") == "http://localhost:8137"
    # honcho gives each process a PORT of its own (the worker 8100): it is not the site's port.
    assert site_url(**data, WEB_PORT="8137", PORT="8237") == "http://localhost:8137"
    assert site_url(**data, WEB_PORT="8137", SITE_URL="https://desk.example.org") == (
        "https://desk.example.org"
    )


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_passes_its_port_to_the_web_server_and_the_e_mail_links():
    make = subprocess.run(  # noqa: S603 - fixed arguments
        ["make", "-n", "run", "PORT=8137"],  # noqa: S607 - make from the PATH
        cwd=BASE_DIR, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert make.returncode == 0, make.stderr
    assert "WEB_PORT=8137" in make.stdout and "honcho start" in make.stdout
    procfile = (BASE_DIR / "Procfile").read_text()
    assert "runserver 0.0.0.0:${WEB_PORT:-8000}" in procfile
