"""`manage.py inbound_email --mailbox NAME < message`: the pipe for Postfix or Exim.

Exit status 0 when the message was stored (whatever it became), 67 (EX_NOUSER) for an unknown
mailbox, 65 (EX_DATAERR) for an empty message, so the MTA bounces only what it should.
"""

import sys

from django.core.management.base import BaseCommand

from inbound import services
from inbound.models import Mailbox


class Command(BaseCommand):
    help = "Take one raw RFC 822 message from standard input into a mailbox."

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", required=True, help="the mailbox's name")
        parser.add_argument("--file", help="read the message from this file instead of stdin")

    def handle(self, *args, **options):
        mailbox = Mailbox.objects.filter(name=options["mailbox"], is_active=True).first()
        if mailbox is None:
            self.stderr.write(f"no active mailbox named {options['mailbox']!r}")
            sys.exit(67)
        if options.get("file"):
            with open(options["file"], "rb") as handle:
                raw = handle.read()
        else:
            raw = sys.stdin.buffer.read()
        if not raw.strip():
            self.stderr.write("empty message")
            sys.exit(65)
        message = services.message_receive(mailbox=mailbox, raw=raw)
        self.stdout.write(f"{message.status} {message.record_number} {message.reason}".strip())
