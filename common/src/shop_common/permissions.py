"""Who may call what: staff, staff-or-read-only, and other services by their scopes."""

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


def _is_staff(request: Request) -> bool:
    user = request.user
    return bool(user and user.is_authenticated and user.is_staff)


class IsStaff(BasePermission):
    """Signed-in staff only (anonymous callers get 401, customers 403)."""

    message = "Only staff may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return _is_staff(request)


class IsStaffOrReadOnly(BasePermission):
    """Anyone may read; only staff may write."""

    message = "Only staff may change this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in SAFE_METHODS or _is_staff(request)


class IsService(BasePermission):
    """Another shop service, signed in with a service token (see `ServiceAuthentication`)."""

    message = "Only shop services may call this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_service", False))


class HasServiceScope(IsService):
    """A service whose token grants the view's `required_scope`: any other service's token
    gets 403, so a leaked credential opens only what its service needs."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not super().has_permission(request, view):
            return False
        required = getattr(view, "required_scope", None)
        if required is None or required not in request.user.scopes:
            self.message = f"{request.user} may not call this: it needs the '{required}' scope."
            return False
        return True
