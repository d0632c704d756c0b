"""Test settings: the real settings plus a few overrides. Services still come from the environment."""

import os

from servicedesk.settings import *  # noqa: F403
from servicedesk.settings import CACHES, DATA_DIR, DATABASES, INSTALLED_APPS

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True  # unit tests; the integration test starts a real worker
CELERY_TASK_EAGER_PROPAGATES = True
MEDIA_ROOT = DATA_DIR / "test-media"
INSTALLED_APPS = [*INSTALLED_APPS, "tests.kernel"]  # a concrete record for the kernel
AXES_FAILURE_LIMIT = 3

# pytest-xdist runs the suite in several processes ("gw0", "gw1", ...); each has its own test
# database (pytest-django adds the suffix) and must have its own cache too, or one worker's
# cached priority matrix or cache.clear() would leak into another's tests.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
CACHES["default"]["KEY_PREFIX"] = f"test-{WORKER}"
if CACHES["default"]["BACKEND"].endswith("FileBasedCache"):
    CACHES["default"]["LOCATION"] = str(DATA_DIR / "test-cache" / WORKER)

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not SQLite's shared in-memory database: the live server's threads (browser tests)
    # then get connections of their own instead of sharing the test's one connection, which
    # deadlocked when a page fetched several charts at once. WAL lets them read while the test
    # writes; durability does not matter for a database thrown away after the run.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-db.sqlite3")}
    DATABASES["default"]["OPTIONS"]["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
    )

# The read replica is a mirror of the test database (the same database through a second
# connection), so the router's tests run anywhere; reads go to it only where a test turns
# READ_FROM_REPLICA on (tests/servicedesk/test_replicas.py).
DATABASES["replica"] = {
    **DATABASES["default"],
    "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})),
    "TEST": {"MIRROR": "default"},
}
READ_FROM_REPLICA = False
