"""E-mail intake against a real IMAP server: `python -m bench.email_intake`.

Starts a Dovecot of its own (tests/inbound/dovecot.py, Debian's dovecot-imapd), appends
MESSAGES messages to a fresh account (not timed; a share of them replies to earlier ones by
the record number in the subject), then times the poller (`inbound.services.mailbox_poll`,
what the beat's task runs) until the INBOX is empty of unseen mail: fetching over IMAP,
storing, parsing, creating incidents or comments with their audit rows, SLA timers and
outbox rows, and marking each message seen. Then one reply is delivered and its time from
arrival to the record's timeline is measured, with what the default poll interval adds.

The records it creates are removed afterwards; it runs on the bench database (bench/env.py).
"""

import argparse
import os
import statistics
import tempfile
import time
import uuid

from bench import env

MESSAGES = 1000
REPLY_SHARE = 0.2
BEAT_SECONDS = 15.0  # CELERY_BEAT_SCHEDULE["poll-mailboxes"]


def _message(n: int, subject: str, body: str) -> bytes:
    return (
        f"From: Person {n % 50} <person{n % 50}@bench.example>\r\n"
        f"To: desk@bench.example\r\nCc: watcher{n % 7}@bench.example\r\n"
        f"Subject: {subject}\r\nMessage-ID: <bench-{uuid.uuid4().hex}@bench.example>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=MESSAGES)
    args = parser.parse_args(argv)
    env.configure(broker="memory://")
    import imaplib

    from django.db import connection
    from django.db.models import Count

    from accounts.models import SupportGroup
    from inbound import services
    from inbound.models import InboundMessage, Mailbox
    from inbound.parser import parse
    from incidents.models import Incident
    from tests.inbound import dovecot
    from tests.inbound.conftest import MESSAGES as CORPUS

    server = dovecot.start(tempfile.mkdtemp(prefix="servicedesk-bench-dovecot-"))
    account = server.add_account()
    group, _created = SupportGroup.objects.get_or_create(name="Bench e-mail desk")
    mailbox = Mailbox(
        name=f"bench-{uuid.uuid4().hex[:8]}",
        protocol="imap",
        host=server.host,
        port=server.imap_port,
        security="none",
        username=account,
        support_group=group,
        sender_hourly_limit=0,
    )
    mailbox.secret = dovecot.PASSWORD
    mailbox.save()
    first_id = Incident.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        conn = imaplib.IMAP4(server.host, server.imap_port)
        conn.login(account, dovecot.PASSWORD)
        new = int(args.messages * (1 - REPLY_SHARE))
        for n in range(new):
            conn.append("INBOX", None, None, _message(n, f"Bench issue {n}", "Printer jams."))
        conn.logout()
        started = time.perf_counter()
        cpu = _cpu_seconds(connection)
        polls = 0
        while services.mailbox_poll(mailbox_id=mailbox.pk):
            polls += 1
        new_seconds = time.perf_counter() - started
        new_cpu = [b - a for a, b in zip(cpu, _cpu_seconds(connection), strict=True)]
        numbers = list(
            Incident.objects.filter(pk__gt=first_id).values_list("number", flat=True)[:new]
        )
        conn = imaplib.IMAP4(server.host, server.imap_port)
        conn.login(account, dovecot.PASSWORD)
        replies = args.messages - new
        for n in range(replies):
            number = numbers[n % len(numbers)]
            raw = _message(n, f"Re: [{number}] Bench issue", "Still jams.\r\n\r\n> old text")
            conn.append("INBOX", None, None, raw)
        conn.logout()
        started = time.perf_counter()
        cpu = _cpu_seconds(connection)
        while services.mailbox_poll(mailbox_id=mailbox.pk):
            polls += 1
        reply_seconds = time.perf_counter() - started
        reply_cpu = [b - a for a, b in zip(cpu, _cpu_seconds(connection), strict=True)]
        latencies = []
        for n in range(5):
            conn = imaplib.IMAP4(server.host, server.imap_port)
            conn.login(account, dovecot.PASSWORD)
            arrived = time.perf_counter()
            conn.append("INBOX", None, None, _message(n, f"Re: [{numbers[n]}] x", "More."))
            conn.logout()
            services.mailbox_poll(mailbox_id=mailbox.pk)
            latencies.append(time.perf_counter() - arrived)
        statuses = dict(
            InboundMessage.objects.filter(mailbox=mailbox)
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
        interval = Mailbox._meta.get_field("poll_interval_seconds").default
        corpus = [path.read_bytes() for path in sorted(CORPUS.glob("*.eml"))]
        started = time.perf_counter()
        for _round in range(20):
            for raw in corpus:
                parse(raw)
        parse_rate = 20 * len(corpus) / (time.perf_counter() - started)
        processing = statistics.median(latencies)
        load = "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
        print(
            f"{os.cpu_count()} cores, load average {load}, {connection.vendor}, {args.messages} messages"
        )
        print()
        print("| Intake | Messages | Seconds | Messages/s |")
        print("|---|---:|---:|---:|")
        print(f"| New incidents | {new} | {new_seconds:.1f} | {new / new_seconds:.0f} |")
        print(
            f"| Replies (comments) | {replies} | {reply_seconds:.1f} | {replies / reply_seconds:.0f} |"
        )
        total = new_seconds + reply_seconds
        print(f"| All | {args.messages} | {total:.1f} | {args.messages / total:.0f} |")
        print(
            f"| Parsing alone (the test corpus, {len(corpus)} messages x 20) | | | {parse_rate:.0f} |"
        )
        print()
        print("| CPU per message (ms) | This process | Its PostgreSQL backend | Both |")
        print("|---|---:|---:|---:|")
        for label, count, (own, backend) in (
            ("New incidents", new, new_cpu),
            ("Replies", replies, reply_cpu),
        ):
            print(
                f"| {label} | {own * 1000 / count:.1f} | {backend * 1000 / count:.1f} | "
                f"{(own + backend) * 1000 / count:.1f} |"
            )
        print()
        print(f"Outcomes: {statuses}; polls: {polls}")
        print()
        print("| Reply: arrival to timeline | Seconds |")
        print("|---|---:|")
        print(f"| Poll that finds it (median of 5) | {processing:.2f} |")
        print(
            f"| Mean at the default interval ({interval} s, beat every {BEAT_SECONDS:.0f} s) | "
            f"{interval / 2 + BEAT_SECONDS / 2 + processing:.1f} |"
        )
        print(f"| Worst at the default interval | {interval + BEAT_SECONDS + processing:.1f} |")
    finally:
        server.stop()
        try:
            _cleanup(Incident.objects.filter(pk__gt=first_id), mailbox)
        except Exception as error:  # noqa: BLE001 - a bench database keeps what it could not remove
            print(f"(left the bench's records in place: {error})")


def _cpu_seconds(connection) -> tuple[float, float]:
    """CPU seconds used so far by this process and by its PostgreSQL backend (read from
    /proc when the server runs on this machine, else 0): less sensitive to a loaded machine
    than the wall-clock rate."""
    own = time.process_time()
    backend = 0.0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            backend = 0.0
    return own, backend


def _cleanup(incidents, mailbox):
    from django.contrib.contenttypes.models import ContentType

    from inbound.models import InboundMessage, MessageRef, Watcher
    from servicedesk.models import Attachment, AuditEvent, Comment, Notification, RecordLink
    from sla.models import SlaTimer

    content_type = ContentType.objects.get_for_model(incidents.model)
    ids = list(incidents.values_list("pk", flat=True))
    for model in (Attachment, Comment, AuditEvent, Notification, MessageRef, Watcher):
        model.objects.filter(content_type=content_type, object_id__in=ids).delete()
    RecordLink.objects.filter(source_type=content_type, source_id__in=ids).delete()
    SlaTimer.objects.filter(content_type=content_type, object_id__in=ids).delete()
    InboundMessage.objects.filter(mailbox=mailbox).delete()
    incidents.delete()
    mailbox.delete()


if __name__ == "__main__":
    main()
