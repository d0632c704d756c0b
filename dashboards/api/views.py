"""/api/v1/dashboards/: every panel of the dashboards as JSON, with the pages' filters."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import VIEW_DASHBOARDS
from dashboards import formatting, selectors
from dashboards.scope import ScopeForm


class CanViewDashboards(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm(VIEW_DASHBOARDS)


FILTERS = [
    OpenApiParameter("period", str, description="this_month (default), last_month, this_week, "
                     "last_week, last_7, last_30, last_90, this_year or custom"),
    OpenApiParameter("start", OpenApiTypes.DATE, description="custom: the first day"),
    OpenApiParameter("end", OpenApiTypes.DATE, description="custom: the last day (included)"),
    OpenApiParameter("by", str, description="trend bucket: day, week or month"),
    OpenApiParameter("service", int),
    OpenApiParameter("group", int, description="support group id"),
    OpenApiParameter("organisation", int),
]  # fmt: skip


class PanelList(APIView):
    permission_classes = [permissions.IsAuthenticated, CanViewDashboards]

    @extend_schema(operation_id="dashboards_panels_list", responses=OpenApiTypes.OBJECT)
    def get(self, request):
        """The panels this API serves (keys for /api/v1/dashboards/<key>/)."""
        return Response({"panels": sorted(selectors.PANELS)})


class PanelDetail(APIView):
    permission_classes = [permissions.IsAuthenticated, CanViewDashboards]

    @extend_schema(
        operation_id="dashboards_panel_retrieve", parameters=FILTERS, responses=OpenApiTypes.OBJECT
    )
    def get(self, request, key):
        """One panel: its columns, rows (raw values), formatted cells, chart and definition."""
        function = selectors.PANELS.get(key)
        if function is None:
            raise Http404
        form = ScopeForm(request.query_params or None)
        if request.query_params and not form.is_valid():
            raise ValidationError(
                {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}
            )
        scope = form.scope()
        data = formatting.as_json(function(scope))
        data["scope"] = scope.query()
        return Response(data)
