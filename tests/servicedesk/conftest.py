"""Fixtures for the shared kernel's tests: tickets of the test-only `kernel_tests.Ticket` model."""

import pytest
from django.db import transaction

from servicedesk.services import record_create
from tests.kernel.models import Ticket


@pytest.fixture
def make_ticket(db, end_user):
    """make_ticket(actor=..., **fields) -> a Ticket created through `record_create`."""

    def make(actor=None, **fields):
        fields.setdefault("title", "Printer on floor 3 is jammed")
        fields.setdefault("requester", end_user)
        with transaction.atomic():
            return record_create(model=Ticket, actor=actor or end_user, fields=fields)

    return make


@pytest.fixture
def ticket(make_ticket):
    return make_ticket()


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded files go to a throw-away directory the test can inspect."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
