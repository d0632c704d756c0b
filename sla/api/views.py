"""The SLA API: timers across records (staff), and the definitions (calendars, policies, rules:
staff read, administrators write through `sla.services.definitions`)."""

from django.core.exceptions import ImproperlyConfigured
from rest_framework import generics, permissions, viewsets

from servicedesk.converters import ID_PATTERN
from sla import services
from sla.api.serializers import (
    CalendarSerializer,
    EscalationRuleSerializer,
    SlaPolicySerializer,
    SlaTimerSerializer,
)
from sla.filters import SlaTimerFilter
from sla.models import Calendar, EscalationRule, SlaPolicy, SlaTimer


class StaffOnly(permissions.BasePermission):
    message = "Only service desk staff can see SLA timers across records."

    def has_permission(self, request, view):
        return request.user.has_perm("accounts.use_agent_workspace")


class SlaTimerList(generics.ListAPIView):
    """SLA timers across records, newest first; filter by state, metric, breach and due time."""

    serializer_class = SlaTimerSerializer
    permission_classes = [permissions.IsAuthenticated, StaffOnly]
    filterset_class = SlaTimerFilter
    ordering = ("-id",)
    queryset = SlaTimer.objects.select_related("content_type", "policy", "target__calendar")


# --- Definitions --------------------------------------------------------------------------------


class DefinitionPermission(permissions.DjangoModelPermissions):
    """Staff read the definitions; writing needs the model's add/change/delete permission
    (administrators have them)."""

    def has_permission(self, request, view):
        if not request.user.has_perm("accounts.use_agent_workspace"):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return super().has_permission(request, view)


class DefinitionViewSet(viewsets.ModelViewSet):
    """Reads here, writes through `sla.services.definitions` (validation, audit, recompute).

    A subclass names its services and which input fields are rows of their own (`nested`)."""

    lookup_value_regex = ID_PATTERN  # a number too long for an id is a 404
    permission_classes = [permissions.IsAuthenticated, DefinitionPermission]
    nested: tuple[str, ...] = ()
    versioned = True

    def create_row(self, *, actor, fields, **nested):
        raise ImproperlyConfigured(f"{type(self).__name__} must define create_row()")

    def update_row(self, *, pk, actor, changes, version, **nested):
        raise ImproperlyConfigured(f"{type(self).__name__} must define update_row()")

    def delete_row(self, *, pk, actor):
        raise ImproperlyConfigured(f"{type(self).__name__} must define delete_row()")

    def _split(self, data) -> tuple[dict, dict, int | None]:
        data = dict(data)
        version = data.pop("version", None) if self.versioned else None
        nested = {name: data.pop(name) for name in self.nested if name in data}
        return data, nested, version

    def perform_create(self, serializer):
        fields, nested, _version = self._split(serializer.validated_data)
        row = self.create_row(actor=self.request.user, fields=fields, **nested)
        serializer.instance = self.get_queryset().get(pk=row.pk)

    def perform_update(self, serializer):
        changes, nested, version = self._split(serializer.validated_data)
        row = self.update_row(
            pk=serializer.instance.pk,
            actor=self.request.user,
            changes=changes,
            version=version,
            **nested,
        )
        serializer.instance = self.get_queryset().get(pk=row.pk)

    def perform_destroy(self, instance):
        self.delete_row(pk=instance.pk, actor=self.request.user)


class CalendarViewSet(DefinitionViewSet):
    """Business calendars with their working hours and holidays. Saving one recomputes the
    open timers that use it."""

    serializer_class = CalendarSerializer
    queryset = Calendar.objects.prefetch_related("hours", "holidays")
    ordering = ("name",)
    nested = ("hours", "holidays")

    def create_row(self, *, actor, fields, **nested):
        return services.calendar_create(actor=actor, fields=fields, **nested)

    def update_row(self, *, pk, actor, changes, version, **nested):
        return services.calendar_update(
            calendar_id=pk, actor=actor, changes=changes, version=version, **nested
        )

    def delete_row(self, *, pk, actor):
        services.calendar_delete(calendar_id=pk, actor=actor)


class SlaPolicyViewSet(DefinitionViewSet):
    """SLA, OLA and UC policies with their targets. Saving one recomputes its open timers."""

    serializer_class = SlaPolicySerializer
    queryset = SlaPolicy.objects.prefetch_related("targets")
    ordering = ("record_type", "precedence", "name")
    filterset_fields = ["kind", "record_type", "is_active"]
    nested = ("targets",)

    def create_row(self, *, actor, fields, targets=()):
        return services.policy_create(actor=actor, fields=fields, targets=targets)

    def update_row(self, *, pk, actor, changes, version, targets=None):
        return services.policy_update(
            policy_id=pk, actor=actor, changes=changes, targets=targets, version=version
        )

    def delete_row(self, *, pk, actor):
        services.policy_delete(policy_id=pk, actor=actor)


class EscalationRuleViewSet(DefinitionViewSet):
    """Escalation rules: at a share of a target or at an offset from the due time."""

    serializer_class = EscalationRuleSerializer
    queryset = EscalationRule.objects.all()
    ordering = ("metric", "percent", "offset_minutes", "id")
    filterset_fields = ["policy", "metric", "action", "is_active"]
    versioned = False

    def create_row(self, *, actor, fields):
        return services.rule_create(actor=actor, fields=fields)

    def update_row(self, *, pk, actor, changes, version):
        return services.rule_update(rule_id=pk, actor=actor, changes=changes)

    def delete_row(self, *, pk, actor):
        services.rule_delete(rule_id=pk, actor=actor)
