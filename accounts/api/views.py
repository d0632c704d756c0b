from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.roles import user_roles


class TokenInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    organisation = serializers.CharField(allow_null=True)
    language = serializers.CharField()
    time_zone = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())


class TokenView(APIView):
    """Exchange an e-mail address and password for an API token (failed attempts are throttled)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=TokenInputSerializer,
        responses={200: inline_serializer("Token", {"token": serializers.CharField()})},
        examples=[
            OpenApiExample("Agent", value={"email": "agent@example.com", "password": "s3cret-pass"})
        ],
        auth=[],
    )
    def post(self, request):
        data = TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=data.validated_data["email"].lower(),
            password=data.validated_data["password"],
        )
        if user is None:
            # When django-axes locked the address its middleware turns this into a 429.
            return Response(
                {
                    "detail": _("That e-mail address and password do not match an account."),
                    "errors": {},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeView(APIView):
    """The signed-in person and their roles."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        return Response(
            MeSerializer(
                {
                    "id": user.pk,
                    "email": user.email,
                    "full_name": user.full_name,
                    "organisation": str(user.organisation) if user.organisation_id else None,
                    "language": user.language,
                    "time_zone": user.time_zone,
                    "roles": sorted(user_roles(user)),
                }
            ).data
        )
