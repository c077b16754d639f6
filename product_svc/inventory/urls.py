from django.urls import path

from .views import ReservationDetailView, ReservationListView, ReservationReleaseView

urlpatterns = [
    path("reservations/", ReservationListView.as_view(), name="reservation-list"),
    path(
        "reservations/<uuid:reservation_id>/",
        ReservationDetailView.as_view(),
        name="reservation-detail",
    ),
    path(
        "reservations/<uuid:reservation_id>/release/",
        ReservationReleaseView.as_view(),
        name="reservation-release",
    ),
]
