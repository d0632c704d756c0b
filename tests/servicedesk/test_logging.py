"""What the console shows: one line per refused request, e-mails printed by the worker at INFO."""

import io
import logging
import sys

import pytest

from servicedesk.celery import app as celery_app
from servicedesk.logs import ClientErrorWithoutTraceback


@pytest.fixture
def console(settings):
    """Everything the configured console handlers print while the test runs (DEBUG on, as under
    `make run`, where Django's own console handler would print too if it were still there)."""
    settings.DEBUG = True
    stream = io.StringIO()
    handlers, logger = set(), logging.getLogger("django.request")
    while logger is not None:
        handlers.update(h for h in logger.handlers if type(h) is logging.StreamHandler)
        logger = logger.parent if logger.propagate else None
    previous = {handler: handler.setStream(stream) for handler in handlers}
    yield stream
    for handler, old in previous.items():
        handler.setStream(old)


def test_a_403_logs_one_line_without_a_traceback(client, end_user, console):
    client.force_login(end_user)

    assert client.get("/workspace/").status_code == 403

    lines = console.getvalue().splitlines()
    assert len(lines) == 1
    assert "WARNING django.request: Forbidden (Permission denied): /workspace/" in lines[0]
    assert "Traceback" not in console.getvalue()


def test_a_404_logs_one_line(client, end_user, console):
    client.force_login(end_user)

    assert client.get("/no-such-page/").status_code == 404

    lines = console.getvalue().splitlines()
    assert len(lines) == 1
    assert "WARNING django.request: Not Found: /no-such-page/" in lines[0]


def test_a_500_keeps_its_traceback():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error",
                               (), exc_info)  # fmt: skip
    record.status_code = 500
    ClientErrorWithoutTraceback().filter(record)
    assert record.exc_info is exc_info


def test_the_worker_logs_what_it_prints_such_as_console_e_mails_at_info():
    assert celery_app.conf.worker_redirect_stdouts_level == "INFO"
