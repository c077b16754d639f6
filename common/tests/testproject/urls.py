from django.contrib import admin
from django.urls import include, path

from testproject import views

urlpatterns = [
    path("", include("shop_common.urls")),
    path("api/items/", views.ItemView.as_view()),
    path("api/boom/", views.boom),
    path("api/database-gone/", views.database_gone),
    path("plain/", views.plain),
    path("plain/form/", views.plain_form),
    path("logs/", views.log_something),
    path("two-queries/", views.two_queries),
    path("api/cheese/", views.buy_cheese),
    path("api/refuse/", views.refuse_plainly),
    path("api/taken-name/", views.taken_name),
    path("api/model-rule/", views.model_rule),
    path("plain/cheese/", views.plain_cheese),
    path("admin/", admin.site.urls),
]
