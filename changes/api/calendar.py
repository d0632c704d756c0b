"""The change calendar and collisions in the API: `/api/v1/changes/calendar/?start=&end=` (a
window of at most 92 days, with the calendar's filters) and `/api/v1/changes/{number}/collisions/`.
Both read `changes.calendar` and `changes.collisions`, the pages' selectors."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from changes.calendar import calendar_changes, calendar_windows, parse_filters, parse_window
from changes.collisions import collision_json, collisions_for
from servicedesk.api.views import responses

_ENTRY = {
    "number": serializers.CharField(),
    "title": serializers.CharField(),
    "status": serializers.CharField(),
    "change_type": serializers.CharField(),
    "risk_level": serializers.CharField(),
    "planned_start": serializers.DateTimeField(),
    "planned_end": serializers.DateTimeField(),
    "support_group": serializers.CharField(allow_null=True),
}
_WINDOW = {
    "name": serializers.CharField(),
    "service": serializers.CharField(allow_null=True),
    "starts_at": serializers.DateTimeField(),
    "ends_at": serializers.DateTimeField(),
    "reason": serializers.CharField(),
}
_Window = inline_serializer("ChangeCalendarWindow", _WINDOW, many=True)
_Calendar = inline_serializer(
    "ChangeCalendar",
    {
        "start": serializers.DateTimeField(),
        "end": serializers.DateTimeField(),
        "changes": inline_serializer("ChangeCalendarEntry", _ENTRY, many=True),
        "blackouts": _Window,
        "maintenance": _Window,
    },
)
_COLLISION = {
    "kind": serializers.ChoiceField(choices=["change", "blackout", "maintenance"]),
    "starts_at": serializers.DateTimeField(),
    "ends_at": serializers.DateTimeField(),
    "summary": serializers.CharField(),
    "change": serializers.DictField(allow_null=True),
    "window": serializers.DictField(allow_null=True),
    "service": serializers.DictField(allow_null=True),
    "path": serializers.ListField(child=serializers.DictField()),
}
CALENDAR_LIMIT = 10_000  # entries one answer gives at most


def _window_json(window) -> dict:
    return {
        "name": window.name,
        "service": str(window.service) if window.service_id else None,
        "starts_at": window.starts_at,
        "ends_at": window.ends_at,
        "reason": getattr(window, "reason", "") or getattr(window, "notes", ""),
    }


class ChangeCalendarMixin:
    """The calendar (a list-level action) and a change's collisions (a detail action)."""

    @extend_schema(
        summary="The change calendar of a window",
        description=(
            "Changes whose planned window overlaps [start, end) (ISO dates or date-times; an "
            "end date counts whole; 92 days at most), earliest first, with the blackout and "
            "maintenance windows overlapping it. Filter by `service`, `ci`, `group` (ids) and "
            "`risk`."
        ),
        parameters=[
            OpenApiParameter("start", OpenApiTypes.STR, required=True),
            OpenApiParameter("end", OpenApiTypes.STR, required=True),
            OpenApiParameter("service", OpenApiTypes.INT),
            OpenApiParameter("ci", OpenApiTypes.INT),
            OpenApiParameter("group", OpenApiTypes.INT),
            OpenApiParameter("risk", OpenApiTypes.STR, enum=["low", "medium", "high"]),
        ],
        responses=responses(_Calendar, without=(404, 409)),
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def calendar(self, request):
        allowed = {"start", "end", "service", "ci", "group", "risk", "format"}
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise ValidationError({name: _("Unknown parameter.") for name in unknown})
        starts_at, ends_at = parse_window(request.query_params)  # 400s by field
        filters = parse_filters(request.query_params)
        rows = calendar_changes(
            user=request.user, starts_at=starts_at, ends_at=ends_at, filters=filters
        ).values(
            "number",
            "title",
            "status",
            "change_type",
            "risk_level",
            "planned_start",
            "planned_end",
            "support_group__name",
        )[:CALENDAR_LIMIT]
        windows = calendar_windows(starts_at=starts_at, ends_at=ends_at, filters=filters)
        return Response(
            {
                "start": starts_at,
                "end": ends_at,
                "changes": [
                    {**row, "support_group": row.pop("support_group__name")} for row in rows
                ],
                "blackouts": [_window_json(w) for w in windows["blackouts"]],
                "maintenance": [_window_json(w) for w in windows["maintenance"]],
            }
        )

    @extend_schema(
        summary="What a change collides with",
        description=(
            "Other changes in an overlapping window whose CIs are the same or connected in the "
            "CMDB within the scheduling policy's depth, and the blackout and maintenance "
            "windows on services the change names or its CIs reach; each with the path "
            "(CI, relation, CI, ...) that connects them. Blackouts first, then nearest first."
        ),
        responses=responses(
            inline_serializer("ChangeCollision", _COLLISION, many=True), without=(400, 409)
        ),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def collisions(self, request, number=None):
        change = self.get_object()  # type: ignore[attr-defined]
        return Response([collision_json(c) for c in collisions_for(change)])
