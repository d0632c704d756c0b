from django.db import models
from django.utils.translation import gettext_lazy as _


class SourceKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", _("Prometheus Alertmanager")
    ZABBIX = "zabbix", _("Zabbix")
    NAGIOS = "nagios", _("Nagios / Icinga")
    GENERIC = "generic", _("Generic JSON")


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")
    WARNING = "warning", _("Warning")
    INFO = "info", _("Information")


SEVERITY_RANK = {"critical": 5, "major": 4, "minor": 3, "warning": 2, "info": 1}


class EventState(models.TextChoices):
    """`open` events wait for or have their incident; `held` ones flap and wait to be stable;
    `info`, `silenced` and `correlated` ones open no incident of their own."""

    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    HELD = "held", _("Held (flapping)")
    SILENCED = "silenced", _("Silenced")
    INFO = "info", _("Information")
    DROPPED = "dropped", _("Dropped")
    RESOLVED = "resolved", _("Resolved")


# Every state but resolved: repeats of the fingerprint update the event (one per condition).
ACTIVE_STATES = (EventState.OPEN, EventState.ACKNOWLEDGED, EventState.HELD, EventState.SILENCED,
                 EventState.INFO, EventState.DROPPED)  # fmt: skip


class RuleAction(models.TextChoices):
    INCIDENT = "incident", _("Open an incident")
    INFO = "info", _("Keep as information")
    DROP = "drop", _("Drop")


class CiMatch(models.TextChoices):
    HOST = "host", _("Host name against the CI name or attribute")
    LABEL = "label", _("A label against the CI name or attribute")


class Processing(models.TextChoices):
    """Where an event is in the background work: `pending` events are picked up by the worker
    (and by the beat sweep when the broker was down)."""

    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class WebhookKind(models.TextChoices):
    CREATED = "created", _("Created")
    ASSIGNED = "assigned", _("Assigned")
    STATUS_CHANGED = "status_changed", _("Status changed")
    COMMENTED = "commented", _("Commented")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breach")
    APPROVAL_NEEDED = "approval_needed", _("Approval needed")
    MAJOR_INCIDENT = "major_incident", _("Major incident")


class WebhookFormat(models.TextChoices):
    JSON = "json", _("JSON (signed)")
    SLACK = "slack", _("Slack incoming webhook")
    TEAMS = "teams", _("Microsoft Teams incoming webhook")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
