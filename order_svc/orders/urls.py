from rest_framework.routers import SimpleRouter

from orders.views import OrderViewSet

router = SimpleRouter(use_regex_path=False)
router.register("orders", OrderViewSet, basename="order")

urlpatterns = router.urls
