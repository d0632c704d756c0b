import uuid

import pytest
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.throttling import SimpleRateThrottle

from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def private_throttle_cache(monkeypatch):
    """Each test counts API rate limits in its own empty in-memory cache.

    The real counters live in the shared cache (Redis in CI, a file cache otherwise), which
    outlives a test; without this, tests would use up each other's quota of token requests.
    """
    monkeypatch.setattr(
        SimpleRateThrottle, "cache", LocMemCache(f"throttle-{uuid.uuid4()}", {"OPTIONS": {}})
    )


@pytest.fixture
def login(client):
    """login(email, password) -> the followed response of posting our own sign-in form."""

    def post(email, password=PASSWORD, *, follow=True, **extra):
        return client.post(
            "/accounts/login/", {"username": email, "password": password}, follow=follow, **extra
        )

    return post
