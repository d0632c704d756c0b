"""What every record type's API viewset shares: reading input, answering with the record,
the staff check, "assign to me", and the conversation (comments, files, timeline).

A record viewset mixes these in before `GenericViewSet` and says, in a few methods, what is
its own: `action_record()` (the record in the URL, if the caller may see it: else 404),
`detail_response(record)` (the answer of a write), and the service each write calls
(`write_comment`, `write_attachment`, `take_record`). The actions keep one URL and one answer
for every type: `{number}/comments/`, `{number}/attachments/`, `{number}/timeline/`.
Errors are the project's one shape (`servicedesk.api.exceptions`).
"""

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from servicedesk import services as kernel
from servicedesk.api.parsers import FormParser, MultiPartParser
from servicedesk.api.serializers import (
    ApiErrorSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    CommentCreateSerializer,
    CommentSerializer,
    TimelineEntrySerializer,
)
from servicedesk.models import Attachment, BaseRecord, Comment
from servicedesk.replicas import replica_reads
from servicedesk.selectors import record_timeline

ERRORS = {
    400: OpenApiResponse(ApiErrorSerializer, description="Bad input: see `errors`."),
    403: OpenApiResponse(ApiErrorSerializer, description="You may not do this."),
    404: OpenApiResponse(ApiErrorSerializer, description="No such record for you."),
    409: OpenApiResponse(
        ApiErrorSerializer,
        description="The workflow refuses the change, or the version is stale.",
    ),
}


def responses(ok: Any, code: int = 200, *, without: tuple[int, ...] = ()) -> dict:
    """A schema's answers: `ok` under `code`, and the record errors but those `without`."""
    return {code: ok, **{k: v for k, v in ERRORS.items() if k not in without}}


def validated(view, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    """The view's request body checked by `serializer_class` (400 with field errors otherwise)."""
    serializer = serializer_class(data=view.request.data, context=view.get_serializer_context())
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def missing_hook(view: object, name: str) -> ImproperlyConfigured:
    """The error a viewset gets when it uses an action whose record-type hook it did not define."""
    return ImproperlyConfigured(f"{type(view).__name__} must define {name}() to use this action")


class RecordViewSetMixin:
    """Input, answers and the staff check of a record type's viewset."""

    request: Request
    kwargs: dict[str, Any]
    if TYPE_CHECKING:  # GenericAPIView's, which the viewset mixes in after this

        def get_object(self) -> Any: ...
        def get_serializer_context(self) -> dict[str, Any]: ...

    def action_record(self) -> BaseRecord:
        """The record in the URL, if the caller may see it (else 404)."""
        return self.get_object()

    def record_model(self) -> type[BaseRecord]:
        return type(self).queryset.model  # type: ignore[attr-defined]

    def input(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        """The request body checked by `serializer_class` (400 with field errors otherwise)."""
        return validated(self, serializer_class)

    def ensure_staff(self) -> None:
        """403 unless the caller works this record type. The service checks again; asking
        first answers 403 before any input error."""
        kernel.ensure_can_work(self.request.user, model=self.record_model())

    def detail_response(self, record: BaseRecord, code: int = status.HTTP_200_OK, **kwargs):
        """The answer of a write: the record as its detail serializer shows it."""
        raise missing_hook(self, "detail_response")

    def take_answer(self, serializer_class: type[serializers.Serializer]) -> Response:
        """ "Assign to me" with the version the caller saw (`take_record`)."""
        record = self.action_record()
        self.ensure_staff()
        data = self.input(serializer_class)
        self.take_record(record, version=data.get("version"))
        return self.detail_response(record)

    def take_record(self, record: BaseRecord, *, version: int | None) -> None:
        raise missing_hook(self, "take_record")


class ReplicaListMixin:
    """The list action reads from the read replica when one is configured (servicedesk/replicas.py):
    a page of many rows that may be a moment old. Reading one record, and every write, stays on
    the primary."""

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with replica_reads():
            return super().list(request, *args, **kwargs)  # type: ignore[misc]


class RecordConversationMixin(RecordViewSetMixin):
    """`comments/` (GET the ones you may see, POST a reply or a work note) and `timeline/`."""

    def write_comment(self, record: BaseRecord, **data: Any) -> Comment:
        """The record type's comment service (`kernel.record_comment` behind a thin wrapper)."""
        raise missing_hook(self, "write_comment")

    @extend_schema(
        methods=["GET"],
        summary="Comments you may see, oldest first",
        description="Agents see internal work notes; requesters see public replies only.",
        responses=responses(CommentSerializer(many=True), without=(400, 403, 409)),
    )
    @extend_schema(
        methods=["POST"],
        summary="Reply or add a work note",
        description="End users' comments are always public replies.",
        request=CommentCreateSerializer,
        responses=responses(CommentSerializer, 201),
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def comments(self, request, number=None):
        record = self.action_record()
        context = self.get_serializer_context()
        if request.method == "POST":
            comment = self.write_comment(record, **self.input(CommentCreateSerializer))
            return Response(
                CommentSerializer(comment, context=context).data, status=status.HTTP_201_CREATED
            )
        entries = record_timeline(record=record, user=request.user)
        comments = [entry.item for entry in entries if entry.kind == "comment"]
        return Response(CommentSerializer(comments, many=True, context=context).data)

    @extend_schema(
        summary="The merged timeline: changes, comments and files, oldest first",
        responses=responses(TimelineEntrySerializer(many=True), without=(400, 403, 409)),
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def timeline(self, request, number=None):
        record = self.action_record()
        entries = record_timeline(record=record, user=request.user)
        return Response(
            TimelineEntrySerializer(entries, many=True, context=self.get_serializer_context()).data
        )


class RecordAttachmentsMixin(RecordViewSetMixin):
    """`attachments/`: GET the files you may see (those on comments too), POST one."""

    def write_attachment(self, record: BaseRecord, **data: Any) -> Attachment:
        """The record type's file service (`kernel.record_attach` behind a thin wrapper)."""
        raise missing_hook(self, "write_attachment")

    @extend_schema(
        methods=["GET"],
        summary="Files you may see, oldest first (including those on comments)",
        responses=responses(AttachmentSerializer(many=True), without=(400, 403, 409)),
    )
    @extend_schema(
        methods=["POST"],
        summary="Attach a file",
        description="multipart/form-data with `file`; size and type limits give 400 `errors.file`.",
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses=responses(AttachmentSerializer, 201, without=(409,)),
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filter_backends=[],
        pagination_class=None,
        parser_classes=[MultiPartParser, FormParser],
    )
    def attachments(self, request, number=None):
        record = self.action_record()
        context = self.get_serializer_context()
        if request.method == "POST":
            attachment = self.write_attachment(record, **self.input(AttachmentUploadSerializer))
            return Response(
                AttachmentSerializer(attachment, context=context).data,
                status=status.HTTP_201_CREATED,
            )
        files = []
        for entry in record_timeline(record=record, user=request.user):
            if entry.kind == "attachment":
                files.append(entry.item)
            elif entry.kind == "comment":
                files.extend(entry.item.files)
        return Response(AttachmentSerializer(files, many=True, context=context).data)
