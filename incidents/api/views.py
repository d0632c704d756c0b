"""The incidents API: thin DRF views over `incidents.services` (every write) and
`incidents.selectors` (every read). Visibility comes from `incidents_visible_to`: an incident the
caller may not see is a 404, never a 403 that would tell it exists.

Errors use the project's one shape (`servicedesk.api.exceptions`): 400 with field errors for bad
input (DRF's and the services' ValidationError), 403 with the service's message when the caller
may not act, 409 for a refused status change or a stale version.
"""

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from customfields import services as custom_fields
from incidents import services
from incidents.api import serializers as api
from incidents.choices import Channel, IncidentStatus
from incidents.filters import IncidentFilter
from incidents.models import Incident
from incidents.records import INCIDENT
from incidents.selectors import LIST_RELATED, as_list_rows, incidents_visible_to
from servicedesk.api.filters import FilterBackend
from servicedesk.api.pagination import KeysetCursorPagination  # noqa: F401
from servicedesk.api.views import (
    RecordAttachmentsMixin,
    RecordConversationMixin,
    ReplicaListMixin,
    responses,
)
from servicedesk.exceptions import ApplicationError, StaleVersion

DETAIL_RELATED = (*LIST_RELATED, "organisation", "service", "configuration_item", "parent")


# --- Views --------------------------------------------------------------------------------------


def _responses(ok, code=200, *, without=()):
    return responses(ok, code, without=without)


def _action_schema(summary, request, *, examples=()):
    return extend_schema(
        summary=summary,
        request=request,
        responses=_responses(api.IncidentDetailSerializer),
        examples=list(examples),
    )


