"""shop_common.staff: the admin signs staff in against user_svc, keeps a local row per
member without a password, and re-checks a session every STAFF_RECHECK_SECONDS.

user_svc is faked at the HTTP boundary here (`responses`); tests/test_staff_admin.py
signs in through real processes.
"""

import pytest
import requests
import responses
from django.contrib.auth.models import Group, User

from shop_common.service_table import SERVICES
from shop_common.staff.groups import ensure_group, grant_groups
from shop_common.staff.models import StaffAccount

USER_SVC = SERVICES["user_svc"].url
SIGN_IN = f"{USER_SVC}/internal/v1/staff/sign-in/"
LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "right-password-2026"
# What the login page says to someone the re-check signed out.
WITHDRAWN = "Your staff access was withdrawn"

pytestmark = pytest.mark.django_db


def identity(user_id=41, email="clerk@example.com", **flags):
    return {
        "id": user_id,
        "email": email,
        "first_name": "Cleo",
        "last_name": "Clerk",
        "is_active": True,
        "is_staff": True,
        "is_superuser": False,
        **flags,
    }


@pytest.fixture
def user_svc():
    """user_svc's service-token and staff endpoints, answered without a process."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.post(f"{USER_SVC}/internal/v1/service-token/", json={"access": "t", "expires_in": 300})
        yield fake


def account(fake, status=200, **fields):
    """user_svc's answer to a re-check of account 41."""
    body = identity(**fields) if status == 200 else {"detail": "No such user."}
    fake.upsert(responses.GET, f"{USER_SVC}/internal/v1/staff/41/", status=status, json=body)


def sign_in(client, email="clerk@example.com", password=PASSWORD):
    return client.post(LOGIN, {"username": email, "password": password})


@pytest.fixture
def signed_in(client, user_svc, settings):
    settings.STAFF_RECHECK_SECONDS = 0
    user_svc.post(SIGN_IN, json=identity())
    account(user_svc)
    assert sign_in(client).status_code == 302
    return client


def test_staff_sign_in_with_their_user_svc_account_and_no_local_password(client, user_svc):
    user_svc.post(SIGN_IN, json=identity())

    response = sign_in(client)

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    user = User.objects.get(staff_account__user_svc_id=41)
    assert (user.username, user.email, user.get_full_name()) == (
        "clerk@example.com",
        "clerk@example.com",
        "Cleo Clerk",
    )
    assert user.is_staff
    assert not user.is_superuser
    assert not user.has_usable_password()
    sent = user_svc.calls[-1].request
    assert sent.headers["Authorization"] == "Bearer t"
    assert sent.headers["X-Forwarded-For"] == "127.0.0.1"


def test_a_local_password_signs_nobody_in(client, user_svc):
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    user_svc.post(SIGN_IN, status=401, json={"detail": "No active account."})

    response = sign_in(client, "root", PASSWORD)

    assert response.status_code == 200
    assert "email and password of an active staff account" in response.content.decode()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"status": 429, "headers": {"Retry-After": "1800"}, "json": {}}, "Try again in 1800"),
        ({"body": requests.ConnectionError("refused")}, "cannot be checked right now"),
        ({"status": 500, "json": {}}, "cannot be checked right now"),
        ({"json": {"id": "41"}}, "cannot be checked right now"),
    ],
    ids=["throttled", "unreachable", "broken", "malformed"],
)
def test_the_login_page_says_why_user_svc_signed_nobody_in(client, user_svc, answer, message):
    user_svc.post(SIGN_IN, **answer)

    response = sign_in(client)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("flags", [{"is_staff": False}, {"is_active": False}])
def test_an_account_that_is_not_active_staff_is_refused(client, user_svc, flags):
    user_svc.post(SIGN_IN, json=identity(**flags))

    assert sign_in(client).status_code == 200
    assert "_auth_user_id" not in client.session


def test_what_staff_may_do_is_this_services_groups(client, user_svc):
    editors = ensure_group("Editors", app_labels=["auth"])
    grant_groups(email="Clerk@example.com", groups=[editors])
    user_svc.post(SIGN_IN, json=identity())

    sign_in(client)

    user = User.objects.get(staff_account__user_svc_id=41)
    assert list(user.groups.all()) == [editors]
    assert user.has_perm("auth.change_group")
    assert not user.has_perm("shop_staff.change_staffaccount")
    assert User.objects.count() == 1


