"""The CMDB's fixed vocabularies: lifecycle, criticality, environment, attribute and relationship
types. CI classes and their attributes are data (see models.CIClass); these are not."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LifecycleStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_BUILD = "in_build", _("In build")
    LIVE = "live", _("Live")
    MAINTENANCE = "maintenance", _("Maintenance")
    RETIRED = "retired", _("Retired")


# The allowed lifecycle moves are cmdb.workflow.CI_WORKFLOW.


class Criticality(models.IntegerChoices):
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")
    CRITICAL = 4, _("Critical")


class Environment(models.TextChoices):
    PRODUCTION = "production", _("Production")
    STAGING = "staging", _("Staging")
    TEST = "test", _("Test")
    DEVELOPMENT = "development", _("Development")
    DISASTER_RECOVERY = "dr", _("Disaster recovery")


class AttributeType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    REFERENCE = "reference", _("Reference to a CI")


class RelationshipType(models.TextChoices):
    """Every relationship reads "source <type> target", and always means the source needs the
    target: when the target fails, the source is impacted (downstream); what the source needs is
    upstream."""

    DEPENDS_ON = "depends_on", _("depends on")
    RUNS_ON = "runs_on", _("runs on")
    CONNECTED_TO = "connected_to", _("connected to")
    PART_OF = "part_of", _("part of")


# The same relationship read from its target's side.
REVERSE_LABELS = {
    RelationshipType.DEPENDS_ON: _("used by"),
    RelationshipType.RUNS_ON: _("hosts"),
    RelationshipType.CONNECTED_TO: _("connects"),
    RelationshipType.PART_OF: _("has part"),
}


class Direction(models.TextChoices):
    DOWNSTREAM = "downstream", _("Downstream: what breaks if it fails")
    UPSTREAM = "upstream", _("Upstream: what it needs")


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Being computed")
    READY = "ready", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    OVERRIDDEN = "overridden", _("Overridden")


STATUS_COLORS = {
    LifecycleStatus.PLANNED: "info",
    LifecycleStatus.IN_BUILD: "info",
    LifecycleStatus.LIVE: "ok",
    LifecycleStatus.MAINTENANCE: "warn",
    LifecycleStatus.RETIRED: "muted",
}
