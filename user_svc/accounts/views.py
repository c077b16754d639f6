"""user_svc's HTTP API: parse, call one service or selector, answer."""

from django.conf import settings
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.selectors import get_active_user
from accounts.serializers import (
    LoginSerializer,
    PasswordChangeSerializer,
    ProfileSerializer,
    RefreshSerializer,
    RegistrationSerializer,
    ServiceTokenRequestSerializer,
    TokenPairSerializer,
)
from shop_common.jwt_keys import jwks


class PublicView(APIView):
    """Open to anyone. The Authorization header is not read: a stale access token sent
    along must not stop someone from registering, signing in or refreshing."""

    authentication_classes = ()
    permission_classes = (AllowAny,)


class SignedInView(APIView):
    permission_classes = (IsAuthenticated,)


class RegisterView(PublicView):
    def post(self, request: Request) -> Response:
        serializer = RegistrationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.register_user(**serializer.validated_data)
        return Response(RegistrationSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenObtainView(PublicView):
    def post(self, request: Request) -> Response:
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.log_in(request=request, **serializer.validated_data)
        return Response(TokenPairSerializer(pair).data)


class TokenRefreshView(PublicView):
    def post(self, request: Request) -> Response:
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.rotate_refresh_token(refresh=serializer.validated_data["refresh"])
        return Response(TokenPairSerializer(pair).data)


class LogoutView(SignedInView):
    def post(self, request: Request) -> Response:
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.log_out(user_id=request.user.id, refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class JWKSView(PublicView):
    def get(self, request: Request) -> Response:
        response = Response(jwks(settings.JWT_PUBLIC_KEYS))
        # Verifiers may keep the keys a while; a new key is published before it signs.
        response["Cache-Control"] = "public, max-age=300"
        return response


class MeView(SignedInView):
    def get(self, request: Request) -> Response:
        return Response(ProfileSerializer(get_active_user(request.user.id)).data)

    def patch(self, request: Request) -> Response:
        user = get_active_user(request.user.id)
        serializer = ProfileSerializer(user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.update_profile(user=user, **serializer.validated_data)
        return Response(ProfileSerializer(user).data)


class PasswordChangeView(SignedInView):
    def post(self, request: Request) -> Response:
        user = get_active_user(request.user.id)
        serializer = PasswordChangeSerializer(data=request.data, context={"user": user})
        serializer.is_valid(raise_exception=True)
        services.change_password(user=user, **serializer.validated_data)
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
