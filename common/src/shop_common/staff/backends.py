"""The admin's authentication backend: passwords are checked by user_svc."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from shop_common.rate_limits import client_address
from shop_common.staff import directory
from shop_common.staff.services import local_user_for


class StaffBackend(ModelBackend):
    """Signs in user_svc's active staff with their user_svc email and password, as the
    local row that stands for them; what they may do is `ModelBackend`'s business (this
    service's groups and permissions). A local password never signs anyone in.

    `SignInThrottled` and `DirectoryUnavailable` pass through to the login form, which
    says what happened instead of "wrong password".
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> AbstractBaseUser | None:
        if request is None or not username or password is None:
            return None
        identity = directory.sign_in(
            email=username, password=password, address=client_address(request, 0)
        )
        if identity is None or not identity.may_use_admin:
            return None
        return local_user_for(identity)
