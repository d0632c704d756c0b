"""A real Celery worker, started from the real settings, takes a task from the broker and answers.

The unit tests run tasks eagerly (settings_test); this one proves the wiring: the broker in
CELERY_BROKER_URL (Redis in CI, the filesystem broker when nothing is set) and the result backend.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from servicedesk.celery import app as celery_app

pytestmark = pytest.mark.integration

BASE_DIR = Path(__file__).resolve().parents[2]
RESULT_TIMEOUT_SECONDS = 30
IN_PROCESS_BACKENDS = ("cache+memory://", "memory://", "disabled")


@pytest.fixture
def worker(tmp_path):
    """Start a worker on a queue of its own; yield (queue, node name, log path); stop it."""
    backend = settings.CELERY_RESULT_BACKEND
    if not backend or backend.startswith(IN_PROCESS_BACKENDS):
        pytest.skip(
            f"CELERY_RESULT_BACKEND={backend!r} keeps results inside one process; set REDIS_URL "
            "(or CELERY_RESULT_BACKEND) so the test can read the worker's answer"
        )
    queue = f"test-{uuid.uuid4().hex[:12]}"
    node = f"{queue}@localhost"
    log_path = tmp_path / "worker.log"
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CELERY_", "PYTEST_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="servicedesk.settings",  # the real settings: tasks are not eager
        SERVICEDESK_DATA_DIR=str(settings.DATA_DIR),  # where the filesystem broker keeps messages
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_RESULT_BACKEND=backend,
        PYTHONUNBUFFERED="1",
    )
    command = [
        sys.executable, "-m", "celery", "-A", "servicedesk", "worker",
        "-Q", queue, "-n", node, "--pool", "solo", "-c", "1", "--loglevel", "INFO",
        "--without-heartbeat", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed arguments
            command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield process, queue, node, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        _remove_leftover_messages(queue)


def _remove_leftover_messages(queue: str) -> None:
    """The filesystem broker keeps unconsumed messages as files named after their queue."""
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
    folder = options.get("data_folder_in")
    if settings.CELERY_BROKER_URL.startswith("filesystem://") and folder:
        for path in Path(folder).glob(f"*.{queue}.msg"):
            path.unlink(missing_ok=True)


def wait_for(result, process, log_path: Path):
    deadline = time.monotonic() + RESULT_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if result.ready():
            # An eager task run earlier in this process may leave Celery believing it is inside a
            # task; this test process is not, so the sync-subtask guard does not apply.
            return result.get(timeout=5, disable_sync_subtasks=False)
        if process.poll() is not None:
            pytest.fail(
                f"the worker exited with {process.returncode}:\n{log_path.read_text()[-4000:]}"
            )
        time.sleep(0.2)
    pytest.fail(
        f"no answer within {RESULT_TIMEOUT_SECONDS}s; worker log:\n{log_path.read_text()[-4000:]}"
    )


@pytest.fixture
def not_eager():
    """The test settings run tasks eagerly in this process; send them as production does."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = eager


def test_a_real_worker_answers_ping_task(worker, not_eager):
    process, queue, node, log_path = worker
    token = uuid.uuid4().hex
    result = celery_app.send_task("servicedesk.tasks.ping_task", args=[token], queue=queue)
    try:
        answer = wait_for(result, process, log_path)
        assert answer == {"echo": token, "worker": node}
        assert result.status == "SUCCESS"
        # A second task proves the worker keeps taking work from its queue.
        again = celery_app.send_task("servicedesk.tasks.ping_task", args=["again"], queue=queue)
        assert wait_for(again, process, log_path) == {"echo": "again", "worker": node}
        again.forget()
    finally:
        result.forget()
