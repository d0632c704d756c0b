"""/api/v1/status/ (the status pages a person may read) and
/api/v1/major-incidents/{number}/updates/ (the room's updates: list, post)."""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.models import Incident
from majorincidents import selectors, services
from majorincidents.api.serializers import UpdateInputSerializer, UpdateSerializer, page_as_json
from majorincidents.models import StatusUpdate
from servicedesk.api.views import ERRORS


class CanViewRoom(permissions.BasePermission):
    message = "Only service desk staff open a major incident's room."

    def has_permission(self, request, view):
        return selectors.can_view_room(request.user)


class StatusListView(APIView):
    """The services whose status page the person may read, worst first."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(operation_id="status_list", responses={200: dict, **ERRORS})
    def get(self, request):
        rows = selectors.service_overview(user=request.user)
        return Response(
            [
                {"id": r["service"].pk, "name": r["service"].name, "health": r["health"]}
                for r in rows
            ]
        )


class StatusDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(operation_id="status_retrieve", responses={200: dict, **ERRORS})
    def get(self, request, pk):
        service = selectors.status_services(user=request.user).filter(pk=pk).first()
        if service is None:
            raise NotFound()
        return Response(page_as_json(selectors.status_page(service=service)))


class UpdatesView(APIView):
    permission_classes = [permissions.IsAuthenticated, CanViewRoom]

    def _incident(self, request, number) -> Incident:
        try:
            return selectors.room_incident(user=request.user, number=number)
        except Incident.DoesNotExist:
            raise NotFound() from None

    @extend_schema(responses={200: UpdateSerializer(many=True), **ERRORS})
    def get(self, request, number):
        incident = self._incident(request, number)
        rows = StatusUpdate.objects.filter(incident=incident).select_related("service", "author")
        return Response(UpdateSerializer(rows, many=True).data)

    @extend_schema(request=UpdateInputSerializer, responses={201: UpdateSerializer, **ERRORS})
    def post(self, request, number):
        incident = self._incident(request, number)
        data = UpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        update = services.update_post(incident=incident, actor=request.user, **data.validated_data)
        return Response(UpdateSerializer(update).data, status=status.HTTP_201_CREATED)
