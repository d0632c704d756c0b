from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import mfa
from accounts.roles import user_roles
from accounts.tokens import token_create_for_sign_in


class TokenInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=32,
        help_text="The two-factor code (or a recovery code) of a person who has two-factor on.",
    )


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    organisation = serializers.CharField(allow_null=True)
    language = serializers.CharField()
    time_zone = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())


class TokenView(APIView):
    """Exchange an e-mail address and password (and the two-factor code of a person who has it
    on) for a new read-write personal access token that expires after API_TOKEN_SIGN_IN_DAYS
    (failed attempts are throttled). People make named, scoped tokens on their account page."""

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
        if mfa.two_factor_enabled(user):
            try:
                mfa.two_factor_verify(
                    user=user,
                    code=data.validated_data.get("otp", ""),
                    request=request._request,
                    sign_in=False,
                )
            except ValidationError as error:
                return Response(
                    {"detail": _("Two-factor code needed."), "errors": error.message_dict},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        elif mfa.two_factor_required(user):
            return Response(
                {
                    "detail": _(
                        "Your role requires two-factor sign-in: set it up on your account page first."
                    ),
                    "errors": {},
                },
                status=status.HTTP_403_FORBIDDEN,
            )
        return Response({"token": token_create_for_sign_in(user=user, request=request._request)})


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
