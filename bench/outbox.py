"""The e-mail outbox's drain rate: `python -m bench.outbox`.

Writes N "we have logged your incident" e-mails into the outbox for real incidents of the bench
database, starts a real Celery worker (`celery -A servicedesk worker --concurrency 2`, as the
Procfile runs it) against a local SMTP server (aiosmtpd, in this process), asks for one delivery
and times until the outbox is empty: e-mails per minute, and how many SMTP connections carried
them. The rows are removed afterwards.
"""

import argparse
import os
import subprocess
import sys
import threading
import time

from bench import env


class Counter:
    def __init__(self):
        self.messages = 0
        self.connections = 0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages += 1
        return "250 OK"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emails", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args(argv)

    from aiosmtpd.controller import Controller

    from tests.smtp import free_port

    counter = Counter()
    smtp = Controller(counter, hostname="127.0.0.1", port=free_port())
    smtp.start()
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{smtp.port}"
    env.configure()

    from django.contrib.contenttypes.models import ContentType

    from incidents.models import Incident
    from servicedesk.models import Notification

    incident_type = ContentType.objects.get_for_model(Incident)
    incidents = list(
        Incident.objects.order_by("-id").values_list("id", "requester_id")[: args.emails]
    )
    rows = Notification.objects.bulk_create(
        Notification(content_type=incident_type, object_id=pk, kind="logged", user_ids=[user])
        for pk, user in incidents
    )
    ids = [row.pk for row in rows]
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "celery", "-A", "servicedesk", "worker", "--loglevel=WARNING",
         f"--concurrency={args.concurrency}", "--without-heartbeat", "--without-gossip",
         "--without-mingle", "--pool=prefork"],
        env=dict(os.environ),
    )  # fmt: skip
    try:
        _wait_for_worker()
        from servicedesk.jobs import enqueue
        from servicedesk.tasks import deliver_notifications_task

        started = time.perf_counter()
        enqueue(deliver_notifications_task)
        waiting = Notification.objects.filter(pk__in=ids, sent_at__isnull=True)
        while waiting.exists():
            if time.perf_counter() - started > 600:
                raise SystemExit("the outbox did not drain in 10 minutes")
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        retried = Notification.objects.filter(pk__in=ids, attempts__gt=0).count()
    finally:
        worker.terminate()
        worker.wait(30)
        Notification.objects.filter(pk__in=ids).delete()
        smtp.stop()
    print(
        "| E-mails | Worker processes | Seconds | E-mails per minute | SMTP connections | Retried |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {len(ids):,} | {args.concurrency} | {elapsed:.1f} | {len(ids) / elapsed * 60:,.0f} | "
        f"{counter.connections} | {retried} |"
    )


def _wait_for_worker():
    from servicedesk.celery import app

    for _ in range(120):
        try:
            if app.control.ping(timeout=0.5):
                return
        except Exception:  # noqa: BLE001, S110 - not up yet
            pass
        time.sleep(0.5)
    raise SystemExit("the Celery worker did not start")


if __name__ == "__main__":
    main()
