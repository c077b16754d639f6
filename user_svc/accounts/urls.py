from django.urls import path

from accounts import views

urlpatterns = [
    path("api/v1/auth/register/", views.RegisterView.as_view(), name="register"),
    path("api/v1/auth/token/", views.TokenObtainView.as_view(), name="token"),
    path("api/v1/auth/token/refresh/", views.TokenRefreshView.as_view(), name="token-refresh"),
    path("api/v1/auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("api/v1/auth/jwks/", views.JWKSView.as_view(), name="jwks"),
    path("api/v1/users/me/", views.MeView.as_view(), name="me"),
    path("api/v1/users/me/password/", views.PasswordChangeView.as_view(), name="password"),
    path("internal/v1/service-token/", views.ServiceTokenView.as_view(), name="service-token"),
    path("internal/v1/staff/sign-in/", views.StaffSignInView.as_view(), name="staff-sign-in"),
    path(
        "internal/v1/staff/<int:user_id>/", views.StaffIdentityView.as_view(), name="staff-identity"
    ),
]
