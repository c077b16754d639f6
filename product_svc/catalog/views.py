"""The public catalog API: anyone reads, staff write (`IsStaffOrReadOnly`)."""

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.serializers import BaseSerializer

from shop_common.openapi import error_answer
from shop_common.permissions import IsStaffOrReadOnly

from . import selectors, services
from .filters import ProductFilter
from .models import Category, Product
from .serializers import CategorySerializer, ProductSerializer


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
    deletes through the service (refused with 409 while something still refers to it)."""

    permission_classes = (IsStaffOrReadOnly,)
    lookup_value_regex = r"[0-9]+"

    def perform_destroy(self, instance: Product | Category) -> None:
        services.delete(instance)


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
