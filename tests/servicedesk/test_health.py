"""/health/: 200 when the database, the cache and the broker answer; 503 naming those that do not."""

import time
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache

from servicedesk import health
from servicedesk.tasks import HEARTBEAT_KEY, record_heartbeat_task

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"  # port 1: nothing listens, refused at once
DOWN_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": UNREACHABLE_REDIS,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_heartbeat():
    cache.delete(HEARTBEAT_KEY)
    yield
    cache.delete(HEARTBEAT_KEY)


def get_health(client):
    started = time.perf_counter()
    response = client.get("/health/")
    elapsed = time.perf_counter() - started
    assert response["Content-Type"] == "application/json"
    assert elapsed < 10, f"/health/ took {elapsed:.1f}s: a dead service must fail fast"
    return response, response.json()


def test_everything_up_is_200_with_every_check_ok(client):
    response, body = get_health(client)
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert set(body["checks"]) == {"database", "cache", "broker"}
    for name, result in body["checks"].items():
        assert result["ok"] is True, name
        assert "error" not in result
        assert isinstance(result["ms"], int | float) and result["ms"] >= 0
    assert body["beat_last_seen"] is None


def test_the_answer_is_never_cached(client):
    response, _body = get_health(client)
    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


def test_health_needs_no_login(client, end_user):
    response, _body = get_health(client)
    assert response.status_code == 200  # monitoring probes are anonymous
    assert "Location" not in response


def test_the_last_beat_heartbeat_is_reported(client):
    with time_machine.travel(datetime(2026, 5, 4, 8, 30, tzinfo=UTC), tick=False):
        record_heartbeat_task.delay()  # eager under the test settings, as beat would run it
    _response, body = get_health(client)
    assert body["beat_last_seen"] == "2026-05-04T08:30:00+00:00"


def test_an_unreachable_broker_is_503_naming_the_broker(client, settings):
    # health.check_broker reads settings.CELERY_BROKER_URL on every call, so this takes effect.
    settings.CELERY_BROKER_URL = UNREACHABLE_REDIS
    response, body = get_health(client)
    assert response.status_code == 503
    assert body["status"] == "failing"
    assert body["failing"] == ["broker"]
    broker = body["checks"]["broker"]
    assert broker["ok"] is False
    assert "127.0.0.1:1" in broker["error"] or "refused" in broker["error"].lower()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["cache"]["ok"] is True


def test_an_unreachable_cache_is_503_naming_the_cache(client, settings):
    settings.CACHES = DOWN_CACHE
    response, body = get_health(client)
    assert response.status_code == 503
    assert body["failing"] == ["cache"]
    assert body["checks"]["cache"]["ok"] is False
    assert "Error" in body["checks"]["cache"]["error"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["beat_last_seen"] is None  # not read from a cache that is down


def test_several_failures_are_all_named_in_order(client, settings):
    settings.CACHES = DOWN_CACHE
    settings.CELERY_BROKER_URL = UNREACHABLE_REDIS
    response, body = get_health(client)
    assert response.status_code == 503
    assert body["failing"] == ["broker", "cache"]


def test_a_failing_database_check_is_reported_not_raised(client, monkeypatch):
    def database_down():
        raise ConnectionError("could not connect to server: " + "x" * 500)

    monkeypatch.setitem(health.CHECKS, "database", database_down)
    response, body = get_health(client)
    assert response.status_code == 503
    assert body["failing"] == ["database"]
    error = body["checks"]["database"]["error"]
    assert error.startswith("ConnectionError: could not connect to server")
    assert len(error) == 300  # long driver messages are cut


def test_a_cache_that_loses_values_fails_the_check(monkeypatch):
    class ForgetfulCache:
        def set(self, key, value, timeout=None):
            pass

        def get(self, key, default=None):
            return default

        def delete(self, key):
            pass

    monkeypatch.setattr(health, "cache", ForgetfulCache())
    with pytest.raises(RuntimeError, match="did not return what was just stored"):
        health.check_cache()