def test_user_svc_superusers_are_superusers_of_every_admin(client, user_svc):
    user_svc.post(SIGN_IN, json=identity(is_superuser=True))

    sign_in(client)

    assert User.objects.get(staff_account__user_svc_id=41).is_superuser


def test_an_email_that_changed_hands_keeps_its_groups_with_its_old_account(client, user_svc):
    editors = Group.objects.create(name="Editors")
    user_svc.post(SIGN_IN, json=identity(user_id=41))
    sign_in(client)
    User.objects.get(staff_account__user_svc_id=41).groups.add(editors)
    client.logout()
    user_svc.replace(responses.POST, SIGN_IN, json=identity(user_id=42))

    sign_in(client)

    newcomer = User.objects.get(staff_account__user_svc_id=42)
    assert newcomer.username == "clerk@example.com"
    assert not newcomer.groups.exists()
    assert User.objects.get(staff_account__user_svc_id=41).groups.get() == editors


def test_a_session_is_served_without_asking_again_within_the_recheck_window(
    signed_in, user_svc, settings
):
    settings.STAFF_RECHECK_SECONDS = 3600
    asked = len(user_svc.calls)

    assert signed_in.get("/admin/").status_code == 200
    assert len(user_svc.calls) == asked


@pytest.mark.parametrize(
    "now",
    [
        {"is_active": False},
        {"is_staff": False},
        {"status": 404},
    ],
    ids=["deactivated", "demoted", "deleted"],
)
def test_a_deactivated_demoted_or_deleted_account_is_signed_out_at_its_next_request(
    signed_in, user_svc, now
):
    account(user_svc, **now)

    response = signed_in.get("/admin/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login/")
    assert "_auth_user_id" not in signed_in.session


@pytest.mark.parametrize(
    "now",
    [{"is_active": False}, {"is_staff": False}, {"status": 404}],
    ids=["deactivated", "demoted", "deleted"],
)
def test_the_login_page_says_staff_access_was_withdrawn_after_a_recheck(signed_in, user_svc, now):
    account(user_svc, **now)

    login_page = signed_in.get("/admin/", follow=True)

    assert login_page.request["PATH_INFO"] == "/admin/login/"
    assert WITHDRAWN in login_page.content.decode()
    # Said once: the next visit to the login page is a plain one.
    assert WITHDRAWN not in signed_in.get(LOGIN).content.decode()
    # Kept in this service's session, not in the `messages` cookie every admin on the
    # host would read.
    assert "messages" not in signed_in.cookies


def test_an_ordinary_logout_or_an_expired_session_says_nothing_of_withdrawn_access(
    signed_in, user_svc
):
    signed_in.post("/admin/logout/")
    after_logout = signed_in.get("/admin/", follow=True)
    assert after_logout.request["PATH_INFO"] == "/admin/login/"
    assert WITHDRAWN not in after_logout.content.decode()

    assert sign_in(signed_in).status_code == 302
    signed_in.session.flush()  # expired: the cookie names a session the store no longer has
    after_expiry = signed_in.get("/admin/", follow=True)
    assert after_expiry.request["PATH_INFO"] == "/admin/login/"
    assert WITHDRAWN not in after_expiry.content.decode()


def test_a_superuser_demoted_in_user_svc_loses_it_at_the_next_recheck(signed_in, user_svc):
    User.objects.filter(staff_account__user_svc_id=41).update(is_superuser=True)
    account(user_svc, is_superuser=False)

    assert signed_in.get("/admin/").status_code == 200
    assert not User.objects.get(staff_account__user_svc_id=41).is_superuser


def test_the_admin_fails_closed_while_user_svc_cannot_be_asked(signed_in, user_svc):
    user_svc.upsert(
        responses.GET,
        f"{USER_SVC}/internal/v1/staff/41/",
        body=requests.ConnectionError("refused"),
    )

    refused = signed_in.get("/admin/")
    account(user_svc)
    served_again = signed_in.get("/admin/")

    assert refused.status_code == 302
    assert served_again.status_code == 200


def test_a_session_whose_local_row_lost_its_link_is_signed_out(signed_in):
    StaffAccount.objects.all().delete()

    assert signed_in.get("/admin/").status_code == 302


def test_an_answer_to_a_request_without_a_session_stays_cacheable(client):
    response = client.get("/plain/")

    assert "Cookie" not in response.get("Vary", "")
