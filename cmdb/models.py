"""The configuration management database: CI classes (data, with typed attributes), configuration
items, the relationships between them, baselines, and impact proposals for incidents.

Writes go through cmdb.services; reads with visibility and graph walks through cmdb.selectors.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cmdb.choices import (
    REVERSE_LABELS,
    AttributeType,
    Criticality,
    Environment,
    LifecycleStatus,
    ProposalStatus,
    RelationshipType,
)
from cmdb.workflow import CI_WORKFLOW


class CIClass(models.Model):
    """A kind of configuration item (server, database, business service...) and its attributes.

    Classes are data an administrator adds. `is_business_service` marks the classes impact
    analysis stops at and reports: what the business sees.
    """

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_business_service = models.BooleanField(
        _("business service"),
        default=False,
        help_text=_("Impact analysis reports the CIs of this class as the services that break."),
    )
    is_location = models.BooleanField(
        _("location"), default=False, help_text=_("CIs of this class can be a CI's location.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("CI class")
        verbose_name_plural = _("CI classes")

    def __str__(self):
        return self.name


class AttributeDefinition(models.Model):
    """A typed attribute of a class: text, number, date, choice or a reference to a CI."""

    ci_class = models.ForeignKey(
        CIClass, on_delete=models.CASCADE, related_name="attributes", verbose_name=_("class")
    )
    code = models.SlugField(_("code"), max_length=60)
    label = models.CharField(_("label"), max_length=100)
    type = models.CharField(_("type"), max_length=16, choices=AttributeType.choices)
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(
        _("choices"), default=list, blank=True, help_text=_("The allowed values of a choice.")
    )
    reference_class = models.ForeignKey(
        CIClass,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("referenced class"),
        help_text=_("For a reference: the class the CI must be of (any class when empty)."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["ci_class", "order", "id"]
        verbose_name = _("attribute")
        verbose_name_plural = _("attributes")
        constraints = [
            models.UniqueConstraint(fields=["ci_class", "code"], name="cmdb_attribute_code_once"),
            models.CheckConstraint(
                condition=Q(type__in=AttributeType.values), name="cmdb_attribute_type_valid"
            ),
        ]

    def __str__(self):
        return f"{self.ci_class.name}: {self.label}"


class ConfigurationItem(models.Model):
    """Anything managed to deliver a service: a server, an application, a network device.

    `attributes` holds the class's typed attribute values by code (validated by the services).
    `service` links a business-service CI to its catalogue service.
    """

    WORKFLOW = CI_WORKFLOW

    name = models.CharField(_("name"), max_length=200, unique=True)
    ci_class = models.ForeignKey(
        CIClass,
        on_delete=models.PROTECT,
        null=True,
        related_name="items",
        verbose_name=_("class"),
    )
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("lifecycle status"),
        max_length=16,
        choices=LifecycleStatus.choices,
        default=LifecycleStatus.LIVE,
    )
    criticality = models.PositiveSmallIntegerField(
        _("criticality"), choices=Criticality.choices, default=Criticality.MEDIUM
    )
    environment = models.CharField(
        _("environment"),
        max_length=16,
        choices=Environment.choices,
        default=Environment.PRODUCTION,
    )
    location = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="located_here",
        verbose_name=_("location"),
    )
    owner_group = models.ForeignKey(
        "accounts.SupportGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_configuration_items",
        verbose_name=_("owner group"),
    )
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="configuration_items",
        verbose_name=_("service"),
    )
    support_group = models.ForeignKey(
        "accounts.SupportGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="configuration_items",
        verbose_name=_("support group"),
    )
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        indexes = [
            models.Index(fields=["ci_class", "name"], name="cmdb_ci_class_idx"),
            models.Index(fields=["status", "name"], name="cmdb_ci_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CI_WORKFLOW.states), name="cmdb_ci_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(criticality__gte=1, criticality__lte=4),
                name="cmdb_ci_criticality_valid",
            ),
        ]

    def __str__(self):
        return self.name


class Relationship(models.Model):
    """ "source <type> target": the source needs the target. Cycles are allowed; walks end."""

    source = models.ForeignKey(
        ConfigurationItem,
        on_delete=models.CASCADE,
        related_name="outgoing",
        verbose_name=_("source"),
        db_index=False,  # led by the unique (source, target, type) index
    )
    type = models.CharField(_("type"), max_length=16, choices=RelationshipType.choices)
    target = models.ForeignKey(
        ConfigurationItem,
        on_delete=models.CASCADE,
        related_name="incoming",
        verbose_name=_("target"),
        db_index=False,  # led by the (target, source) index
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        # Downstream walks follow target -> source, upstream walks source -> target: an index
        # led by each end answers one hop with an index-only scan.
        indexes = [
            models.Index(fields=["target", "source"], name="cmdb_rel_target_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target", "type"], name="cmdb_relationship_once"
            ),
            models.CheckConstraint(
                condition=~Q(source=models.F("target")), name="cmdb_relationship_not_self"
            ),
            models.CheckConstraint(
                condition=Q(type__in=RelationshipType.values), name="cmdb_relationship_type_valid"
            ),
        ]

    def __str__(self):
        return f"{self.source_id} {self.type} {self.target_id}"

    @property
    def reverse_label(self) -> str:
        return str(REVERSE_LABELS[self.type])


class Baseline(models.Model):
    """A named snapshot of a set of CIs (a class, or all), to compare with the CMDB later."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    ci_class = models.ForeignKey(
        CIClass,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("class"),
        help_text=_("Empty: every CI that is not retired."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("baseline")
        verbose_name_plural = _("baselines")

    def __str__(self):
        return self.name


class BaselineItem(models.Model):
    """One CI as it was when the baseline was taken (fields, attributes and relationships)."""

    baseline = models.ForeignKey(Baseline, on_delete=models.CASCADE, related_name="items")
    ci_id_value = models.PositiveBigIntegerField(_("CI id"))
    snapshot = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["baseline", "ci_id_value"], name="cmdb_baseline_ci_once"
            )
        ]

    def __str__(self):
        return f"{self.baseline_id}: {self.ci_id_value}"


class ImpactProposal(models.Model):
    """The impact the CMDB proposes for an incident from the business services that depend on its
    CI; the agent accepts it or overrides it. One per incident, replaced when the CI changes."""

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, related_name="impact_proposal"
    )
    configuration_item = models.ForeignKey(
        ConfigurationItem, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    proposed_impact = models.CharField(_("proposed impact"), max_length=10, blank=True)
    service_count = models.PositiveIntegerField(_("business services"), default=0)
    max_criticality = models.PositiveSmallIntegerField(
        _("highest criticality"), choices=Criticality.choices, null=True, blank=True
    )
    services = models.JSONField(default=list, blank=True)
    organisation_count = models.PositiveIntegerField(_("organisations"), default=0)
    computed_at = models.DateTimeField(null=True, blank=True)
    decided_impact = models.CharField(_("chosen impact"), max_length=10, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("impact proposal")
        verbose_name_plural = _("impact proposals")

    def __str__(self):
        return f"{self.incident_id}: {self.proposed_impact or self.status}"
