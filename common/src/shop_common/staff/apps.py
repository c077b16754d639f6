from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "shop_common.staff"
    label = "shop_staff"
    verbose_name = "Staff sign-in"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib import admin
        from django.contrib.auth.signals import user_logged_in

        from shop_common.staff.forms import StaffLoginForm
        from shop_common.staff.middleware import mark_checked

        admin.site.login_form = StaffLoginForm
        user_logged_in.connect(
            lambda request, **_: mark_checked(request), dispatch_uid="shop_staff_checked"
        )
