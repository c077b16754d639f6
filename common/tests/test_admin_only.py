"""The admin's middleware runs on the admin's paths only; CSRF everywhere."""

import pytest
from django.conf import settings
from django.test import Client


def test_other_paths_pass_without_session_user_messages_or_frame_header(client):
    client.cookies[settings.SESSION_COOKIE_NAME] = "a-session-key"

    response = client.get("/plain/")

    assert response.status_code == 200
    assert not hasattr(response.wsgi_request, "session")
    assert not hasattr(response.wsgi_request, "user")
    assert not hasattr(response.wsgi_request, "_messages")
    assert "X-Frame-Options" not in response
    assert "Cookie" not in response.get("Vary", "")


@pytest.mark.django_db
def test_healthz_with_a_session_cookie_touches_no_database(client, django_assert_num_queries):
    client.cookies[settings.SESSION_COOKIE_NAME] = "a-session-key"
    with django_assert_num_queries(0):
        assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_the_admin_keeps_sessions_users_messages_and_refuses_frames(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert response.wsgi_request.user.is_anonymous
    assert hasattr(response.wsgi_request, "session")
    assert hasattr(response.wsgi_request, "_messages")
    assert response["X-Frame-Options"] == "DENY"


def test_csrf_is_checked_outside_the_admin_too():
    response = Client(enforce_csrf_checks=True).post("/plain/form/")

    assert response.status_code == 403