@extend_schema_view(
    list=extend_schema(
        summary="List incidents",
        description=(
            "The incidents you may see, newest first, 50 a page (`page_size` up to 200). "
            "Follow `next`/`previous`; there is no total count. `ordering` takes number, "
            "priority, created_at, updated_at, status or title (prefix `-` to reverse; "
            "comma-separated for several)."
        ),
        responses=_responses(api.IncidentListSerializer(many=True), without=(403, 404, 409)),
    ),
    retrieve=extend_schema(
        summary="One incident by number",
        responses=_responses(api.IncidentDetailSerializer, without=(400, 403, 409)),
    ),
    create=extend_schema(
        summary="Log an incident",
        description=(
            "Priority follows from impact and urgency (the matrix); without a support group the "
            "routing rules choose one. `parent` is the parent incident's number. End users log "
            "for themselves: the requester is always the caller and staff-only fields are "
            "ignored. Staff calls default to the channel `api`."
        ),
        request=api.IncidentCreateSerializer,
        responses=_responses(api.IncidentDetailSerializer, 201, without=(404, 409)),
        examples=[
            OpenApiExample(
                "Agent logs an incident",
                request_only=True,
                value={
                    "title": "VPN drops every few minutes",
                    "description": "<p>Since this morning, for the whole finance team.</p>",
                    "requester": 42,
                    "impact": "high",
                    "urgency": "medium",
                    "category": 3,
                    "subcategory": 12,
                    "service": 2,
                },
            ),
            OpenApiExample(
                "End user logs an incident",
                request_only=True,
                value={
                    "title": "Printer on floor 3 jams",
                    "impact": "low",
                    "urgency": "low",
                },
            ),
        ],
    ),
    partial_update=extend_schema(
        summary="Edit an incident's facts (and its assignment)",
        description=(
            "Send the `version` you edited and only the fields that change. A stale version is "
            "a 409 and nothing changes. `support_group`/`assignee` reassign the incident: "
            "`assignee` alone keeps the group; `support_group` alone (another group) puts it "
            "in that group's queue without an assignee."
        ),
        request=api.IncidentUpdateSerializer,
        responses=_responses(api.IncidentDetailSerializer),
    ),
)
class IncidentViewSet(
    RecordConversationMixin,
    RecordAttachmentsMixin,
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Incidents: list, read, log, edit, assign, move through the workflow, comment, attach."""

    lookup_field = "number"
    lookup_value_regex = "[A-Za-z0-9]+"
    queryset = Incident.objects.none()  # the real one is get_queryset(): the caller's view
    filter_backends = [FilterBackend, OrderingFilter]
    filterset_class = IncidentFilter
    ordering_fields = ["number", "priority", "created_at", "updated_at", "status", "title"]
    ordering = ("-created_at", "-id")
    http_method_names = ["get", "post", "patch", "head", "options"]

    serializer_classes = {
        "list": api.IncidentListSerializer,
        "retrieve": api.IncidentDetailSerializer,
        "create": api.IncidentCreateSerializer,
        "partial_update": api.IncidentUpdateSerializer,
        "assign": api.AssignSerializer,
        "take": api.VersionedActionSerializer,
        "start": api.TransitionNoteSerializer,
        "pending": api.PendingSerializer,
        "resolve": api.ResolveSerializer,
        "close": api.TransitionNoteSerializer,
        "cancel": api.TransitionNoteSerializer,
        "reopen": api.TransitionNoteSerializer,
        "transition": api.TransitionSerializer,
        "merge": api.MergeSerializer,
        "comments": api.CommentCreateSerializer,
        "attachments": api.AttachmentUploadSerializer,
        "timeline": api.TimelineEntrySerializer,
    }

    def get_queryset(self):
        visible = incidents_visible_to(self.request.user)
        if self.action == "list":
            return as_list_rows(visible)
        return visible.select_related(*DETAIL_RELATED)

    def get_serializer_class(self):
        return self.serializer_classes.get(self.action, api.IncidentDetailSerializer)

    def get_object(self):
        # No filter backends on a single incident: the query string does not hide it.
        return get_object_or_404(self.get_queryset(), number=self.kwargs[self.lookup_field])

    # --- what the kernel's record mixins need ---

    def action_record(self) -> Incident:
        """The incident in the URL, if the caller may see it (else 404), with what writes need."""
        visible = incidents_visible_to(self.request.user)
        return get_object_or_404(
            visible.only("id", "number", "status", "version", "support_group", "assignee"),
            number=self.kwargs[self.lookup_field],
        )

    def detail_response(self, record, code=status.HTTP_200_OK, **kwargs) -> Response:
        incident = (
            incidents_visible_to(self.request.user)
            .select_related(*DETAIL_RELATED)
            .get(pk=record.pk)
        )
        data = api.IncidentDetailSerializer(incident, context=self.get_serializer_context()).data
        return Response(data, status=code, **kwargs)

    def take_record(self, record, *, version):
        services.incident_take(incident_id=record.pk, actor=self.request.user, version=version)

    def write_comment(self, record, **data):
        return services.incident_comment(incident_id=record.pk, actor=self.request.user, **data)

    def write_attachment(self, record, **data):
        return services.incident_attach(incident_id=record.pk, actor=self.request.user, **data)

    def _transition(self, target: str, serializer_class, *, staff_only=True, incident=None):
        incident = incident or self.action_record()
        if staff_only:
            self.ensure_staff()
        data = self.input(serializer_class)
        data.setdefault("target", target)
        updated = services.incident_transition(
            incident_id=incident.pk, actor=self.request.user, **data
        )
        return self.detail_response(updated)

    # --- create and edit ---

    def create(self, request, *args, **kwargs):
        fields = self.input(api.IncidentCreateSerializer)
        if request.user.has_perm(services.WORK_PERMISSION):
            fields.setdefault("channel", Channel.API)
        custom = fields.pop("custom_fields", {})
        if not request.user.has_perm(services.WORK_PERMISSION):
            custom = None  # end users log the title and facts; custom fields are the desk's
        category = fields.get("category") or getattr(fields.get("subcategory"), "parent", None)
        incident = custom_fields.create_with_values(
            record_type_key=INCIDENT.key,
            category_id=getattr(category, "pk", None),
            data=custom,
            actor=request.user,
            create=lambda: services.incident_create(actor=request.user, **fields),
        )
        location = reverse("incident-detail", kwargs={"number": incident.number})
        # The new incident is already in memory with its relations: no need to read it back.
        return Response(
            api.incident_answer(incident),
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )

    def partial_update(self, request, *args, **kwargs):
        incident = self.action_record()
        self.ensure_staff()
        changes = self.input(api.IncidentUpdateSerializer)
        version = changes.pop("version")
        custom = changes.pop("custom_fields", None)
        assignment = {
            name: changes.pop(name) for name in ("support_group", "assignee") if name in changes
        }
        if not changes and not assignment and incident.version != version:
            raise StaleVersion()
        with transaction.atomic():  # facts, assignment and custom fields together, or neither
            if changes:
                updated = services.incident_update(
                    incident_id=incident.pk, actor=request.user, changes=changes, version=version
                )
                version = updated.version
            if assignment:
                group = assignment.get("support_group", incident.support_group)
                if "assignee" in assignment:
                    assignee = assignment["assignee"]
                elif group is not None and group.pk == incident.support_group_id:
                    assignee = incident.assignee
                else:
                    assignee = None  # another group's queue
                services.incident_assign(
                    incident_id=incident.pk,
                    actor=request.user,
                    support_group=group,
                    assignee=assignee,
                    version=version,
                )
            if custom is not None:
                incident.refresh_from_db(fields=["category"])
                custom_fields.values_update(record=incident, actor=request.user, data=custom)
        return self.detail_response(incident)

    # --- assignment ---

    @_action_schema("Assign to a group and optionally a person in it", api.AssignSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, number=None):
        incident = self.action_record()
        self.ensure_staff()
        data = self.input(api.AssignSerializer)
        services.incident_assign(
            incident_id=incident.pk,
            actor=request.user,
            support_group=data["support_group"],
            assignee=data.get("assignee"),
            version=data.get("version"),
        )
        return self.detail_response(incident)

    @_action_schema("Assign to me", api.VersionedActionSerializer)
    @action(detail=True, methods=["post"])
    def take(self, request, number=None):
        return self.take_answer(api.VersionedActionSerializer)

    @extend_schema(
        summary="Merge this duplicate into another incident",
        description=(
            "This incident is cancelled as a duplicate of `into` (linked `duplicate_of`), its "
            "public replies are copied to `into`, whose SLA timers keep running; this one's "
            "are cancelled. Answers the incident that stays. Into itself or into an incident "
            "you may not see: 400 on `into`; either one no longer open: 409."
        ),
        request=api.MergeSerializer,
        responses=_responses(api.IncidentDetailSerializer),
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, number=None):
        incident = self.action_record()
        self.ensure_staff()
        data = self.input(api.MergeSerializer)
        survivor = (
            incidents_visible_to(request.user).filter(number=data["into"].strip().upper()).first()
        )
        if survivor is None:
            message = _("No incident with this number.")
            raise ApplicationError(message, errors={"into": [message]})
        merged = services.incident_merge(
            incident_id=incident.pk,
            into_id=survivor.pk,
            actor=request.user,
            version=data.get("version"),
        )
        return self.detail_response(merged)

    # --- workflow ---

    @_action_schema("Start work (in progress)", api.TransitionNoteSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, number=None):
        return self._transition(IncidentStatus.IN_PROGRESS, api.TransitionNoteSerializer)

    @_action_schema("Put on hold, waiting for someone", api.PendingSerializer)
    @action(detail=True, methods=["post"])
    def pending(self, request, number=None):
        return self._transition(IncidentStatus.PENDING, api.PendingSerializer)

    @_action_schema(
        "Resolve",
        api.ResolveSerializer,
        examples=[
            OpenApiExample(
                "Resolved for good",
                request_only=True,
                value={
                    "resolution_code": "solved_permanently",
                    "resolution_notes": "<p>Replaced the faulty switch port; VPN is stable.</p>",
                    "version": 4,
                },
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, number=None):
        return self._transition(IncidentStatus.RESOLVED, api.ResolveSerializer)

    @_action_schema("Close a resolved incident", api.TransitionNoteSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, number=None):
        return self._transition(IncidentStatus.CLOSED, api.TransitionNoteSerializer)

    @_action_schema("Cancel", api.TransitionNoteSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        return self._transition(IncidentStatus.CANCELLED, api.TransitionNoteSerializer)

    @extend_schema(
        summary="Reopen a resolved incident",
        description=(
            "Back to work (in progress) when someone holds it, else back to the queue (new). "
            "The requester may reopen their own incident within the reopen window."
        ),
        request=api.TransitionNoteSerializer,
        responses=_responses(api.IncidentDetailSerializer),
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, number=None):
        incident = self.action_record()
        target = IncidentStatus.IN_PROGRESS if incident.assignee_id else IncidentStatus.NEW
        return self._transition(
            target, api.TransitionNoteSerializer, staff_only=False, incident=incident
        )

    @extend_schema(
        summary="Move to any status the workflow allows",
        description="`allowed_transitions` on the incident lists the candidates.",
        request=api.TransitionSerializer,
        responses=_responses(api.IncidentDetailSerializer),
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, number=None):
        return self._transition("", api.TransitionSerializer, staff_only=False)
