from django.db.models import ProtectedError
from django.utils.translation import gettext_lazy as _
from rest_framework import generics, permissions, viewsets

from servicedesk.converters import ID_PATTERN
from servicedesk.exceptions import ApplicationError
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
    lookup_value_regex = ID_PATTERN  # a number too long for an id is a 404
    permission_classes = [permissions.IsAuthenticated, DefinitionPermission]
    in_use_message = ""

    def perform_destroy(self, instance):
        try:
            instance.delete()
        except ProtectedError as error:
            raise InUse(self.in_use_message) from error


class InUse(ApplicationError):
    status_code = 409


class CalendarViewSet(DefinitionViewSet):
    """Business calendars with their working hours and holidays. Saving one recomputes the
    open timers that use it."""

    serializer_class = CalendarSerializer
    queryset = Calendar.objects.prefetch_related("hours", "holidays")
    ordering = ("name",)
    in_use_message = _("Targets use this calendar: point them at another calendar first.")


class SlaPolicyViewSet(DefinitionViewSet):
    """SLA, OLA and UC policies with their targets. Saving one recomputes its open timers."""

    serializer_class = SlaPolicySerializer
    queryset = SlaPolicy.objects.prefetch_related("targets")
    ordering = ("record_type", "precedence", "name")
    filterset_fields = ["kind", "record_type", "is_active"]
    in_use_message = _("Timers ran on this policy: deactivate it instead of deleting it.")


class EscalationRuleViewSet(DefinitionViewSet):
    """Escalation rules: at a share of a target or at an offset from the due time."""

    serializer_class = EscalationRuleSerializer
    queryset = EscalationRule.objects.all()
    ordering = ("metric", "percent", "offset_minutes", "id")
    filterset_fields = ["policy", "metric", "action", "is_active"]
