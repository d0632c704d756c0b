"""The changes API: thin DRF views over `changes.services` (every write) and
`changes.selectors` (every read). A change the caller may not see is a 404 (end users see none).

Errors use the project's one shape (`servicedesk.api.exceptions`): 400 with field errors, 403
when the caller may not act, 409 for a refused status change or a stale version.
"""

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from changes import services
from changes.api import serializers as api
from changes.api.calendar import ChangeCalendarMixin
from changes.choices import ChangeStatus as S
from changes.filters import ChangeFilter
from changes.models import Change
from changes.selectors import LIST_RELATED, changes_visible_to
from servicedesk.api.filters import FilterBackend
from servicedesk.api.serializers import TransitionNoteSerializer, VersionedActionSerializer
from servicedesk.api.views import (
    RecordAttachmentsMixin,
    RecordConversationMixin,
    ReplicaListMixin,
    responses,
)
from servicedesk.exceptions import ApplicationError, StaleVersion

DETAIL_RELATED = (*LIST_RELATED, "template", "builder", "tester", "implementer", "reviewed_by")
DETAIL_PREFETCH = ("configuration_items", "services", "related_changes")


def _action_schema(summary, request, description=""):
    return extend_schema(
        summary=summary, description=description, request=request,
        responses=responses(api.ChangeDetailSerializer),
    )  # fmt: skip


