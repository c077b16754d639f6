"""The user model: what the database itself guarantees, and the manager's lookups."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError

from accounts.exceptions import EmailTaken
from accounts.models import User
from accounts.services import register_user, update_profile
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_the_database_refuses_one_email_twice_in_another_letter_case():
    User.objects.create_user("ada@example.com", PASSWORD)

    with pytest.raises(IntegrityError):
        User.objects.create(email="ADA@EXAMPLE.COM")


def test_the_database_refuses_an_empty_email():
    with pytest.raises(IntegrityError):
        User.objects.create(email="")


def test_registering_a_taken_email_past_the_serializer_is_still_a_field_error():
    UserFactory(email="ada@example.com")

    with pytest.raises(EmailTaken) as refused:
        register_user(email="Ada@Example.com", password=PASSWORD)

    assert refused.value.extra["errors"] == {"email": ["A user with this email already exists."]}


def test_changing_to_a_taken_email_past_the_serializer_is_still_a_field_error():
    UserFactory(email="ada@example.com")
    grace = UserFactory(email="grace@example.com")

    with pytest.raises(EmailTaken) as refused:
        update_profile(user=grace, email="ADA@example.com")

    assert refused.value.extra["errors"] == {"email": ["A user with this email already exists."]}
    grace.refresh_from_db()
    assert grace.email == "grace@example.com"


def test_the_natural_key_lookup_ignores_letter_case_and_spaces():
    user = UserFactory(email="Ada@example.com")

    assert User.objects.get_by_natural_key(" ADA@example.COM ") == user


def test_createsuperuser_makes_a_staff_account_from_an_email(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)

    call_command("createsuperuser", "--noinput", "--email", "boss@example.com", verbosity=0)

    boss = User.objects.get()
    assert (boss.email, boss.is_staff, boss.is_superuser) == ("boss@example.com", True, True)
    assert boss.check_password(PASSWORD)


def test_a_user_reads_as_their_email_and_name():
    user = UserFactory(email="ada@example.com", first_name="Ada", last_name="Lovelace")

    assert str(user) == "ada@example.com"
    assert user.get_full_name() == "Ada Lovelace"
    assert user.get_short_name() == "Ada"


def test_an_addressee_is_the_users_address_and_first_name():
    user = UserFactory(email="ada@example.com", first_name="Ada", last_name="Lovelace")

    assert User.objects.addressee(user.pk) == (user.pk, "ada@example.com", "Ada")
    assert User.objects.addressee(user.pk + 1) is None
