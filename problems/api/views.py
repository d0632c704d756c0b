"""The problems API: thin DRF views over `problems.services` and `problems.selectors`. A
problem the caller may not see (an end user sees none) is a 404."""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from incidents.models import Incident
from incidents.selectors import incidents_visible_to
from problems import selectors, services
from problems.api import serializers as api
from problems.filters import ProblemFilter
from problems.models import Problem
from servicedesk.api.filters import FilterBackend
from servicedesk.api.links import LinkedRecordSerializer
from servicedesk.api.serializers import VersionedActionSerializer
from servicedesk.api.views import (
    RecordAttachmentsMixin,
    RecordConversationMixin,
    ReplicaListMixin,
    responses,
)
from servicedesk.exceptions import ApplicationError
from servicedesk.selectors import record_links, record_model_for_number

DETAIL_RELATED = (*selectors.LIST_RELATED, "requester", "category")


def _incident_ids(user, numbers: list[str]) -> list[int]:
    ids = []
    for text in numbers:
        found = record_model_for_number(text)
        incident = None
        if found is not None and found[0] is Incident:
            incident = incidents_visible_to(user).filter(number=found[1]).only("id").first()
        if incident is None:
            message = _("No incident with the number %(number)s.") % {"number": text}
            raise ApplicationError(message, errors={"incidents": [message]})
        ids.append(incident.pk)
    return ids


def _linked_incidents(problem: Problem) -> Response:
    rows = selectors.problem_incidents(problem)
    return Response(api.LinkedIncidentSerializer(rows, many=True).data)


def _detail(summary, request=None, code=200):
    return extend_schema(
        summary=summary, request=request, responses=responses(api.ProblemDetailSerializer, code)
    )


