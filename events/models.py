"""Event management's data: monitoring sources and their tokens, the events alerts become,
the receipts that make intake idempotent, the rules and silences an administrator edits, and
the outgoing webhook subscriptions with their delivery log."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.choices import (
    ACTIVE_STATES,
    CiMatch,
    DeliveryStatus,
    EventState,
    Processing,
    RuleAction,
    Severity,
    SourceKind,
    WebhookFormat,
)
from incidents.choices import Impact, Urgency


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AlertSource(models.Model):
    """A monitoring tool that posts alerts to `/events/inbound/<name>/` with its own secret
    token (`Authorization: Bearer <token>`). Only the token's hash is kept."""

    name = models.SlugField(_("name"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=SourceKind.choices)
    token_hash = models.CharField(_("token hash"), max_length=64, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("alert source")
        verbose_name_plural = _("alert sources")

    def __str__(self):
        return self.name

    def set_token(self, token: str | None = None) -> str:
        token = token or secrets.token_urlsafe(32)
        self.token_hash = token_hash(token)
        return token

    def token_matches(self, token: str) -> bool:
        return bool(self.token_hash) and secrets.compare_digest(self.token_hash, token_hash(token))


class Event(models.Model):
    """One alert condition from one source: every repeat of the same fingerprint while it is
    active updates this row (`count`, `last_seen_at`); after it resolves, the next firing is a
    new event. `parent` is the event it was correlated under (the CMDB graph); `incident` the
    incident it opened (a child event has none of its own)."""

    # The foreign keys' own indexes are left out where an index below leads with the column.
    source = models.ForeignKey(AlertSource, on_delete=models.PROTECT, related_name="events",
                               verbose_name=_("source"), db_index=False)  # fmt: skip
    fingerprint = models.CharField(_("fingerprint"), max_length=128)
    host = models.CharField(_("host"), max_length=255, blank=True)
    service_name = models.CharField(_("check"), max_length=255, blank=True)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    labels = models.JSONField(_("labels"), default=dict, blank=True)
    annotations = models.JSONField(_("annotations"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=EventState.choices,
                             default=EventState.OPEN)  # fmt: skip
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    count = models.PositiveIntegerField(_("count"), default=1)
    configuration_item = models.ForeignKey(
        "cmdb.ConfigurationItem", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="events", verbose_name=_("configuration item"), db_index=False,
    )  # fmt: skip
    parent = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="children", verbose_name=_("correlated under"))  # fmt: skip
    incident = models.ForeignKey("incidents.Incident", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name=_("incident"),
                                 db_index=False)  # fmt: skip
    rule = models.ForeignKey("EventRule", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("rule"))  # fmt: skip
    processing = models.CharField(_("processing"), max_length=10, choices=Processing.choices,
                                  default=Processing.PENDING)  # fmt: skip
    error = models.TextField(_("error"), blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                        null=True, blank=True, related_name="+")  # fmt: skip
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            # The console: newest first, under a state, a source, a severity or a CI.
            models.Index(fields=["last_seen_at", "id"], name="ev_seen_idx"),
            models.Index(fields=["state", "last_seen_at", "id"], name="ev_state_seen_idx"),
            models.Index(fields=["source", "last_seen_at", "id"], name="ev_source_seen_idx"),
            models.Index(fields=["severity", "last_seen_at", "id"], name="ev_sev_seen_idx"),
            models.Index(fields=["configuration_item", "last_seen_at"], name="ev_ci_seen_idx"),
            # Flapping: the recent events of one fingerprint.
            models.Index(fields=["source", "fingerprint", "resolved_at"], name="ev_flap_idx"),
            # The worker's queue and correlation: open events per CI.
            models.Index(
                fields=["first_seen_at", "id"],
                condition=Q(processing="pending"),
                name="ev_pending_idx",
            ),  # fmt: skip
            models.Index(
                fields=["configuration_item"],
                name="ev_open_ci_idx",
                condition=Q(state__in=ACTIVE_STATES),
            ),  # fmt: skip
            models.Index(fields=["incident"], name="ev_incident_idx"),
            # Retention pruning: resolved events by age.
            models.Index(
                fields=["resolved_at"],
                name="ev_resolved_idx",
                condition=Q(resolved_at__isnull=False),
            ),  # fmt: skip
        ]
        constraints = [
            # One active event per fingerprint and source: the dedup guard under concurrency.
            models.UniqueConstraint(
                fields=["source", "fingerprint"],
                condition=Q(state__in=ACTIVE_STATES),
                name="events_event_one_active",
            )  # fmt: skip
        ]

    def __str__(self):
        return f"{self.source_id}:{self.fingerprint}"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES


class Receipt(models.Model):
    """One alert notification taken from a source, by the source's own id (Alertmanager's
    fingerprint with the start and status, Zabbix's event id and status, Nagios's problem id
    and state): the same notification posted twice is taken once."""

    source = models.ForeignKey(
        AlertSource, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # events_receipt_once leads with it
    key = models.CharField(max_length=255)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="receipts")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="events_receipt_once")
        ]
        indexes = [models.Index(fields=["received_at"], name="ev_receipt_age_idx")]

    def __str__(self):
        return self.key


