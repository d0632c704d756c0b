"""Test settings: the real settings plus a few overrides. Services still come from the environment."""

from servicedesk.settings import *  # noqa: F403
from servicedesk.settings import DATA_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True  # unit tests; the integration test starts a real worker
CELERY_TASK_EAGER_PROPAGATES = True
MEDIA_ROOT = DATA_DIR / "test-media"
INSTALLED_APPS = [*INSTALLED_APPS, "tests.kernel"]  # noqa: F405  a concrete record for the kernel
AXES_FAILURE_LIMIT = 3
CACHES["default"]["KEY_PREFIX"] = "test"  # noqa: F405
