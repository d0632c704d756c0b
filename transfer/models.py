"""Import jobs: the file, the mapping it is read with, what was found and what was written.

A job is stored before it runs (the file with it), so a crash or a lost task loses nothing:
the job can run again, and records already imported are recognised by their external number
(`servicedesk.ExternalKey`, unique per source) instead of being doubled.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportMode(models.TextChoices):
    ALL = "all", _("All or nothing")
    BATCH = "batch", _("Per batch (rows with errors are left out)")


class SlaMode(models.TextChoices):
    KEEP = "keep", _("Keep the source's met / breached")
    RECOMPUTE = "recompute", _("Recompute on our calendars and policies")


class JobStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    RUNNING = "running", _("Running")
    CHECKED = "checked", _("Checked (dry run)")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportMapping(models.Model):
    """A saved, reusable way to read a file: its format and, for the generic formats, which
    column gives which field and which source values mean which of ours."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    format = models.CharField(_("format"), max_length=32)
    record_type = models.CharField(_("record type"), max_length=32, default="incident")
    columns = models.JSONField(_("columns"), default=dict, blank=True)
    statuses = models.JSONField(_("statuses"), default=dict, blank=True)
    values = models.JSONField(_("values"), default=dict, blank=True)
    source = models.SlugField(_("source"), max_length=40, default="import")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")

    def __str__(self):
        return self.name


class ImportJob(models.Model):
    """One file to import, its options, its progress and its report."""

    mapping = models.ForeignKey(
        ImportMapping, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs"
    )
    format = models.CharField(_("format"), max_length=32)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    encoding = models.CharField(_("encoding"), max_length=32, blank=True)
    mode = models.CharField(
        _("commit"), max_length=8, choices=ImportMode.choices, default=ImportMode.ALL
    )
    batch_size = models.PositiveIntegerField(_("batch size"), default=1000)
    create_missing = models.BooleanField(
        _("create unknown people, groups, categories"), default=False
    )
    sla_mode = models.CharField(
        _("SLA"), max_length=10, choices=SlaMode.choices, default=SlaMode.KEEP
    )
    time_zone = models.CharField(_("time zone of the file's dates"), max_length=64, default="UTC")
    dry_run = models.BooleanField(_("dry run"), default=True)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.WAITING
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    records_total = models.PositiveIntegerField(default=0)
    records_written = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    # The dashboards' refresh of the records written ([first, last] id ranges): owed from the
    # batch that writes them until a worker or the beat's sweep has done it.
    refresh_pending = models.BooleanField(default=False)
    refresh_ranges = models.JSONField(default=list, blank=True)
    refresh_claimed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=JobStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            )
        ]

    def __str__(self):
        return f"{self.file_name or self.format} ({self.get_status_display()})"

    @property
    def seconds_left(self) -> int | None:
        """An estimate from the pace so far (None before the first rows)."""
        if not self.started_at or not self.rows_done or self.finished_at:
            return None
        spent = (timezone.now() - self.started_at).total_seconds()
        return int(spent / self.rows_done * max(self.rows_total - self.rows_done, 0))


class IssueLevel(models.TextChoices):
    ERROR = "error", _("Error")
    WARNING = "warning", _("Warning")


class ImportIssue(models.Model):
    """What one line of the file got: an error (the record is not imported) or a warning."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="issues")
    line = models.PositiveIntegerField(_("line"))
    number = models.CharField(_("external number"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=8, choices=IssueLevel.choices)
    field = models.CharField(_("field"), max_length=64, blank=True)
    message = models.TextField(_("message"))

    class Meta:
        ordering = ["line", "id"]
        verbose_name = _("import issue")
        verbose_name_plural = _("import issues")
        indexes = [models.Index(fields=["job", "line"], name="transfer_issue_job_line_idx")]

    def __str__(self):
        return f"{self.line}: {self.message}"
