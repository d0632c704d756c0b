"""GET /api/v1/search/?q=…: the search across everything, as the page (search/selectors.py).

Query parameters: `q` (required), `kind`, `status`, `created_from`, `created_to` (the page's
filters); any other is a 400 naming it, as is a bad value (in the house error shape)."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from search import selectors
from search.forms import SearchForm
from servicedesk.api.views import responses

PARAMETERS = ("q", "kind", "status", "created_from", "created_to")

HIT = inline_serializer(
    "SearchHit",
    {
        "kind": serializers.CharField(),
        "number": serializers.CharField(),
        "title": serializers.CharField(),
        "status": serializers.CharField(),
        "url": serializers.CharField(),
        "where": serializers.CharField(),
        "snippet": serializers.CharField(help_text="HTML: the text, the words in <mark>"),
        "rank": serializers.FloatField(),
        "created_at": serializers.DateTimeField(allow_null=True),
    },
)


class SearchView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter(name, OpenApiTypes.STR, required=name == "q") for name in PARAMETERS
        ],  # fmt: skip
        responses=responses(
            inline_serializer(
                "SearchResults",
                {
                    "results": HIT.__class__(many=True),
                    "more": serializers.BooleanField(),
                    "exact": serializers.BooleanField(),
                },  # fmt: skip
            ),
            without=(404, 409, 413),
        ),
    )
    def get(self, request):
        unknown = sorted(set(request.query_params) - set(PARAMETERS))
        if unknown:
            raise ValidationError({name: [_("Unknown query parameter.")] for name in unknown})
        form = SearchForm(request.query_params, user=request.user)
        if not form.is_valid():
            raise ValidationError(
                {
                    field: [error["message"] for error in errors]
                    for field, errors in form.errors.get_json_data().items()
                }
            )
        if not form.cleaned_data["q"].strip():
            raise ValidationError({"q": [_("Type something to search for.")]})
        found = selectors.search(
            user=request.user, text=form.cleaned_data["q"], filters=form.filters()
        )
        return Response(
            {
                "results": [
                    {
                        "kind": hit.kind,
                        "number": hit.number,
                        "title": hit.title,
                        "status": hit.status,
                        "url": request.build_absolute_uri(hit.url),
                        "where": str(hit.where),
                        "snippet": str(hit.snippet),
                        "rank": round(hit.rank, 4),
                        "created_at": hit.created_at,
                    }
                    for hit in found.hits
                ],
                "more": found.more,
                "exact": found.exact,
            }
        )
