"""The catalogue API: thin DRF views over `catalogue.services` and `catalogue.selectors`.

A record the caller may not see is a 404. Lists are keyset-paginated (no OFFSET, no COUNT).
"""

import json

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from accounts.models import SupportGroup, User
from accounts.selectors import assignable_people
from catalogue import services
from catalogue.api import serializers as api
from catalogue.filters import RequestFilter, TaskFilter
from catalogue.forms import OrderForm
from catalogue.models import (
    FulfilmentTask,
    RequestItem,
    Service,
    ServiceOffering,
    ServiceRequest,
    TaskStatus,
)
from catalogue.selectors import (
    TASK_QUEUES,
    WORK_PERMISSION,
    catalogue_search,
    orderable_items,
    request_detail_get,
    requests_visible_to,
    task_queue,
)
from servicedesk.api.filters import FilterBackend
from servicedesk.api.parsers import FormParser, JSONParser, MultiPartParser
from servicedesk.api.serializers import TransitionNoteSerializer
from servicedesk.api.views import RecordConversationMixin, RecordViewSetMixin
from servicedesk.converters import ID_PATTERN
from servicedesk.filters import IdField
from servicedesk.selectors import record_by_number


def active_groups():
    return SupportGroup.objects.filter(is_active=True)


@extend_schema_view(
    list=extend_schema(
        summary="Catalogue services you may see",
        parameters=[OpenApiParameter("q", str, description="Words in the name or items.")],
    ),
    retrieve=extend_schema(summary="One service with its offerings"),
)
class ServiceViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = ID_PATTERN  # a number too long for an id is a 404
    queryset = Service.objects.none()  # the real one is get_queryset(): the caller's view
    serializer_class = api.ServiceSerializer
    ordering = ("name",)
    query_parameters = ("q",)

    def get_queryset(self):
        offerings = Prefetch(
            "offerings", queryset=ServiceOffering.objects.select_related("sla_policy")
        )
        return (
            catalogue_search(self.request.user, self.request.query_params.get("q", ""))
            .select_related("owner", "support_group")
            .prefetch_related(offerings)
        )


@extend_schema_view(
    list=extend_schema(
        summary="Items you may order, each with its form schema",
        parameters=[OpenApiParameter("service", int, description="Only this service's items.")],
    ),
    retrieve=extend_schema(summary="One item with its form schema"),
)
class ItemViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = ID_PATTERN  # a number too long for an id is a 404
    queryset = RequestItem.objects.none()
    serializer_class = api.ItemSerializer
    ordering = ("name",)
    query_parameters = ("service",)

    def get_queryset(self):
        rows = orderable_items(self.request.user).prefetch_related("fields").order_by("name")
        service = self.request.query_params.get("service")
        if service:
            try:
                rows = rows.filter(service_id=IdField().clean(service))
            except DjangoValidationError as error:
                raise serializers.ValidationError({"service": error.messages}) from error
        return rows


