"""The suite itself: what lets `make test` finish on the default setup (SQLite) as on PostgreSQL."""

import pytest
from django.db import connection


@pytest.mark.django_db
def test_the_test_database_is_never_sqlites_shared_memory_database():
    """The live server's threads shared the test's one in-memory SQLite connection and deadlocked
    when a page fetched several charts at once; a file gives each thread its own connection."""
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite has a shared in-memory test database")
    assert not connection.is_in_memory_db()
    assert "test-db.sqlite3" in str(connection.settings_dict["NAME"])  # one file per xdist worker


def test_a_hanging_test_fails_after_a_time_limit(pytestconfig):
    assert pytestconfig.getini("timeout") not in (None, "", "0")
    assert float(pytestconfig.getini("timeout")) <= 600
    assert pytestconfig.getini("timeout_method") == "thread"  # fires even when the GIL is held
