"""The public catalog API: anyone reads, staff write (`IsStaffOrReadOnly`)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_orjson_renderer.renderers import ORJSONRenderer
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from shop_common.openapi import error_answer
from shop_common.permissions import IsStaffOrReadOnly

from . import page_cache, selectors, services
from .filters import CatalogFilterBackend, ProductFilter
from .models import Category, Product
from .pagination import CatalogPagination
from .serializers import (
    CategorySerializer,
    ProductImageSerializer,
    ProductImageUploadSerializer,
    ProductSerializer,
)

# The reads the page cache keeps (`catalog.page_cache`; anonymous callers only).
CACHED_ACTIONS = frozenset({"list", "retrieve"})


@extend_schema_view(
    destroy=extend_schema(
        responses={
            204: None,
            409: error_answer("Still in use: products, subcategories or orders refer to it."),
        }
    )
)
class CatalogViewSet(viewsets.ModelViewSet):
    """What products and categories share: the permission, integer ids in the path,
    deletes through the service (refused with 409 while something still refers to it),
    counts kept per catalog version, and orjson, which writes a page of products several
    times faster than the standard library."""

    permission_classes = (IsStaffOrReadOnly,)
    pagination_class = CatalogPagination
    renderer_classes = (ORJSONRenderer,)
    lookup_value_regex = r"[0-9]+"

    def dispatch(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        """Reads of a page (`list`, `retrieve`) go through the page cache
        (`catalog.page_cache`), which answers a page it holds before DRF sees the request."""
        render = super().dispatch
        if self.action_map.get(request.method.lower()) not in CACHED_ACTIONS:
            return render(request, *args, **kwargs)
        return page_cache.cached_page(request, lambda: render(request, *args, **kwargs))

    def perform_destroy(self, instance: Product | Category) -> None:
        services.delete(instance)


class ProductViewSet(CatalogViewSet):
    serializer_class = ProductSerializer
    filter_backends = (CatalogFilterBackend,)
    filterset_class = ProductFilter

    def get_queryset(self) -> QuerySet[Product]:
        return selectors.products_visible_to(self.request.user)

    def perform_create(self, serializer: BaseSerializer) -> None:
        serializer.instance = services.create_product(**serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer) -> None:
        serializer.instance = services.update_product(
            product=serializer.instance, changes=serializer.validated_data
        )

    @extend_schema(
        request={"multipart/form-data": ProductImageUploadSerializer},
        responses={201: ProductImageSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="images",
        # The one view that reads a form: every other view stays JSON-only.
        parser_classes=(MultiPartParser,),
    )
    def add_image(self, request: Request, pk: str) -> Response:
        """Add an image after the product's others (staff)."""
        product = self.get_object()
        upload = ProductImageUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            image = services.add_image(product=product, **upload.validated_data)
        except DjangoValidationError as exc:
            raise ValidationError({"image": exc.messages}) from None
        answer = ProductImageSerializer(image, context=self.get_serializer_context())
        return Response(answer.data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"images/(?P<image_id>[0-9]+)")
    def delete_image(self, request: Request, pk: str, image_id: str) -> Response:
        """Delete one of the product's images and its files (staff)."""
        image = get_object_or_404(self.get_object().images, pk=image_id)
        image.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class CategoryViewSet(CatalogViewSet):
    serializer_class = CategorySerializer
    queryset = Category.objects.all()

    def perform_create(self, serializer: BaseSerializer) -> None:
        serializer.instance = services.create_category(**serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer) -> None:
        serializer.instance = services.update_category(
            category=serializer.instance, changes=serializer.validated_data
        )
