"""Incidents and the reference data that shapes them: priority levels and the impact x urgency
matrix (data an administrator edits), the category tree, and routing rules."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from incidents.choices import (
    OPEN_STATUSES,
    Channel,
    IncidentStatus,
    PendingReason,
)
from incidents.workflow import INCIDENT_WORKFLOW
from servicedesk.models import BaseRecord


class PriorityLevel(models.Model):
    """A priority (1 = most urgent) with its name and target resolution time."""

    level = models.PositiveSmallIntegerField(_("level"), unique=True)
    name = models.CharField(_("name"), max_length=60)
    description = models.CharField(_("description"), max_length=200, blank=True)
    target_resolution_minutes = models.PositiveIntegerField(
        _("target resolution (minutes)"),
        null=True,
        blank=True,
        help_text=_("Empty for “as planned”."),
    )

    class Meta:
        ordering = ["level"]
        verbose_name = _("priority level")
        verbose_name_plural = _("priority levels")

    def __str__(self):
        return f"P{self.level} {self.name}"


class Axis(models.TextChoices):
    IMPACT = "impact", _("Impact")
    URGENCY = "urgency", _("Urgency")


class ScaleLevel(models.Model):
    """One level of the impact or the urgency scale, as an administrator sets them (3, 4, 5
    levels...). `rank` 1 is the highest (most impact, most urgent); `code` is what records
    store and imports name."""

    axis = models.CharField(_("scale"), max_length=10, choices=Axis.choices)
    code = models.SlugField(_("code"), max_length=10)
    label = models.CharField(_("label"), max_length=60)
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("1 is the highest."))

    class Meta:
        ordering = ["axis", "rank"]
        verbose_name = _("impact or urgency level")
        verbose_name_plural = _("impact and urgency levels")
        constraints = [
            models.UniqueConstraint(fields=["axis", "code"], name="incidents_scale_code_once"),
            models.UniqueConstraint(fields=["axis", "rank"], name="incidents_scale_rank_once"),
            models.CheckConstraint(
                condition=Q(axis__in=["impact", "urgency"]), name="incidents_scale_axis_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_axis_display()} {self.rank}: {self.label}"


class ResolutionCodeOption(models.Model):
    """A resolution code agents choose when resolving (a configurable list). `selectable` off
    keeps a code the services set themselves (resolved with the parent) out of the menus."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    label = models.CharField(_("label"), max_length=120)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    selectable = models.BooleanField(_("offered in menus"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("resolution code")
        verbose_name_plural = _("resolution codes")

    def __str__(self):
        return self.label


class PriorityMatrixCell(models.Model):
    """One cell of the impact x urgency matrix: which priority level the pair gives."""

    impact = models.CharField(_("impact"), max_length=10)
    urgency = models.CharField(_("urgency"), max_length=10)
    priority = models.ForeignKey(
        PriorityLevel,
        on_delete=models.PROTECT,
        to_field="level",
        related_name="+",
        verbose_name=_("priority"),
    )

    class Meta:
        verbose_name = _("priority matrix cell")
        verbose_name_plural = _("priority matrix")
        constraints = [
            models.UniqueConstraint(fields=["impact", "urgency"], name="incidents_matrix_cell_once")
        ]

    def __str__(self):
        from incidents.levels import level_label

        impact, urgency = level_label("impact", self.impact), level_label("urgency", self.urgency)
        return f"{impact} x {urgency} = P{self.priority_id}"


class Category(models.Model):
    """A node of the category tree: top-level categories have subcategories under them."""

    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent category"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"],
                condition=Q(parent__isnull=False),
                name="incidents_subcategory_unique_name",
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(parent__isnull=True),
                name="incidents_category_unique_name",
            ),
        ]

    def __str__(self):
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name


class RoutingRule(models.Model):
    """Sends a new incident to a support group when its facts match. Lowest order wins; a rule
    with no conditions catches everything (keep it last)."""

    order = models.PositiveIntegerField(_("order"), default=100)
    name = models.CharField(_("name"), max_length=120)
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("category")
    )
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("service"),
    )
    configuration_item = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("configuration item"),
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("organisation"),
    )
    support_group = models.ForeignKey(
        "accounts.SupportGroup", on_delete=models.CASCADE, verbose_name=_("route to")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self):
        return self.name


_OPEN = Q(status__in=OPEN_STATUSES)


