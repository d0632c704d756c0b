"""Knowledge API shapes: a read serializer and one input serializer per write."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Organisation
from knowledge.choices import ARTICLE_WORKFLOW, Audience
from knowledge.models import Article, ArticleVersion
from knowledge.text import render_markdown
from servicedesk import registry
from servicedesk.api.serializers import (
    NamedRefSerializer,
    PersonRefSerializer,
    StrictInputMixin,
    VersionedActionSerializer,
)


class ArticleListSerializer(serializers.ModelSerializer):
    author = PersonRefSerializer(read_only=True)

    class Meta:
        model = Article
        fields = ["id", "title", "summary", "status", "audience", "organisation", "service",
                  "author", "source_number", "version", "views", "helpful", "not_helpful",
                  "published_at", "review_by", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


class ArticleSerializer(ArticleListSerializer):
    body_html = serializers.SerializerMethodField()
    service = NamedRefSerializer(read_only=True)

    class Meta(ArticleListSerializer.Meta):
        fields = [*ArticleListSerializer.Meta.fields, "body", "keywords", "body_html"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_body_html(self, article) -> str:
        """The text rendered from Markdown and sanitised, as the portal shows it."""
        return render_markdown(article.body)


class ArticleInputSerializer(StrictInputMixin, serializers.Serializer):
    """A new article, or an edit (every field optional then, with the `version` you edited)."""

    HINTS = {**StrictInputMixin.HINTS, "status": "Change the status with transition/."}

    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=300, required=False, allow_blank=True)
    body = serializers.CharField()
    keywords = serializers.CharField(max_length=300, required=False, allow_blank=True)
    service = serializers.PrimaryKeyRelatedField(
        queryset=registry.shared_model("service").objects.all(), required=False, allow_null=True
    )
    audience = serializers.ChoiceField(choices=Audience.choices, required=False)
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.filter(is_active=True), required=False, allow_null=True
    )
    source = serializers.CharField(
        max_length=32, required=False, allow_blank=True,
        help_text="On creation: the number of a resolved ticket or a known error it is written from.",
    )  # fmt: skip
    version = serializers.IntegerField(min_value=1, required=False)


class ArticleTransitionSerializer(VersionedActionSerializer):
    to = serializers.ChoiceField(choices=[(s, s) for s in ARTICLE_WORKFLOW.states])
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ArticleVoteSerializer(StrictInputMixin, serializers.Serializer):
    helpful = serializers.BooleanField()


class ArticleVersionSerializer(serializers.ModelSerializer):
    edited_by = PersonRefSerializer(read_only=True)

    class Meta:
        model = ArticleVersion
        fields = ["number", "title", "summary", "body", "keywords", "edited_by", "created_at"]
        read_only_fields = fields
