from rest_framework import generics, permissions
from rest_framework.pagination import CursorPagination

from sla.api.serializers import SlaTimerSerializer
from sla.filters import SlaTimerFilter
from sla.models import SlaTimer


class StaffOnly(permissions.BasePermission):
    message = "Only service desk staff can see SLA timers across records."

    def has_permission(self, request, view):
        return request.user.has_perm("accounts.use_agent_workspace")


class TimerCursor(CursorPagination):
    ordering = ("-id",)
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class SlaTimerList(generics.ListAPIView):
    """SLA timers across records, newest first; filter by state, metric, breach and due time."""

    serializer_class = SlaTimerSerializer
    permission_classes = [permissions.IsAuthenticated, StaffOnly]
    filterset_class = SlaTimerFilter
    pagination_class = TimerCursor
    queryset = SlaTimer.objects.select_related("content_type", "policy", "target__calendar")
