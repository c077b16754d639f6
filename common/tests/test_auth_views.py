"""The DRF side: `JWTAuthentication`, `ServiceAuthentication` and the permissions."""

import pytest
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from shop_common.auth import JWTAuthentication, ServiceAuthentication, TokenUser
from shop_common.log import user_id_var
from shop_common.permissions import HasServiceScope, IsStaff, IsStaffOrReadOnly
from shop_common.scopes import ServiceScope
from shop_testing.tokens import make_access_token, make_service_token

pytestmark = pytest.mark.urls(__name__)


class WhoAmI(APIView):
    permission_classes = (IsAuthenticated,)

    def get(self, request: Request) -> Response:
        return Response({"user_id": request.user.id, "is_staff": request.user.is_staff})


class StaffOnly(APIView):
    permission_classes = (IsStaff,)

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class StaffWrites(StaffOnly):
    permission_classes = (IsStaffOrReadOnly,)

    def post(self, request: Request) -> Response:
        return Response({"ok": True}, status=201)


class Internal(APIView):
    authentication_classes = (ServiceAuthentication,)
    permission_classes = (HasServiceScope,)
    required_scope = ServiceScope.RESERVATIONS

    def get(self, request: Request) -> Response:
        return Response({"service": request.user.name})


urlpatterns = [
    path("whoami/", WhoAmI.as_view()),
    path("staff-only/", StaffOnly.as_view()),
    path("staff-writes/", StaffWrites.as_view()),
    path("internal/", Internal.as_view()),
]


@pytest.fixture
def api():
    return APIClient()


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_a_valid_access_token_signs_the_user_in(api):
    response = api.get("/whoami/", **bearer(make_access_token(7, is_staff=True)))

    assert response.status_code == 200
    assert response.json() == {"user_id": 7, "is_staff": True}


def test_no_header_is_anonymous_and_gets_401_with_a_bearer_challenge(api):
    response = api.get("/whoami/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer ", "Bearer a b", "Bearer not-a-jwt", "bearer x.y.z"]
)
def test_a_bad_bearer_header_is_a_json_401_with_a_detail(api, header):
    response = api.get("/whoami/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"]


def test_an_expired_token_is_a_401_that_says_so(api):
    response = api.get("/whoami/", **bearer(make_access_token(7, exp=1_000_000_000)))

    assert response.status_code == 401
    assert response.json() == {"detail": "Token has expired."}


def test_authentication_returns_a_token_user_and_sets_the_log_user_id(rf):
    request = rf.get("/", HTTP_AUTHORIZATION=f"Bearer {make_access_token(42)}")

    user, claims = JWTAuthentication().authenticate(Request(request))

    assert isinstance(user, TokenUser)
    assert (user.id, user.pk, user.is_staff) == (42, 42, False)
    assert user.is_authenticated
    assert not user.is_anonymous
    assert claims["user_id"] == 42
    assert user_id_var.get() == 42
    user_id_var.set(None)


def test_a_customer_is_forbidden_a_staff_only_view(api):
    assert api.get("/staff-only/", **bearer(make_access_token(7))).status_code == 403


def test_staff_may_use_a_staff_only_view(api):
    assert api.get("/staff-only/", **bearer(make_access_token(7, is_staff=True))).status_code == 200


def test_anyone_may_read_but_only_staff_may_write(api):
    assert api.get("/staff-writes/").status_code == 200
    assert api.post("/staff-writes/").status_code == 401
    assert api.post("/staff-writes/", **bearer(make_access_token(7))).status_code == 403
    staff = bearer(make_access_token(7, is_staff=True))
    assert api.post("/staff-writes/", **staff).status_code == 201


def test_a_service_token_with_the_views_scope_opens_an_internal_view(api):
    token = make_service_token("order_svc", "other.scope", ServiceScope.RESERVATIONS)

    response = api.get("/internal/", **bearer(token))

    assert response.status_code == 200
    assert response.json() == {"service": "order_svc"}


@pytest.mark.parametrize("scopes", [(), ("other.scope",), ("inventory",)])
def test_a_service_token_without_the_views_scope_gets_403(api, scopes):
    response = api.get("/internal/", **bearer(make_service_token("payment_svc", *scopes)))

    assert response.status_code == 403
    assert response.json()["detail"] == (
        "service payment_svc may not call this: it needs the 'inventory.reservations' scope."
    )


def test_a_customer_or_staff_token_never_opens_an_internal_view(api):
    for token in (make_access_token(7), make_access_token(7, is_staff=True)):
        response = api.get("/internal/", **bearer(token))

        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_service_token_is_not_a_user_on_public_views(api):
    response = api.get("/whoami/", **bearer(make_service_token("order_svc")))

    assert response.status_code == 401


def test_an_internal_view_without_a_token_is_401(api):
    assert api.get("/internal/").status_code == 401