class Incident(BaseRecord):
    """An unplanned interruption or reduction in quality of an IT service."""

    NUMBER_PREFIX = "INC"
    WORKFLOW = INCIDENT_WORKFLOW

    status = models.CharField(
        _("status"), max_length=32, choices=IncidentStatus.choices, default=IncidentStatus.NEW
    )
    impact = models.CharField(_("impact"), max_length=10)
    urgency = models.CharField(_("urgency"), max_length=10)
    priority = models.PositiveSmallIntegerField(_("priority"), editable=False)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    subcategory = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("subcategory"),
    )
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("affected service"),
    )
    configuration_item = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("configuration item"),
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.PORTAL
    )
    major_incident = models.BooleanField(_("major incident"), default=False)
    # The service outage a major incident caused: availability and MTBF are computed from these.
    outage_started_at = models.DateTimeField(_("outage started"), null=True, blank=True)
    outage_ended_at = models.DateTimeField(_("outage ended"), null=True, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent incident"),
    )
    pending_reason = models.CharField(
        _("pending reason"), max_length=16, choices=PendingReason.choices, blank=True
    )
    resolution_code = models.CharField(_("resolution code"), max_length=32, blank=True)
    resolution_notes = models.TextField(_("resolution notes"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    first_responded_at = models.DateTimeField(
        _("first response"), null=True, blank=True, editable=False
    )
    reassignment_count = models.PositiveIntegerField(_("reassignments"), default=0, editable=False)
    reopen_count = models.PositiveIntegerField(_("reopened"), default=0, editable=False)
    first_contact_resolution = models.BooleanField(
        _("resolved at first contact"), default=False, editable=False
    )

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        permissions = [("work_incident", _("Can work incidents (assign, update, resolve)"))]
        # Each queue is one index range scan in its default order (priority, then oldest first).
        indexes = [
            models.Index(fields=["priority", "created_at"], condition=_OPEN, name="inc_open_idx"),
            models.Index(
                fields=["support_group", "priority", "created_at"],
                condition=_OPEN,
                name="inc_open_group_idx",
            ),
            models.Index(
                fields=["assignee", "priority", "created_at"],
                condition=_OPEN,
                name="inc_open_assignee_idx",
            ),
            models.Index(
                fields=["priority", "created_at"],
                condition=_OPEN & Q(major_incident=True),
                name="inc_open_major_idx",
            ),
            models.Index(fields=["created_at", "id"], name="inc_created_idx"),
            # Sorting the whole table (queue "all incidents", the API) by priority or activity.
            models.Index(fields=["priority", "created_at", "id"], name="inc_priority_idx"),
            models.Index(fields=["updated_at", "id"], name="inc_updated_idx"),
            models.Index(fields=["requester", "created_at"], name="inc_requester_idx"),
            models.Index(fields=["status", "created_at"], name="inc_status_idx"),
            models.Index(
                fields=["resolved_at"],
                condition=Q(status=IncidentStatus.RESOLVED),
                name="inc_resolved_idx",
            ),
            # Availability and MTBF per service: the outage windows overlapping a period.
            models.Index(
                fields=["service", "outage_started_at"],
                condition=Q(outage_started_at__isnull=False),
                name="inc_outage_idx",
            ),
            # The dashboards' incremental refresh: first responses do not touch updated_at.
            models.Index(fields=["first_responded_at"], name="inc_first_response_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=INCIDENT_WORKFLOW.states),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="incidents_not_own_parent"
            ),
            models.CheckConstraint(
                condition=Q(outage_ended_at__isnull=True)
                | Q(
                    outage_started_at__isnull=False,
                    outage_ended_at__gte=models.F("outage_started_at"),
                ),
                name="incidents_outage_ends_after_start",
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    # Impact, urgency and resolution code are the administrator's lists (incidents.levels).
    @staticmethod
    def audit_choices(field: str) -> dict[str, str]:
        from incidents.levels import level_choices, resolution_choices

        if field in ("impact", "urgency"):
            return dict(level_choices(field))
        if field == "resolution_code":
            return dict(resolution_choices(menu=False))
        return {}

    @staticmethod
    def impact_choices() -> list[tuple[str, str]]:
        from incidents.levels import impact_choices

        return impact_choices()

    def get_impact_display(self) -> str:
        from incidents.levels import level_label

        return level_label("impact", self.impact)

    def get_urgency_display(self) -> str:
        from incidents.levels import level_label

        return level_label("urgency", self.urgency)

    def get_resolution_code_display(self) -> str:
        from incidents.levels import resolution_label

        return resolution_label(self.resolution_code)

    def get_absolute_url(self) -> str:
        return reverse("incidents:detail", args=[self.number])


class SavedFilter(models.Model):
    """A queue filter an agent saved under a name (the query string of the queue page)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_incident_filters"
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filter"), max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="incidents_savedfilter_once")
        ]

    def __str__(self):
        return self.name


class PendingReprioritisation(models.Model):
    """The priority matrix or a level was edited and the open incidents are still to be
    re-prioritised. Written in the edit's transaction, so a broker that loses the task loses
    nothing: the worker asked after the commit, or else the beat's catch-up run, claims the
    row, re-prioritises and deletes it."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pending re-prioritisation")
        verbose_name_plural = _("pending re-prioritisations")

    def __str__(self):
        return f"re-prioritise (requested {self.created_at:%Y-%m-%d %H:%M})"