@extend_schema_view(
    list=extend_schema(
        summary="List problems",
        description="Newest first, keyset pages (`next`/`previous`, no total count).",
        responses=responses(api.ProblemListSerializer(many=True), without=(403, 404, 409)),
    ),
    retrieve=extend_schema(
        summary="One problem by number",
        responses=responses(api.ProblemDetailSerializer, without=(400, 403, 409)),
    ),
    create=_detail("Raise a problem (optionally from incidents)", api.ProblemCreateSerializer, 201),
    partial_update=_detail(
        "Edit a problem's facts or analysis (send the version you edited)",
        api.ProblemUpdateSerializer,
    ),
)
class ProblemViewSet(
    RecordConversationMixin,
    RecordAttachmentsMixin,
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Problems: list, read, raise, edit, assign, move through the workflow, link incidents,
    comment, attach, timeline."""

    lookup_field = "number"
    lookup_value_regex = "[A-Za-z0-9]+"
    queryset = Problem.objects.none()
    filter_backends = [FilterBackend, OrderingFilter]
    filterset_class = ProblemFilter
    ordering_fields = ["number", "priority", "created_at", "updated_at", "status"]
    ordering = ("-created_at", "-id")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        visible = selectors.problems_visible_to(self.request.user)
        return visible.select_related(*DETAIL_RELATED)

    def get_serializer_class(self):
        if self.action == "list":
            return api.ProblemListSerializer
        return api.ProblemDetailSerializer

    def get_object(self):
        return get_object_or_404(self.get_queryset(), number=self.kwargs[self.lookup_field])

    def action_record(self) -> Problem:
        return get_object_or_404(
            selectors.problems_visible_to(self.request.user), number=self.kwargs[self.lookup_field]
        )

    def detail_response(self, record, code=status.HTTP_200_OK, **kwargs) -> Response:
        problem = self.get_queryset().get(pk=record.pk)
        data = api.ProblemDetailSerializer(problem, context=self.get_serializer_context()).data
        return Response(data, status=code, **kwargs)

    def take_record(self, record, *, version):
        services.problem_take(problem_id=record.pk, actor=self.request.user, version=version)

    def write_comment(self, record, **data):
        return services.problem_comment(problem_id=record.pk, actor=self.request.user, **data)

    def write_attachment(self, record, **data):
        return services.problem_attach(problem_id=record.pk, actor=self.request.user, **data)

    def create(self, request, *args, **kwargs):
        services.ensure_can_work(request.user)
        fields = self.input(api.ProblemCreateSerializer)
        ids = _incident_ids(request.user, fields.pop("incidents", []))
        problem = services.problem_create(actor=request.user, incident_ids=ids, **fields)
        location = reverse("problem-detail", kwargs={"number": problem.number})
        return self.detail_response(
            problem, status.HTTP_201_CREATED, headers={"Location": location}
        )

    def partial_update(self, request, *args, **kwargs):
        problem = self.action_record()
        self.ensure_staff()
        changes = self.input(api.ProblemUpdateSerializer)
        version = changes.pop("version")
        services.problem_update(
            problem_id=problem.pk, actor=request.user, changes=changes, version=version
        )
        return self.detail_response(problem)

    @_detail("Assign to a group and its problem manager", api.AssignSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, number=None):
        problem = self.action_record()
        self.ensure_staff()
        data = self.input(api.AssignSerializer)
        services.problem_assign(
            problem_id=problem.pk, actor=request.user, support_group=data["support_group"],
            assignee=data.get("assignee"), version=data.get("version"),
        )  # fmt: skip
        return self.detail_response(problem)

    @_detail("Assign to me", VersionedActionSerializer)
    @action(detail=True, methods=["post"])
    def take(self, request, number=None):
        return self.take_answer(VersionedActionSerializer)

    @extend_schema(
        summary="Move to a status the workflow allows",
        description=(
            "Known error needs a root cause and a workaround; resolved needs a root cause and "
            "a change linked as the fix, or a `reason`. Known error, resolved, closed and "
            "cancelled are a problem manager's (403 otherwise); a guard's refusal is a 409."
        ),
        request=api.ProblemTransitionSerializer,
        responses=responses(api.ProblemDetailSerializer),
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, number=None):
        problem = self.action_record()
        self.ensure_staff()
        data = self.input(api.ProblemTransitionSerializer)
        services.problem_transition(problem_id=problem.pk, actor=request.user, **data)
        return self.detail_response(problem)

    @extend_schema(
        methods=["GET"],
        summary="The incidents the problem causes",
        responses=responses(api.LinkedIncidentSerializer(many=True), without=(400, 403, 409)),
    )
    @extend_schema(
        methods=["POST"],
        summary="Link incidents (by number) as caused by the problem",
        request=api.IncidentNumbersSerializer,
        responses=responses(api.LinkedIncidentSerializer(many=True)),
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def incidents(self, request, number=None):
        problem = self.action_record()
        if request.method == "POST":
            self.ensure_staff()
            data = self.input(api.IncidentNumbersSerializer)
            ids = _incident_ids(request.user, data["incidents"])
            services.problem_link_incidents(
                problem_id=problem.pk, incident_ids=ids, actor=request.user
            )
        return _linked_incidents(problem)

    @extend_schema(
        summary="Unlink an incident (by number)",
        request=api.IncidentNumberSerializer,
        responses=responses(api.LinkedIncidentSerializer(many=True)),
    )
    @action(detail=True, methods=["post"], url_path="incidents/unlink")
    def unlink(self, request, number=None):
        problem = self.action_record()
        self.ensure_staff()
        data = self.input(api.IncidentNumberSerializer)
        [incident_id] = _incident_ids(request.user, [data["incident"]])
        services.problem_unlink_incident(
            problem_id=problem.pk, incident_id=incident_id, actor=request.user
        )
        return _linked_incidents(problem)

    @extend_schema(
        summary="Every linked record (incidents, changes, other problems) you may see",
        responses=responses(LinkedRecordSerializer(many=True), without=(400, 403, 409)),
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def links(self, request, number=None):
        problem = self.action_record()
        entries = record_links(record=problem, user=request.user)
        return Response(LinkedRecordSerializer(entries, many=True).data)
