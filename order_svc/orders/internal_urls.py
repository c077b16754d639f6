"""Between services only: the gateway never routes `/internal/`."""

from django.urls import path

from orders.views import InternalOrderView

urlpatterns = [
    path("orders/<uuid:order_id>/", InternalOrderView.as_view(), name="internal-order"),
]
