"""The reference-data API: one generic viewset for every registered reference kind
(`servicedesk.reference`), each kind giving only its serializer. Reads are for staff (the agent
workspace permission), writes for whoever holds the kind's write permission (administrators);
every write is `kernel.reference_put`.

- `GET /api/v1/reference/<kind>/?name=...` or `?source=servicenow&external_id=...`: look-ups;
- `POST`, `PATCH /{id}/`: create, update (an optional `source` + `external_id` pair is kept);
- `POST bulk/` `[{...}, ...]`: create or update each row (found by external id, else by name),
  all or nothing: a 400 whose `errors` are keyed by the row's index.

The kernel's own kinds (people, organisations, departments, support groups) are here; apps
add theirs (`incidents.api.reference`, `catalogue.api.reference`).
"""

from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Department, Organisation, SupportGroup, User
from servicedesk import services as kernel
from servicedesk.api.views import responses
from servicedesk.converters import ID_PATTERN
from servicedesk.reference import ReferenceKind, reference_kind

READ_PERMISSION = "accounts.use_agent_workspace"
BULK_MAX_ROWS = 1000


class ReferenceSerializer(serializers.ModelSerializer):
    """A kind's fields plus the optional external id it is known by elsewhere."""

    # DRF takes declared fields off the class, so this never shadows Field.source at run time.
    source = serializers.SlugField(max_length=40, write_only=True, required=False)  # type: ignore[assignment]
    external_id = serializers.CharField(max_length=200, write_only=True, required=False)

    def validate(self, attrs):
        if bool(attrs.get("source")) != bool(attrs.get("external_id")):
            raise serializers.ValidationError(
                {"external_id": ["Give both source and external_id, or neither."]}
            )
        return attrs


class ReferenceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """A registered reference kind's rows (set `kind_key` and `serializer_class`)."""

    kind_key: ClassVar[str]
    prefetch: ClassVar[tuple[str, ...]] = ()
    lookup_value_regex = ID_PATTERN
    ordering = ("id",)
    query_parameters = ("name", "source", "external_id")
    http_method_names = ["get", "post", "patch", "head", "options"]

    @property
    def kind(self) -> ReferenceKind:
        return reference_kind(self.kind_key)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not request.user.has_perm(READ_PERMISSION):
            raise exceptions.PermissionDenied("Reference data is for staff.")

    def get_queryset(self):
        rows = self.kind.model_class._default_manager.prefetch_related(*self.prefetch)
        params = self.request.query_params
        if params.get("external_id"):
            found = kernel.reference_by_external_id(
                kind=self.kind, source=params.get("source", ""), value=params["external_id"]
            )
            return rows.filter(pk=found.pk if found else None)
        if params.get("name"):
            found = kernel.reference_by_name(kind=self.kind, name=params["name"])
            return rows.filter(pk=found.pk if found else None)
        return rows

    def _put(self, data: dict[str, Any], instance: models.Model | None) -> models.Model:
        data = dict(data)
        source, external_id = data.pop("source", ""), data.pop("external_id", "")
        many = {
            name: data.pop(name)
            for name in list(data)
            if self.kind.model_class._meta.get_field(name).many_to_many
        }
        try:
            return kernel.reference_put(
                kind=self.kind, actor=self.request.user, fields=data, instance=instance,
                many=many, source=source, external_id=external_id,
            )  # fmt: skip
        except PermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from error

    def perform_create(self, serializer):
        serializer.instance = self._put(serializer.validated_data, None)

    def perform_update(self, serializer):
        serializer.instance = self._put(serializer.validated_data, serializer.instance)

    def _existing(self, item: Any) -> models.Model | None:
        if not isinstance(item, dict):
            return None
        if item.get("source") and item.get("external_id"):
            found = kernel.reference_by_external_id(
                kind=self.kind, source=str(item["source"]), value=str(item["external_id"])
            )
            if found is not None:
                return found
        for name in self.kind.name_fields:
            if isinstance(item.get(name), str):
                rows = self.kind.model_class._default_manager.filter(
                    **{f"{name}__iexact": item[name]}
                )
                if self.kind.parent_field:
                    rows = rows.filter(**{self.kind.parent_field: item.get(self.kind.parent_field)})
                if (found := rows.first()) is not None:
                    return found
        return None

    @extend_schema(
        summary="Create or update many rows (all or nothing)",
        request=serializers.ListSerializer(child=serializers.DictField()),
        responses=responses(
            inline_serializer(
                "BulkAnswer",
                {"created": serializers.IntegerField(), "updated": serializers.IntegerField()},
            ),
            without=(404, 409),
        ),
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        items = request.data
        if not isinstance(items, list) or not 1 <= len(items) <= BULK_MAX_ROWS:
            raise exceptions.ValidationError(
                {"non_field_errors": [f"Send a list of 1 to {BULK_MAX_ROWS} rows."]}
            )
        errors: dict[str, Any] = {}
        created = updated = 0
        with transaction.atomic():
            for index, item in enumerate(items):
                instance = self._existing(item)
                serializer = self.get_serializer(instance, data=item, partial=instance is not None)
                if not serializer.is_valid():
                    errors[str(index)] = serializer.errors
                    continue
                try:
                    with transaction.atomic():
                        self._put(serializer.validated_data, instance)
                except DjangoValidationError as error:
                    errors[str(index)] = getattr(error, "message_dict", {"": error.messages})
                    continue
                created, updated = created + (instance is None), updated + (instance is not None)
            if errors:
                transaction.set_rollback(True)
        if errors:
            raise exceptions.ValidationError(errors)
        return Response({"created": created, "updated": updated})


# --- The kernel's kinds: people and teams -------------------------------------------------------


class OrganisationSerializer(ReferenceSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "code", "is_active", "source", "external_id"]


class DepartmentSerializer(ReferenceSerializer):
    class Meta:
        model = Department
        fields = ["id", "organisation", "name", "manager", "source", "external_id"]


class UserSerializer(ReferenceSerializer):
    class Meta:
        model = User
        fields = [
            "id", "email", "full_name", "phone", "job_title", "organisation", "department",
            "manager", "language", "time_zone", "is_active", "source", "external_id",
        ]  # fmt: skip


class SupportGroupSerializer(ReferenceSerializer):
    members = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=User.objects.filter(is_active=True)
    )

    class Meta:
        model = SupportGroup
        fields = [
            "id", "name", "description", "email", "lead", "members", "is_active",
            "source", "external_id",
        ]  # fmt: skip

    def validate(self, attrs):
        attrs = super().validate(attrs)
        lead = attrs.get("lead")
        if lead is not None and "members" in attrs and lead not in attrs["members"]:
            attrs["members"] = [*attrs["members"], lead]  # a lead is always a member
        return attrs


def reference_viewset(
    kind_key: str, serializer_class: type[ReferenceSerializer], *, prefetch: tuple[str, ...] = ()
) -> type[ReferenceViewSet]:
    """The viewset of one reference kind: its rows through its serializer."""
    model: type[models.Model] = serializer_class.Meta.model
    return type(
        f"{model.__name__}ReferenceViewSet",
        (ReferenceViewSet,),
        {
            "kind_key": kind_key,
            "queryset": model._default_manager.none(),
            "serializer_class": serializer_class,
            "prefetch": prefetch,
            "__doc__": f"Reference data: {model._meta.verbose_name_plural}.",
        },
    )


OrganisationViewSet = reference_viewset("organisation", OrganisationSerializer)
DepartmentViewSet = reference_viewset("department", DepartmentSerializer)
UserViewSet = reference_viewset("user", UserSerializer)
SupportGroupViewSet = reference_viewset("group", SupportGroupSerializer, prefetch=("members",))