@extend_schema_view(
    list=extend_schema(
        summary="List changes",
        description=(
            "The changes you may see, newest first, 50 a page (`page_size` up to 200). Follow "
            "`next`/`previous`; there is no total count. Filter by status, type, risk level, "
            "category, group, owner, affected CI, service and planned window."
        ),
        responses=responses(api.ChangeListSerializer(many=True), without=(403, 404, 409)),
    ),
    retrieve=extend_schema(
        summary="One change by number",
        responses=responses(api.ChangeDetailSerializer, without=(400, 403, 409)),
    ),
    create=extend_schema(
        summary="Raise a change",
        description=(
            "A normal or emergency change with its fields; with `template`, a standard change "
            "from that pre-approved template (its plans, CIs and services unless given)."
        ),
        request=api.ChangeCreateSerializer,
        responses=responses(api.ChangeDetailSerializer, 201, without=(404, 409)),
    ),
    partial_update=extend_schema(
        summary="Edit a change",
        description=(
            "Send the `version` you edited and only what changes. Once assessed only the "
            "planned window may change (409 otherwise). A stale version is a 409."
        ),
        request=api.ChangeUpdateSerializer,
        responses=responses(api.ChangeDetailSerializer),
    ),
)
class ChangeViewSet(
    ChangeCalendarMixin,
    RecordConversationMixin,
    RecordAttachmentsMixin,
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Changes: list, read, raise, edit, assess the risk, move through the workflow, review,
    assign, comment, attach; the timeline."""

    lookup_field = "number"
    lookup_value_regex = "[A-Za-z0-9]+"
    queryset = Change.objects.none()
    filter_backends = [FilterBackend, OrderingFilter]
    filterset_class = ChangeFilter
    ordering_fields = ["number", "created_at", "updated_at", "planned_start", "status"]
    ordering = ("-created_at", "-id")
    http_method_names = ["get", "post", "patch", "head", "options"]

    serializer_classes = {
        "list": api.ChangeListSerializer,
        "create": api.ChangeCreateSerializer,
        "partial_update": api.ChangeUpdateSerializer,
        "assign": api.ChangeAssignSerializer,
        "take": VersionedActionSerializer,
        "transition": api.ChangeTransitionSerializer,
        "risk": api.RiskSerializer,
        "review": api.ReviewSerializer,
        "submit": TransitionNoteSerializer,
        "schedule": TransitionNoteSerializer,
        "implement": TransitionNoteSerializer,
        "complete": TransitionNoteSerializer,
        "cancel": TransitionNoteSerializer,
    }

    def get_queryset(self):
        visible = changes_visible_to(self.request.user)
        if self.action == "list":
            return visible.select_related(*LIST_RELATED)
        return visible.select_related(*DETAIL_RELATED).prefetch_related(*DETAIL_PREFETCH)

    def get_serializer_class(self):
        return self.serializer_classes.get(self.action, api.ChangeDetailSerializer)

    def get_object(self):
        return get_object_or_404(self.get_queryset(), number=self.kwargs[self.lookup_field])

    def action_record(self) -> Change:
        return get_object_or_404(
            changes_visible_to(self.request.user).only(
                "id", "number", "status", "version", "support_group", "assignee"
            ),
            number=self.kwargs[self.lookup_field],
        )

    def detail_response(self, record, code=status.HTTP_200_OK, **kwargs) -> Response:
        change = self.get_queryset().get(pk=record.pk)
        data = api.ChangeDetailSerializer(change, context=self.get_serializer_context()).data
        return Response(data, status=code, **kwargs)

    def take_record(self, record, *, version):
        services.change_take(change_id=record.pk, actor=self.request.user, version=version)

    def write_comment(self, record, **data):
        return services.change_comment(change_id=record.pk, actor=self.request.user, **data)

    def write_attachment(self, record, **data):
        return services.change_attach(change_id=record.pk, actor=self.request.user, **data)

    def _relations(self, data: dict) -> dict:
        relations = {name: data.pop(name) for name in api.ChangeFieldsSerializer.RELATIONS
                     if name in data}  # fmt: skip
        if "related_changes" in relations:
            numbers = [n.strip().upper() for n in relations["related_changes"]]
            found = list(changes_visible_to(self.request.user).filter(number__in=numbers))
            missing = sorted(set(numbers) - {c.number for c in found})
            if missing:
                message = _("No change with the number %(numbers)s.") % {
                    "numbers": ", ".join(missing)
                }
                raise ApplicationError(message, errors={"related_changes": [message]})
            relations["related_changes"] = found
        return relations

    def create(self, request, *args, **kwargs):
        self.ensure_staff()
        fields = self.input(api.ChangeCreateSerializer)
        relations = self._relations(fields)
        template = fields.pop("template", None)
        with transaction.atomic():
            if template is not None:
                change = services.change_from_template(
                    actor=request.user, template=template, fields=fields,
                    configuration_items=relations.get("configuration_items"),
                    services=relations.get("services"),
                )  # fmt: skip
            else:
                change = services.change_create(
                    actor=request.user, fields=fields,
                    configuration_items=relations.get("configuration_items", ()),
                    services=relations.get("services", ()),
                    related_changes=relations.get("related_changes", ()),
                )  # fmt: skip
        location = reverse("change-detail", kwargs={"number": change.number})
        return self.detail_response(change, status.HTTP_201_CREATED, headers={"Location": location})

    def partial_update(self, request, *args, **kwargs):
        change = self.action_record()
        self.ensure_staff()
        changes = self.input(api.ChangeUpdateSerializer)
        version = changes.pop("version")
        relations = self._relations(changes)
        if not changes and not relations and change.version != version:
            raise StaleVersion()
        services.change_update(
            change_id=change.pk, actor=request.user, changes=changes, version=version,
            relations=relations,
        )  # fmt: skip
        return self.detail_response(change)

    @_action_schema("Assign to a group and optionally its owner in it", api.ChangeAssignSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, number=None):
        change = self.action_record()
        self.ensure_staff()
        data = self.input(api.ChangeAssignSerializer)
        services.change_assign(
            change_id=change.pk, actor=request.user, support_group=data["support_group"],
            assignee=data.get("assignee"), version=data.get("version"),
        )  # fmt: skip
        return self.detail_response(change)

    @_action_schema("Assign to me (the change owner)", VersionedActionSerializer)
    @action(detail=True, methods=["post"])
    def take(self, request, number=None):
        return self.take_answer(VersionedActionSerializer)

    @_action_schema(
        "Answer the risk questionnaire",
        api.RiskSerializer,
        "Every active question once (`answers`: {question id: answer id}); the score is the "
        "sum of the weights, the level the threshold it reaches. Before assessment only.",
    )
    @action(detail=True, methods=["post"])
    def risk(self, request, number=None):
        change = self.action_record()
        self.ensure_staff()
        data = self.input(api.RiskSerializer)
        answers = {}
        for key, value in data["answers"].items():
            if not str(key).isdigit():
                message = _("Answers are keyed by question id.")
                raise ApplicationError(message, errors={"answers": [message]})
            answers[int(key)] = value
        services.change_risk_assess(
            change_id=change.pk, actor=request.user, answers=answers, version=data.get("version")
        )
        return self.detail_response(change)

    @_action_schema(
        "Record the post-implementation review", api.ReviewSerializer,
        "In review only, by the change owner or a change manager.",
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def review(self, request, number=None):
        change = self.action_record()
        self.ensure_staff()
        data = self.input(api.ReviewSerializer)
        services.change_review(change_id=change.pk, actor=request.user, **data)
        return self.detail_response(change)

    def _move(self, target: str, serializer_class):
        change = self.action_record()
        self.ensure_staff()
        data = self.input(serializer_class)
        data.setdefault("target", target)
        services.change_transition(change_id=change.pk, actor=self.request.user, **data)
        return self.detail_response(change)

    @_action_schema(
        "Submit for assessment", TransitionNoteSerializer,
        "Needs both plans (and, for a normal change, the risk questionnaire); asks the "
        "authorisation its route names: a change manager, the CAB, or the emergency CAB.",
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def submit(self, request, number=None):
        return self._move(S.ASSESSED, TransitionNoteSerializer)

    @_action_schema("Schedule (authorised or standard, with a window)", TransitionNoteSerializer)
    @action(detail=True, methods=["post"])
    def schedule(self, request, number=None):
        return self._move(S.SCHEDULED, TransitionNoteSerializer)

    @_action_schema("Start implementing", TransitionNoteSerializer)
    @action(detail=True, methods=["post"])
    def implement(self, request, number=None):
        return self._move(S.IMPLEMENTING, TransitionNoteSerializer)

    @_action_schema("Implementation done: on to the review", TransitionNoteSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, number=None):
        return self._move(S.REVIEW, TransitionNoteSerializer)

    @_action_schema("Cancel (say why)", TransitionNoteSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        return self._move(S.CANCELLED, TransitionNoteSerializer)

    @_action_schema(
        "Move to any status the workflow allows", api.ChangeTransitionSerializer,
        "`allowed_transitions` lists the candidates; closing takes `outcome`.",
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def transition(self, request, number=None):
        return self._move("", api.ChangeTransitionSerializer)