class EventRule(models.Model):
    """What to do with an alert, tried in `order` (the first rule that matches decides): drop
    it, keep it as information, or open an incident with the rule's impact and urgency, on the
    CI found by host name, IP or a label, with its service and support group."""

    name = models.CharField(_("name"), max_length=120)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    source = models.ForeignKey(AlertSource, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="rules", verbose_name=_("source"))  # fmt: skip
    severities = models.JSONField(_("severities"), default=list, blank=True,
                                  help_text=_("Empty for every severity."))  # fmt: skip
    host_pattern = models.CharField(_("host pattern"), max_length=200, blank=True,
                                    help_text=_("A regular expression; empty for any host."))  # fmt: skip
    label_matchers = models.JSONField(_("label matchers"), default=dict, blank=True,
                                      help_text=_("{label: regular expression}, all must match."))  # fmt: skip
    action = models.CharField(_("action"), max_length=10, choices=RuleAction.choices,
                              default=RuleAction.INCIDENT)  # fmt: skip
    impact = models.CharField(_("impact"), max_length=10, choices=Impact.choices, blank=True)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, blank=True)
    ci_match = models.CharField(_("find the CI by"), max_length=10, choices=CiMatch.choices,
                                default=CiMatch.HOST)  # fmt: skip
    ci_label = models.CharField(_("label"), max_length=100, blank=True,
                                help_text=_("The label read when the CI is found by a label."))  # fmt: skip
    ci_attribute = models.CharField(
        _("CI attribute"), max_length=60, blank=True,
        help_text=_("Compared with the CI attribute of this code (e.g. ip_address); empty "
                    "for the CI's name and the usual host attributes."),
    )  # fmt: skip
    service = models.ForeignKey("catalogue.Service", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+", verbose_name=_("service"))  # fmt: skip
    support_group = models.ForeignKey("accounts.SupportGroup", on_delete=models.SET_NULL,
                                      null=True, blank=True, related_name="+",
                                      verbose_name=_("support group"))  # fmt: skip

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("event rule")
        verbose_name_plural = _("event rules")

    def __str__(self):
        return self.name


class Silence(models.Model):
    """Alerts on a CI, or whose labels match, inside a time window are stored as silenced and
    open no incident."""

    comment = models.CharField(_("comment"), max_length=255)
    configuration_item = models.ForeignKey(
        "cmdb.ConfigurationItem", on_delete=models.CASCADE, null=True, blank=True,
        related_name="+", verbose_name=_("configuration item"),
    )  # fmt: skip
    label_matchers = models.JSONField(_("label matchers"), default=dict, blank=True,
                                      help_text=_("{label: regular expression}, all must match."))  # fmt: skip
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")  # fmt: skip

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("silence")
        verbose_name_plural = _("silences")
        indexes = [models.Index(fields=["ends_at"], name="ev_silence_end_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="events_silence_ends_after_start",
            )  # fmt: skip
        ]

    def __str__(self):
        return self.comment


class WebhookSubscription(models.Model):
    """An outgoing webhook: record events of the chosen kinds and record types are posted to
    `url`, signed with HMAC-SHA256 of the body under `secret` (header
    `X-ServiceDesk-Signature: sha256=<hex>`); disabled after `max_failures` failures in a row."""

    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("secret"), max_length=200, blank=True)
    format = models.CharField(_("format"), max_length=10, choices=WebhookFormat.choices,
                              default=WebhookFormat.JSON)  # fmt: skip
    record_types = models.JSONField(_("record types"), default=list, blank=True,
                                    help_text=_("Empty for every record type."))  # fmt: skip
    kinds = models.JSONField(_("event kinds"), default=list)
    filter = models.JSONField(_("filter"), default=dict, blank=True,
                              help_text=_("{record field: [values]}, all must match."))  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)
    max_failures = models.PositiveSmallIntegerField(_("disable after failures"), default=10)
    failures = models.PositiveIntegerField(_("failures in a row"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self):
        return self.name


class WebhookDelivery(models.Model):
    """One record event for one subscription: written in the record's transaction, sent by a
    worker after the commit, retried with backoff; the answers are kept."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE,
                                     related_name="deliveries")  # fmt: skip
    kind = models.CharField(_("kind"), max_length=20)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)  # fmt: skip
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True,
                                                       blank=True)  # fmt: skip
    response_body = models.TextField(_("response"), blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="ev_delivery_due_idx",
            ),  # fmt: skip
            models.Index(fields=["subscription", "created_at"], name="ev_delivery_sub_idx"),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk}"
