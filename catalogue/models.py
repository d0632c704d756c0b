"""The service catalogue and request fulfilment.

Services (business or technical, with an owner, an audience and a life-cycle status), their
offerings (an SLA policy, a price and its charging basis), the request items people order (a form
an administrator defines, an approval rule, fulfilment task templates) and the records of the
process: the service request (register >> approve >> fulfil >> close), its approvals and its
fulfilment tasks.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalogue.choices import RequestStatus, TaskStatus
from catalogue.workflow import REQUEST_WORKFLOW, TASK_WORKFLOW
from servicedesk import registry
from servicedesk.fieldtypes import FieldSpec, FieldType
from servicedesk.models import GROUP_RULES, ApprovalRule, BaseRecord
from servicedesk.ordered import OrderedItem

# RequestStatus and TaskStatus are defined in catalogue.choices, the approval rule in the kernel
# (servicedesk.models), the form fields' types in the kernel too (servicedesk.fieldtypes, shared
# with the custom fields on records); all are imported from here too.
__all__ = ["ApprovalRule", "FieldType", "RequestStatus", "TaskStatus"]

# --- The catalogue ------------------------------------------------------------------------------


class ServiceKind(models.TextChoices):
    BUSINESS = "business", _("Business service")
    TECHNICAL = "technical", _("Technical service")


class ServiceStatus(models.TextChoices):
    PIPELINE = "pipeline", _("Pipeline")
    LIVE = "live", _("Live")
    RETIRED = "retired", _("Retired")


class Service(models.Model):
    """A business or technical service the IT organisation provides (e-mail, ERP, VPN...).

    End users see live business services whose audience includes them (an empty audience is
    everyone); technical services support the business ones and are for staff. The CIs that
    deliver a service point at it (`cmdb.ConfigurationItem.service`).
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(
        _("type"), max_length=12, choices=ServiceKind.choices, default=ServiceKind.BUSINESS
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ServiceStatus.choices, default=ServiceStatus.LIVE
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_services",
        verbose_name=_("service owner"),
    )
    support_group = models.ForeignKey(
        "accounts.SupportGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("support group"),
        help_text=_("The team that supports the service; incidents on it are routed there."),
    )
    audience_organisations = models.ManyToManyField(
        "accounts.Organisation",
        blank=True,
        related_name="+",
        verbose_name=_("for organisations"),
        help_text=_("Empty: every organisation."),
    )
    audience_departments = models.ManyToManyField(
        "accounts.Department",
        blank=True,
        related_name="+",
        verbose_name=_("for departments"),
        help_text=_("Empty: every department."),
    )
    audience_roles = models.ManyToManyField(
        "auth.Group",
        blank=True,
        related_name="+",
        verbose_name=_("for roles"),
        help_text=_("Empty: every role."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        indexes = [models.Index(fields=["status", "kind", "name"], name="cat_service_status_idx")]

    def __str__(self):
        return self.name


class ChargingBasis(models.TextChoices):
    FREE = "free", _("Free of charge")
    ONE_OFF = "one_off", _("One-off")
    ACCOUNT_MONTH = "account_month", _("Per account per month")
    USER_MONTH = "user_month", _("Per user per month")
    VISIT = "visit", _("Per visit")
    STORAGE_200MB = "storage_200mb", _("Per 200 MB per user")


class OfferingType(models.TextChoices):
    STANDARD = "standard", _("Standard")
    CUSTOM = "custom", _("Custom")


class ServiceOffering(models.Model):
    """A package of a service at a service level and a price (e.g. "E-mail, 64 per 200 MB")."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="offerings")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    offering_type = models.CharField(
        _("type"), max_length=10, choices=OfferingType.choices, default=OfferingType.STANDARD
    )
    sla_policy = models.ForeignKey(
        "sla.SlaPolicy",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("SLA policy"),
        help_text=_("The targets of requests for this offering; empty: the matching policy."),
    )
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, default=0)
    charging_basis = models.CharField(
        _("charging basis"),
        max_length=16,
        choices=ChargingBasis.choices,
        default=ChargingBasis.FREE,
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["service__name", "name"]
        verbose_name = _("service offering")
        verbose_name_plural = _("service offerings")
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="cat_offering_unique_name"),
            models.CheckConstraint(
                condition=Q(price__gte=0), name="cat_offering_price_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.service.name}: {self.name}"

    @property
    def price_label(self) -> str:
        if self.charging_basis == ChargingBasis.FREE:
            return str(ChargingBasis.FREE.label)
        price = Decimal(self.price).normalize()
        return f"{price:f} {self.get_charging_basis_display().lower()}"


class FulfilmentMode(models.TextChoices):
    SEQUENTIAL = "sequential", _("One after the other")
    PARALLEL = "parallel", _("All at once")


class RequestItem(models.Model):
    """Something people order from a service (a laptop, a VPN account...), with its form,
    approval rule, fulfilment tasks and SLA (through its offering)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="items")
    offering = models.ForeignKey(
        ServiceOffering,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
        verbose_name=_("offering"),
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    approval_rule = models.CharField(
        _("approval"), max_length=32, choices=ApprovalRule.choices, default=ApprovalRule.NONE
    )
    approval_group = models.ForeignKey(
        "auth.Group",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approver group"),
    )
    approval_quorum = models.PositiveSmallIntegerField(
        _("approvals needed"),
        null=True,
        blank=True,
        help_text=_("Under the quorum rule: how many of the group's members must approve."),
    )
    fulfilment_mode = models.CharField(
        _("tasks run"),
        max_length=12,
        choices=FulfilmentMode.choices,
        default=FulfilmentMode.SEQUENTIAL,
    )
    support_group = models.ForeignKey(
        "accounts.SupportGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fulfilment group"),
        help_text=_("Owns the request; empty: the service's support group."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["service__name", "name"]
        verbose_name = _("request item")
        verbose_name_plural = _("request items")
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="cat_item_unique_name")
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.approval_rule in GROUP_RULES and not self.approval_group_id:
            raise ValidationError({"approval_group": _("Choose the group that approves.")})
        if self.approval_rule == ApprovalRule.GROUP_QUORUM and not self.approval_quorum:
            raise ValidationError(
                {"approval_quorum": _("Say how many approvals are needed (at least one).")}
            )
        if self.offering_id and self.offering.service_id != self.service_id:
            raise ValidationError({"offering": _("The offering belongs to another service.")})


class RequestField(FieldSpec):
    """One field of a request item's form, with its validation rules."""

    item = models.ForeignKey(RequestItem, on_delete=models.CASCADE, related_name="fields")

    class Meta:
        ordering = ["item", "order", "id"]
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")
        constraints = [
            models.UniqueConstraint(fields=["item", "name"], name="cat_field_unique_name")
        ]


class TaskTemplate(OrderedItem):
    """A fulfilment task created for each approved request of the item."""

    item = models.ForeignKey(RequestItem, on_delete=models.CASCADE, related_name="task_templates")
    description = models.TextField(_("instructions"), blank=True)
    support_group = models.ForeignKey(
        "accounts.SupportGroup",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("support group"),
    )

    class Meta:
        ordering = ["item", "order", "id"]
        verbose_name = _("fulfilment task template")
        verbose_name_plural = _("fulfilment task templates")


# --- The records --------------------------------------------------------------------------------


OPEN_REQUEST_STATUSES = [
    RequestStatus.NEW,
    RequestStatus.AWAITING_APPROVAL,
    RequestStatus.IN_FULFILMENT,
]
_OPEN_REQUEST = Q(status__in=OPEN_REQUEST_STATUSES)

# The pending reason an SLA policy lists in `pause_on` to stop the clock while approval waits.
APPROVAL_PAUSE_REASON = "approval"


class ServiceRequest(BaseRecord):
    """A request for something from the catalogue: register >> approve >> fulfil >> close."""

    NUMBER_PREFIX = "REQ"
    WORKFLOW = REQUEST_WORKFLOW

    status = models.CharField(
        _("status"), max_length=32, choices=RequestStatus.choices, default=RequestStatus.NEW
    )
    item = models.ForeignKey(
        RequestItem, on_delete=models.PROTECT, related_name="requests", verbose_name=_("item")
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="requests", verbose_name=_("service")
    )
    offering = models.ForeignKey(
        ServiceOffering,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("offering"),
    )
    priority = models.PositiveSmallIntegerField(_("priority"), default=4)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    approval_rule = models.CharField(
        _("approval"), max_length=32, choices=ApprovalRule.choices, default=ApprovalRule.NONE
    )
    # The kernel's approvals of the request (servicedesk.models.Approval), every round.
    approvals = GenericRelation("servicedesk.Approval", related_query_name="service_request")
    approval_sets = GenericRelation("servicedesk.ApprovalSet")
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    close_reason = models.TextField(_("reason"), blank=True)
    first_responded_at = models.DateTimeField(
        _("first response"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        permissions = [("work_request", _("Can work service requests and their tasks"))]
        indexes = [
            models.Index(fields=["requester", "created_at"], name="req_requester_idx"),
            models.Index(fields=["created_at", "id"], name="req_created_idx"),
            models.Index(
                fields=["support_group", "created_at"],
                condition=_OPEN_REQUEST,
                name="req_open_group_idx",
            ),
            models.Index(fields=["status", "created_at"], name="req_status_idx"),
            models.Index(fields=["item", "created_at"], name="req_item_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=REQUEST_WORKFLOW.states),
                name="%(app_label)s_%(class)s_status_valid",
            )
        ]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REQUEST_STATUSES

    def get_absolute_url(self) -> str:
        return reverse("catalogue:request", args=[self.number])

    @property
    def answer_list(self) -> list[dict]:
        """The answers in the form's order (the JSON column keeps no key order)."""
        entries = [dict(entry, name=name) for name, entry in (self.answers or {}).items()]
        return sorted(entries, key=lambda entry: entry.get("order", 0))

    @property
    def pending_reason(self) -> str:
        """What the SLA engine reads when the request is "pending" (awaiting approval)."""
        return APPROVAL_PAUSE_REASON if self.status == RequestStatus.AWAITING_APPROVAL else ""


OPEN_TASK_STATUSES = [TaskStatus.OPEN, TaskStatus.IN_PROGRESS]
_OPEN_TASK = Q(status__in=OPEN_TASK_STATUSES)


class FulfilmentTask(BaseRecord):
    """A piece of work on a record, worked by a support group or an agent, due at a time.

    Its parent is any registered record (content type and id, as every kernel row points at a
    record, with its number kept for the lists: numbers never change): a service request's
    fulfilment tasks, an incident's, a problem's or a change's tasks (docs/tasks.md). A request's
    task also keeps `request`, the foreign key request fulfilment works with (which task opens
    next, when the request closes); it is the parent itself (`fulfilmenttask_request_is_parent`
    holds the ids equal) and is empty on the tasks of other records.
    """

    NUMBER_PREFIX = "TSK"
    WORKFLOW = TASK_WORKFLOW

    status = models.CharField(
        _("status"), max_length=32, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    parent_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("record type")
    )
    parent_id = models.PositiveBigIntegerField(_("record"))
    parent = GenericForeignKey("parent_type", "parent_id")
    parent_number = models.CharField(_("record"), max_length=32, editable=False)
    request = models.ForeignKey(
        ServiceRequest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("request"),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=10)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    completed_at = models.DateTimeField(_("done"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["parent_type", "parent_id", "order", "id"]
        verbose_name = _("fulfilment task")
        verbose_name_plural = _("fulfilment tasks")
        indexes = [
            # The task queues: one index range scan each, oldest first.
            models.Index(
                fields=["support_group", "created_at", "id"],
                condition=_OPEN_TASK,
                name="tsk_open_group_idx",
            ),
            models.Index(
                fields=["assignee", "created_at", "id"],
                condition=_OPEN_TASK,
                name="tsk_open_assignee_idx",
            ),
            models.Index(fields=["created_at", "id"], condition=_OPEN_TASK, name="tsk_open_idx"),
            models.Index(fields=["created_at", "id"], name="tsk_created_idx"),
            # A record's tasks (its page's panel) and the overdue queue.
            models.Index(fields=["parent_type", "parent_id", "order"], name="tsk_parent_idx"),
            models.Index(
                fields=["due_at", "id"],
                condition=_OPEN_TASK & Q(due_at__isnull=False),
                name="tsk_open_due_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TASK_WORKFLOW.states),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(request__isnull=True) | Q(request_id=models.F("parent_id")),
                name="%(app_label)s_%(class)s_request_is_parent",
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("catalogue:task", args=[self.number])

    @property
    def parent_url(self) -> str:
        """The agent's page of the task's record, from its number (no query)."""
        record_type = registry.for_number(self.parent_number)
        if record_type is None or not record_type.detail_url_name:
            return ""
        return reverse(record_type.detail_url_name, args=[self.parent_number])

    def is_overdue(self, now=None) -> bool:
        return bool(
            self.due_at
            and self.status in OPEN_TASK_STATUSES
            and self.due_at < (now or timezone.now())
        )
