import uuid

import pytest
from django.utils import translation

from accounts.roles import Role
from tests.factories import UserFactory
from tests.smtp import smtp_server  # noqa: F401 - a fixture for every test directory

# A worker's first database test also builds its test database (every migration). On a loaded
# machine that alone can take longer than one test may (pyproject's timeout), and a timed-out
# worker is killed and replaced, failing the test it held. So tests get a longer timeout until
# the database stands; after that the usual one holds again.
DATABASE_BUILD_TIMEOUT = 1800
_database_built = False


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    global _database_built
    _database_built = True


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    if not _database_built:
        item.add_marker(pytest.mark.timeout(DATABASE_BUILD_TIMEOUT))
    yield


@pytest.fixture
def make_user(db):
    """make_user(Role.AGENT, email=...) -> a saved user holding that role."""

    def make(role: str = Role.END_USER, **fields):
        return UserFactory(role=role, **fields)

    return make


@pytest.fixture
def end_user(make_user):
    return make_user(Role.END_USER, full_name="Emma Enduser")


@pytest.fixture
def agent(make_user):
    return make_user(Role.AGENT, full_name="Arash Agent")


@pytest.fixture
def manager(make_user):
    return make_user(Role.DESK_MANAGER, full_name="Mona Manager")


@pytest.fixture(autouse=True)
def _default_language():
    """A request by a person with a language activates it for the thread (the preferences
    middleware); later tests on the same worker start from the default language again."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_priority_cache():
    """The priority matrix, the scales and the resolution codes are cached across requests;
    each test starts from the database."""
    from incidents.levels import forget_levels
    from incidents.priority import forget_priority_data

    forget_priority_data()
    forget_levels()


@pytest.fixture(autouse=True)
def _fresh_reference_data():
    """Routing rules, categories, SLA agreements and the like are kept in each process
    (servicedesk.memo); a rolled-back test's rows must not route the next test's records."""
    from servicedesk import memo

    memo.retire()


@pytest.fixture(autouse=True)
def _fresh_business_calendars():
    """Business calendars are built once per (id, version) in each process; a browser test's
    flush restarts the ids, so a later test's calendar could find an earlier one's arithmetic."""
    from sla.services.policies import _CALENDARS

    _CALENDARS.clear()


@pytest.fixture(autouse=True)
def _fresh_permission_cache():
    """Each test starts with no cached permission set: a rolled-back test's people leave
    their ids free for the next test's (SQLite reuses them), and some are bulk-created."""
    from accounts.backends import new_permission_generation

    new_permission_generation()


@pytest.fixture(autouse=True)
def _no_webhook_subscriptions_cached():
    """Outgoing webhooks cache the subscriptions per process; each test starts knowing there
    are none (those it makes through the services are read again at once), so a subscription
    of another test is never used and no test pays the read."""
    from events.services import webhooks

    webhooks._CACHE.update(rows=[], at=float("inf"))


@pytest.fixture
def private_cache(settings):
    """A cache of this test's own, for counting queries: the shared one (a file or Redis) may be
    emptied by another test run at any moment."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{uuid.uuid4()}",
        }
    }


@pytest.fixture
def broker_down():
    """The Celery app pointed at a broker that refuses connections, tasks no longer run eagerly:
    what an outage looks like to the code that queues work after a commit."""
    from servicedesk.celery import app

    names = ("task_always_eager", "broker_url", "broker_write_url")
    saved = {name: app.conf[name] for name in names}
    unreachable = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    # broker_write_url: what sending uses, and not hidden by a CELERY_BROKER_URL setting.
    app.conf.update(task_always_eager=False, broker_url=unreachable, broker_write_url=unreachable)
    app._pool, app.amqp._producer_pool = None, None
    try:
        yield app
    finally:
        app.conf.update(saved)
        app._pool, app.amqp._producer_pool = None, None


@pytest.fixture(autouse=True)
def _no_tokens_known():
    """Each process keeps the API tokens it checked (accounts.tokens); a rolled-back test's
    tokens and people must not be known in the next test."""
    from accounts import tokens

    tokens.retire_tokens()
