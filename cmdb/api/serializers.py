"""CMDB API shapes: a read serializer per model and explicit input serializers for writes."""

from rest_framework import serializers

from accounts.models import SupportGroup
from cmdb.choices import Criticality, Direction, Environment, LifecycleStatus, RelationshipType
from cmdb.graph import MAX_DEPTH, default_depth
from cmdb.models import CIClass, ConfigurationItem, Relationship
from servicedesk import registry


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CIClassSerializer(serializers.ModelSerializer):
    class Meta:
        model = CIClass
        fields = ["id", "code", "name", "is_business_service"]


class ConfigurationItemSerializer(serializers.ModelSerializer):
    ci_class = CIClassSerializer(read_only=True)
    location = RefSerializer(read_only=True, allow_null=True)
    owner_group = RefSerializer(read_only=True, allow_null=True)
    support_group = RefSerializer(read_only=True, allow_null=True)
    service = RefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ConfigurationItem
        fields = ["id", "name", "ci_class", "description", "status", "criticality", "environment",
                  "location", "owner_group", "support_group", "service", "attributes",
                  "version", "created_at", "updated_at"]  # fmt: skip


class ConfigurationItemInputSerializer(serializers.Serializer):
    """Shapes only; cmdb.services validates the rules and the typed attributes."""

    name = serializers.CharField(max_length=200)
    ci_class = serializers.SlugRelatedField(
        slug_field="code", queryset=CIClass.objects.filter(is_active=True)
    )
    description = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=LifecycleStatus.choices, required=False)
    criticality = serializers.ChoiceField(choices=Criticality.choices, required=False)
    environment = serializers.ChoiceField(choices=Environment.choices, required=False)
    location = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), required=False, allow_null=True
    )
    owner_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.all(), required=False, allow_null=True
    )
    support_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.all(), required=False, allow_null=True
    )
    service = serializers.PrimaryKeyRelatedField(
        queryset=registry.shared_model("service").objects.all(), required=False, allow_null=True
    )
    attributes = serializers.DictField(required=False)
    version = serializers.IntegerField(required=False, write_only=True)


class RelationshipSerializer(serializers.ModelSerializer):
    source = RefSerializer(read_only=True)
    target = RefSerializer(read_only=True)

    class Meta:
        model = Relationship
        fields = ["id", "source", "type", "target", "created_at"]


class RelationshipInputSerializer(serializers.Serializer):
    source = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all())
    type = serializers.ChoiceField(choices=RelationshipType.choices)
    target = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all())


class ImpactQuerySerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.DOWNSTREAM)
    depth = serializers.IntegerField(min_value=1, max_value=MAX_DEPTH, default=default_depth)