@extend_schema_view(
    list=extend_schema(summary="Requests you may see, newest first"),
    retrieve=extend_schema(summary="One request by number"),
    create=extend_schema(
        summary="Order an item",
        request=api.RequestCreateSerializer,
        responses={201: api.RequestDetailSerializer},
    ),
)
class RequestViewSet(
    RecordConversationMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = ServiceRequest.objects.none()
    filter_backends = [FilterBackend]
    filterset_class = RequestFilter
    lookup_field = "number"
    lookup_value_regex = "[A-Za-z0-9]+"
    ordering = ("-created_at", "-id")
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        rows = requests_visible_to(self.request.user).select_related(
            "requester", "item", "support_group"
        )
        if self.action != "list":
            rows = rows.select_related("service", "offering", "offering__sla_policy")
        return rows

    def get_serializer_class(self):
        return api.RequestListSerializer if self.action == "list" else api.RequestDetailSerializer

    def get_object(self):
        return get_object_or_404(self.get_queryset(), number=self.kwargs["number"])

    def retrieve(self, request, *args, **kwargs):
        try:
            record = request_detail_get(
                user=request.user, rows=self.get_queryset(), number=self.kwargs["number"]
            )
        except ServiceRequest.DoesNotExist:
            raise Http404 from None
        return Response(
            api.RequestDetailSerializer(record, context=self.get_serializer_context()).data
        )

    def detail_response(self, record, code=status.HTTP_200_OK, **kwargs):
        record = request_detail_get(user=self.request.user, rows=self.get_queryset(), pk=record.pk)
        return Response(
            api.RequestDetailSerializer(record, context=self.get_serializer_context()).data,
            status=code, **kwargs,
        )  # fmt: skip

    def create(self, request, *args, **kwargs):
        if not hasattr(request.data, "keys"):
            raise serializers.ValidationError(
                {"non_field_errors": ["Send the order as an object."]}
            )
        # Files travel under their form field names beside `item` and `answers`.
        fields = {key: request.data.get(key) for key in request.data if key not in request.FILES}
        serializer = api.RequestCreateSerializer(data=fields, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        answers = data.get("answers") or {}
        if isinstance(answers, str):
            try:
                answers = json.loads(answers)
            except ValueError:
                raise serializers.ValidationError(
                    {"answers": ["Send the answers as JSON."]}
                ) from None
        if not isinstance(answers, dict):
            raise serializers.ValidationError({"answers": ["Send the answers as an object."]})
        requester = None
        if "requester" in data:
            if not request.user.has_perm(WORK_PERMISSION):
                raise serializers.ValidationError({"requester": ["Only staff order for others."]})
            requester = User.objects.filter(pk=data["requester"], is_active=True).first()
            if requester is None:
                raise serializers.ValidationError({"requester": ["Nobody with this id."]})
        item = orderable_items(requester or request.user).filter(pk=data["item"]).first()
        if item is None:
            raise serializers.ValidationError({"item": ["You cannot order this item."]})
        form = OrderForm(item, {k: v for k, v in answers.items()}, request.FILES)
        if not form.is_valid():
            raise serializers.ValidationError(
                {f"answers.{name}": list(messages) for name, messages in form.errors.items()}
            )
        clean, files = form.answers()
        try:
            record = services.request_create(
                actor=request.user, item=item, answers=clean, files=files, requester=requester
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(
                error.message_dict
                if hasattr(error, "error_dict")
                else {"non_field_errors": error.messages}
            ) from None
        location = reverse("servicerequest-detail", kwargs={"number": record.number})
        return self.detail_response(record, status.HTTP_201_CREATED, headers={"Location": location})

    def write_comment(self, record, **data):
        return services.request_comment(request_id=record.pk, actor=self.request.user, **data)

    @extend_schema(summary="Cancel (the requester or staff)", request=api.ReasonSerializer,
                   responses=api.RequestDetailSerializer)  # fmt: skip
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        record = self.get_object()
        data = self.input(api.ReasonSerializer)
        services.request_cancel(request_id=record.pk, actor=request.user, **data)
        return self.detail_response(record)

    @extend_schema(summary="Close by hand (staff)", request=TransitionNoteSerializer,
                   responses=api.RequestDetailSerializer)  # fmt: skip
    @action(detail=True, methods=["post"])
    def close(self, request, number=None):
        record = self.get_object()
        self.ensure_staff()
        data = self.input(TransitionNoteSerializer)
        services.request_close(request_id=record.pk, actor=request.user, **data)
        return self.detail_response(record)

    @extend_schema(summary="Rate a closed request (the requester)", request=api.RatingSerializer,
                   responses={201: api.RatingSerializer})  # fmt: skip
    @action(detail=True, methods=["post"])
    def rate(self, request, number=None):
        record = self.get_object()
        data = self.input(api.RatingSerializer)
        rating = services.rate(record=record, actor=request.user, **data)
        return Response(
            {"score": rating.score, "comment": rating.comment}, status=status.HTTP_201_CREATED
        )


@extend_schema_view(
    list=extend_schema(
        summary="Fulfilment tasks (staff), oldest first",
        parameters=[
            OpenApiParameter("queue", str, enum=list(TASK_QUEUES), description="Default: all."),
        ],
    ),
    retrieve=extend_schema(summary="One task by number"),
    create=extend_schema(
        summary="Add a task to any record",
        request=api.TaskCreateSerializer,
        responses={201: api.TaskDetailSerializer},
    ),
)
class TaskViewSet(
    RecordViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = FulfilmentTask.objects.none()
    filter_backends = [FilterBackend]
    filterset_class = TaskFilter
    lookup_field = "number"
    lookup_value_regex = "[A-Za-z0-9]+"
    ordering = ("created_at", "id")
    query_parameters = ("queue",)
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return task_queue(
            user=self.request.user, queue=self.request.query_params.get("queue", "all")
        )

    def get_serializer_class(self):
        return api.TaskListSerializer if self.action == "list" else api.TaskDetailSerializer

    def get_object(self):
        rows = task_queue(user=self.request.user, queue="all").defer(None)
        return get_object_or_404(rows, number=self.kwargs["number"])

    def detail_response(self, record, code=status.HTTP_200_OK, **kwargs):
        return Response(api.TaskDetailSerializer(self.get_object()).data, status=code, **kwargs)

    def create(self, request, *args, **kwargs):
        """`services.task_add` on the record named by `parent` (one the caller may see: else
        400 on `parent`), a group and an agent by id."""
        self.ensure_staff()
        data = self.input(api.TaskCreateSerializer)
        try:
            parent = record_by_number(user=request.user, number=data.pop("parent"))
        except ObjectDoesNotExist:
            raise serializers.ValidationError({"parent": ["No record with this number."]}) from None
        for name, rows in (("support_group", active_groups()), ("assignee", assignable_people())):
            if data[name] is not None:
                data[name] = rows.filter(pk=data[name]).first()
                if data[name] is None:
                    raise serializers.ValidationError({name: ["Nobody and nothing with this id."]})
        task = services.task_add(parent=parent, actor=request.user, **data)
        self.kwargs["number"] = task.number
        location = reverse("fulfilmenttask-detail", kwargs={"number": task.number})
        return self.detail_response(task, status.HTTP_201_CREATED, headers={"Location": location})

    def take_record(self, record, *, version):
        services.task_take(task_id=record.pk, actor=self.request.user, version=version)

    def _act(self, target):
        task = self.get_object()
        data = self.input(TransitionNoteSerializer)
        services.task_transition(task_id=task.pk, actor=self.request.user, target=target, **data)
        return self.detail_response(task)

    @extend_schema(
        summary="Assign to me", request=TransitionNoteSerializer,
        responses=api.TaskDetailSerializer,
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def take(self, request, number=None):
        return self.take_answer(TransitionNoteSerializer)

    @extend_schema(
        summary="Start work", request=TransitionNoteSerializer, responses=api.TaskDetailSerializer
    )
    @action(detail=True, methods=["post"])
    def start(self, request, number=None):
        return self._act(TaskStatus.IN_PROGRESS)

    @extend_schema(
        summary="Mark done", request=TransitionNoteSerializer, responses=api.TaskDetailSerializer
    )
    @action(detail=True, methods=["post"])
    def done(self, request, number=None):
        return self._act(TaskStatus.DONE)

    @extend_schema(
        summary="Cancel", request=TransitionNoteSerializer, responses=api.TaskDetailSerializer
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        return self._act(TaskStatus.CANCELLED)
