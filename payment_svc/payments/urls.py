from django.urls import path
from rest_framework.routers import SimpleRouter

from payments.views import PaymentViewSet, WebhookView

router = SimpleRouter(use_regex_path=False)
router.register("payments", PaymentViewSet, basename="payment")

urlpatterns = [
    # Before the router's detail route, which would otherwise read "webhooks" as an id.
    path("payments/webhooks/<str:provider>/", WebhookView.as_view(), name="payment-webhook"),
    *router.urls,
]
