from django.urls import include, path

from testproject import views

urlpatterns = [
    path("", include("shop_common.urls")),
    path("api/items/", views.ItemView.as_view()),
    path("api/boom/", views.boom),
    path("plain/", views.plain),
    path("logs/", views.log_something),
    path("two-queries/", views.two_queries),
]
