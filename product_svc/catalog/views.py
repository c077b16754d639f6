"""The public catalog API: anyone reads, staff write (`IsStaffOrReadOnly`)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from shop_common.openapi import error_answer
from shop_common.permissions import IsStaffOrReadOnly

from . import selectors, services
from .filters import ProductFilter
from .models import Category, Product
from .serializers import CategorySerializer, ProductSerializer


class StillInUse(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "still_in_use"


@extend_schema_view(
    destroy=extend_schema(
        responses={
            204: None,
            409: error_answer("Still in use: products, subcategories or orders refer to it."),
        }
    )
)
class CatalogViewSet(viewsets.ModelViewSet):
    """What products and categories share: the permission, integer ids in the path, and
    the service errors turned into answers (a unique race lost: 400; delete refused: 409)."""

    permission_classes = (IsStaffOrReadOnly,)
    lookup_value_regex = r"[0-9]+"

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DjangoValidationError):
            exc = exceptions.ValidationError(exc.message_dict)
        elif isinstance(exc, ProtectedError):
            exc = StillInUse(protected_detail(exc))
        return super().handle_exception(exc)

    def perform_destroy(self, instance: Product | Category) -> None:
        services.delete(instance)


def protected_detail(exc: ProtectedError) -> str:
    kinds = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
    hint = " Deactivate the product instead." if "reservation lines" in kinds else ""
    return f"Can't delete it: {' and '.join(kinds)} still refer to it.{hint}"


class ProductViewSet(CatalogViewSet):
    serializer_class = ProductSerializer
    filter_backends = (DjangoFilterBackend,)
    filterset_class = ProductFilter

    def get_queryset(self) -> QuerySet[Product]:
        return selectors.products_visible_to(self.request.user)

    def perform_create(self, serializer: BaseSerializer) -> None:
        serializer.instance = services.create_product(**serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer) -> None:
        serializer.instance = services.update_product(
            product=serializer.instance, changes=serializer.validated_data
        )


class CategoryViewSet(CatalogViewSet):
    serializer_class = CategorySerializer
    queryset = Category.objects.all()

    def perform_create(self, serializer: BaseSerializer) -> None:
        serializer.instance = services.create_category(**serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer) -> None:
        serializer.instance = services.update_category(
            category=serializer.instance, changes=serializer.validated_data
        )
