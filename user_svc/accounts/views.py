"""user_svc's HTTP API: parse, call one service or selector, answer.

Each operation's `extend_schema` tells drf-spectacular the shapes these APIViews cannot
show it; the answers every operation shares (400 for a body, 401/403 for a token) come
from `shop_common.openapi.add_error_answers` unless an operation names its own.
"""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.selectors import get_active_user, get_staff_identity
from accounts.serializers import (
    LoginSerializer,
    PasswordChangeSerializer,
    ProfileSerializer,
    RefreshSerializer,
    RegistrationSerializer,
    ServiceTokenRequestSerializer,
    StaffIdentitySerializer,
    TokenPairSerializer,
)
from accounts.signing import jwks
from shop_common.auth import ServiceAuthentication
from shop_common.openapi import error_answer
from shop_common.permissions import HasServiceScope
from shop_common.scopes import ServiceScope

# Signing in and changing the password count failed attempts per email (accounts.throttling).
LOGIN_THROTTLED = error_answer(
    "Too many failed attempts for this email; try again after Retry-After."
)
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[status.HTTP_429_TOO_MANY_REQUESTS],
    description="Seconds until the email's failed attempts are forgotten.",
)
PROFILE = OpenApiResponse(ProfileSerializer, description="The signed-in user's profile.")
TOKEN_PAIR = OpenApiResponse(
    TokenPairSerializer, description="A new access token and a new single-use refresh token."
)
JWKS = inline_serializer(
    "JWKS",
    fields={
        "keys": serializers.ListField(
            child=inline_serializer(
                "JWK",
                fields={
                    name: serializers.CharField() for name in ("kty", "use", "alg", "kid", "n", "e")
                },
            )
        )
    },
)


class PublicView(APIView):
    """Open to anyone. The Authorization header is not read: a stale access token sent
    along must not stop someone from registering, signing in or refreshing."""

    authentication_classes = ()
    permission_classes = (AllowAny,)


class SignedInView(APIView):
    permission_classes = (IsAuthenticated,)


class RegisterView(PublicView):
    @extend_schema(
        summary="Create an account",
        request=RegistrationSerializer,
        responses={
            201: OpenApiResponse(RegistrationSerializer, description="The new account."),
            400: error_answer(
                "A used email (in any letter case), an invalid email or a weak password."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = RegistrationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.register_user(**serializer.validated_data)
        return Response(RegistrationSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenObtainView(PublicView):
    @extend_schema(
        summary="Sign in",
        request=LoginSerializer,
        responses={
            200: TOKEN_PAIR,
            401: error_answer(
                "Wrong credentials: the same answer whether the email exists or not."
            ),
            429: LOGIN_THROTTLED,
        },
        parameters=[RETRY_AFTER],
    )
    def post(self, request: Request) -> Response:
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.log_in(request=request, **serializer.validated_data)
        return Response(TokenPairSerializer(pair).data)


class TokenRefreshView(PublicView):
    @extend_schema(
        summary="Swap a refresh token for a new pair",
        request=RefreshSerializer,
        responses={
            200: TOKEN_PAIR,
            401: error_answer("The refresh token is invalid, expired, already used or revoked."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.rotate_refresh_token(refresh=serializer.validated_data["refresh"])
        return Response(TokenPairSerializer(pair).data)


class LogoutView(SignedInView):
    @extend_schema(
        summary="Revoke a refresh token",
        request=RefreshSerializer,
        responses={
            204: None,
            401: error_answer(
                "Missing, expired or invalid access token, or an invalid refresh token."
            ),
            403: error_answer("The refresh token belongs to another user."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.log_out(user_id=request.user.id, refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class JWKSView(PublicView):
    """Verifiers may keep the keys as long as `Cache-Control` allows: a new key is published
    here before it signs."""

    @extend_schema(
        summary="The public keys that verify access tokens",
        responses=OpenApiResponse(JWKS, description="A JSON Web Key Set (RFC 7517)."),
        parameters=[
            OpenApiParameter(
                "Cache-Control",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=True,
                description="`public, max-age=300`",
            )
        ],
    )
    def get(self, request: Request) -> Response:
        response = Response(jwks(settings.JWT_PUBLIC_KEYS))
        response["Cache-Control"] = "public, max-age=300"
        return response


class MeView(SignedInView):
    @extend_schema(summary="The signed-in user's profile", responses=PROFILE)
    def get(self, request: Request) -> Response:
        return Response(ProfileSerializer(get_active_user(request.user.id)).data)

    @extend_schema(
        summary="Change the signed-in user's profile",
        request=ProfileSerializer,
        responses={
            200: PROFILE,
            400: error_answer("An email another user has, or a field that cannot be changed here."),
        },
    )
    def patch(self, request: Request) -> Response:
        user = get_active_user(request.user.id)
        serializer = ProfileSerializer(user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.update_profile(user=user, **serializer.validated_data)
        return Response(ProfileSerializer(user).data)


class PasswordChangeView(SignedInView):
    @extend_schema(
        summary="Change the signed-in user's password",
        description="Every refresh token the user holds is revoked.",
        request=PasswordChangeSerializer,
        responses={
            204: None,
            400: error_answer("A wrong old password or a weak new one."),
            429: LOGIN_THROTTLED,
        },
        parameters=[RETRY_AFTER],
    )
    def post(self, request: Request) -> Response:
        user = get_active_user(request.user.id)
        serializer = PasswordChangeSerializer(data=request.data, context={"user": user})
        serializer.is_valid(raise_exception=True)
        services.change_password(request=request, user=user, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ServiceTokenView(PublicView):
    """For other services only (the gateway never routes /internal/): a client id and
    secret buy a short-lived service token."""

    def post(self, request: Request) -> Response:
        serializer = ServiceTokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        minted = services.issue_service_token(**serializer.validated_data)
        expires_in = int(settings.JWT_SERVICE_TOKEN_LIFETIME.total_seconds())
        return Response({"access": minted.token, "expires_in": expires_in})


class StaffDirectoryView(APIView):
    """For other services' admins (`shop_common.staff`), with their service token: they
    check staff passwords and status here and keep no copy of either."""

    authentication_classes = (ServiceAuthentication,)
    permission_classes = (HasServiceScope,)
    required_scope = ServiceScope.STAFF_DIRECTORY


class StaffSignInView(StaffDirectoryView):
    """The admin's login form, passed on: the caller names its browser's address in
    X-Forwarded-For, so failed sign-ins count per email and address like the API's."""

    def post(self, request: Request) -> Response:
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.sign_in_staff(request=request, **serializer.validated_data)
        return Response(StaffIdentitySerializer(user).data)


class StaffIdentityView(StaffDirectoryView):
    """A signed-in staff member's account as it is now, for the admin's periodic re-check."""

    def get(self, request: Request, user_id: int) -> Response:
        return Response(StaffIdentitySerializer(get_staff_identity(user_id)).data)
