"""/api/v1/knowledge/articles/: the knowledge base over the same services as the pages.

Agents list every article (any status) and write; everyone else lists and reads only published
articles of their audience (any other is a 404) and votes. Errors are in the house shape."""

from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from knowledge import services
from knowledge.api import serializers as api
from knowledge.filters import ArticleFilterSet
from knowledge.selectors import article_versions, articles_visible_to, readable_by
from servicedesk.api.views import responses
from servicedesk.converters import ID_PATTERN


class ArticleViewSet(viewsets.ModelViewSet):
    http_method_names = ["get", "post", "put", "patch", "head", "options"]  # articles retire
    lookup_value_regex = ID_PATTERN  # a number too long for an id is a 404
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = ArticleFilterSet
    ordering = ("-updated_at", "-id")

    def get_queryset(self):
        user = self.request.user
        writer = user.has_perm("knowledge.add_article")
        rows = articles_visible_to(user) if writer else readable_by(user)
        return rows.select_related("author", "service").defer("search_vector")

    def get_serializer_class(self):
        return api.ArticleListSerializer if self.action == "list" else api.ArticleSerializer

    def _fields(self, data: dict) -> dict:
        return {k: v for k, v in data.items() if k not in {"version", "source"}}

    @extend_schema(
        request=api.ArticleInputSerializer, responses=responses(api.ArticleSerializer, 201)
    )
    def create(self, request, *args, **kwargs):
        services.ensure_can_write(request.user)
        data = api.ArticleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        source = None
        number = data.validated_data.get("source", "")
        if number:
            source = services.article_draft_from(actor=request.user, number=number)["source"]
        article = services.article_create(
            actor=request.user, source=source, **self._fields(data.validated_data)
        )
        return Response(api.ArticleSerializer(article).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=api.ArticleInputSerializer, responses=responses(api.ArticleSerializer))
    def update(self, request, *args, **kwargs):
        article = self.get_object()
        services.ensure_can_write(request.user)
        data = api.ArticleInputSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        if data.validated_data.get("source"):
            raise ValidationError({"source": ["An article's source is set when it is written."]})
        article = services.article_update(
            actor=request.user, article_id=article.pk,
            version=data.validated_data.get("version"), **self._fields(data.validated_data),
        )  # fmt: skip
        return Response(api.ArticleSerializer(self.get_queryset().get(pk=article.pk)).data)

    @extend_schema(
        request=api.ArticleTransitionSerializer, responses=responses(api.ArticleSerializer)
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Submit (in_review), publish, send back (draft, with a reason), retire (with a reason)."""
        article = self.get_object()
        data = api.ArticleTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        article = services.article_transition(
            actor=request.user, article_id=article.pk, to=data.validated_data["to"],
            version=data.validated_data.get("version"), reason=data.validated_data["reason"],
        )  # fmt: skip
        return Response(api.ArticleSerializer(self.get_queryset().get(pk=article.pk)).data)

    @extend_schema(request=api.ArticleVoteSerializer, responses=responses(api.ArticleSerializer))
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        """ "Was this helpful?": once per person; voting again replaces your answer."""
        article = self.get_object()
        data = api.ArticleVoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.article_vote(
                actor=request.user, article_id=article.pk, helpful=data.validated_data["helpful"]
            )
        except ObjectDoesNotExist:
            raise NotFound() from None
        return Response(api.ArticleSerializer(self.get_queryset().get(pk=article.pk)).data)

    @extend_schema(responses=responses(api.ArticleVersionSerializer(many=True)))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def versions(self, request, pk=None):
        """Every version of the article, newest first (staff who write articles only)."""
        article = self.get_object()
        if not request.user.has_perm("knowledge.add_article"):
            raise NotFound()
        return Response(api.ArticleVersionSerializer(article_versions(article), many=True).data)
