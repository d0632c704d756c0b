"""`manage.py import_records FILE --format servicenow [--run] [--create] [--batch N] [--sla]`: the
import service for scripts. Without `--run` it is a dry run: the report, nothing written."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from transfer import services
from transfer.formats import FORMATS
from transfer.models import ImportMapping, ImportMode, SlaMode


class Command(BaseCommand):
    help = "Import records with their history from another desk's export (a dry run unless --run)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=sorted(FORMATS), default="csv")
        parser.add_argument("--mapping", help="The name of a saved mapping.")
        parser.add_argument("--run", action="store_true", help="Write (default: a dry run).")
        parser.add_argument(
            "--create", action="store_true", help="Create unknown people, groups..."
        )
        parser.add_argument("--batch", type=int, default=0, help="Commit per batch of N records.")
        parser.add_argument("--time-zone", default="UTC", help="The zone of the file's dates.")
        parser.add_argument(
            "--sla", choices=SlaMode.values, default=SlaMode.KEEP,
            help="keep: the source's met / breached; recompute: our calendars and policies.",
        )  # fmt: skip
        parser.add_argument("--as", dest="email", required=True, help="The administrator's e-mail.")

    def handle(self, *args, **options):
        actor = get_user_model().objects.filter(email__iexact=options["email"]).first()
        if actor is None:
            raise CommandError(f"Nobody has the e-mail address {options['email']}.")
        mapping = None
        if options["mapping"]:
            mapping = ImportMapping.objects.filter(name=options["mapping"]).first()
            if mapping is None:
                raise CommandError(f"No saved mapping is called {options['mapping']!r}.")
        try:
            data = options["file"].open("rb")  # stored block by block, never read whole
        except OSError as error:
            raise CommandError(str(error)) from error
        try:
            with data:
                job = services.import_job_create(
                    actor=actor, data=data, file_name=options["file"].name,
                    format=options["format"], mapping=mapping,
                    mode=ImportMode.BATCH if options["batch"] else ImportMode.ALL,
                    batch_size=options["batch"] or 1000, create_missing=options["create"],
                    time_zone=options["time_zone"], dry_run=not options["run"],
                    sla_mode=options["sla"],
                )  # fmt: skip
        except (ValidationError, services.PermissionDenied) as error:
            raise CommandError("; ".join(getattr(error, "messages", [str(error)]))) from error
        job = services.import_run(job_id=job.pk)
        for issue in job.issues.all()[:1000]:
            self.stdout.write(
                f"line {issue.line} {issue.level} {issue.number} {issue.field}: {issue.message}"
            )
        self.stdout.write(
            f"import {job.pk}: {job.get_status_display()}; {job.rows_total} rows, "
            f"{job.records_total} records, {job.records_written} written, {job.errors} errors, "
            f"{job.warnings} warnings, {job.summary.get('seconds')} s"
        )
        if job.errors and not job.records_written:
            raise CommandError("nothing was imported") if options["run"] else SystemExit(1)
