"""Categories and products: what the shop sells, at what price, and how many are left."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Aggregate, F, Func, OuterRef, Q, Subquery
from django.db.models.functions import JSONArray
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError

CURRENCY_CODE = RegexValidator(r"^[A-Z]{3}$", "Enter a three-letter ISO 4217 code, e.g. EUR.")
SKU_FORMAT = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*$", "Use letters, digits, '.', '_' and '-' only."
)
MAX_STOCK = 2_000_000_000  # inside the integer column, with room for a release on top
# What staff write about a product, through the API and the admin's import alike.
PRODUCT_WRITABLE_FIELDS = (
    *("sku", "name", "slug", "description", "price", "currency"),
    *("category", "stock", "is_active"),
)
# The PostgreSQL advisory lock that serialises moves of categories (any fixed number that no
# other advisory lock of this database uses).
CATEGORY_TREE_LOCK = 0x5C47_7EE


class CategoryQuerySet(models.QuerySet["Category"]):
    def lock_tree(self) -> None:
        """Hold off every other move of a category until this transaction ends.

        Two moves that each pass the loop check alone (A below B, B below A) must not both
        commit: with the tree locked, the second one's check sees the first one's parent.
        SQLite needs nothing more, since its transactions begin IMMEDIATE (one writer).
        """
        connection = connections[self.db]
        if not connection.in_atomic_block:
            raise TransactionManagementError(
                "lock_tree() holds its lock until the transaction ends: call it inside one"
            )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CATEGORY_TREE_LOCK])

    def parent_ids(self) -> dict[int, int | None]:
        """Each category's parent id, in one query (a shop has hundreds, not millions)."""
        return dict(self.values_list("id", "parent_id"))


class Category(models.Model):
    """A shelf of the shop; categories nest through `parent`, and never in a loop."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    # PROTECT: deleting a shelf must not silently drop or re-home what is on it.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ("name", "id")
        verbose_name_plural = "categories"
        indexes = (models.Index(fields=["name", "id"], name="catalog_category_name_idx"),)
        # The one loop a row can show alone; longer ones need the tree (`check_parent`).
        constraints = (
            models.CheckConstraint(
                condition=~Q(parent=F("id")), name="catalog_category_not_its_own_parent"
            ),
        )

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The admin's form calls this inside the transaction that saves the category."""
        super().clean()
        self.check_parent()

    def check_parent(self) -> None:
        """Refuse a parent that is this category or below it, or that sits in a loop the
        data already has, with an error naming `parent`.

        Locks the tree until the transaction ends: call it in the transaction that saves.
        """
        if self.parent_id is None:
            return
        Category.objects.lock_tree()
        parents = Category.objects.parent_ids()
        seen: set[int] = set()
        ancestor: int | None = self.parent_id
        while ancestor is not None:
            if ancestor == self.pk or ancestor in seen:
                raise ValidationError(
                    {"parent": "That parent would make a loop: a category can't sit below itself."}
                )
            seen.add(ancestor)
            ancestor = parents.get(ancestor)


class JSONList(Aggregate):
    """The rows' values as one JSON array: PostgreSQL's `JSONB_AGG`, SQLite's
    `JSON_GROUP_ARRAY`."""

    function = "JSONB_AGG"
    output_field = models.JSONField()

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        return self.as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)


class SearchedText(Func):
    """A product's name, description and SKU as one text, a space between them.

    A search word never holds a space, so it is in this text exactly when it is in one
    of the three. On PostgreSQL one trigram index covers the whole text (migration
    0005), and the planner estimates one condition per word from that index's
    statistics, instead of three `LIKE`s it can only guess at."""

    template = "(%(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = models.TextField()

    def __init__(self) -> None:
        super().__init__(F("name"), F("description"), F("sku"))


class ProductQuerySet(models.QuerySet["Product"]):
    def with_image_rows(self) -> "ProductQuerySet":
        """Each product's images read in the products' own query, as `image_rows`: a list
        of `[id, image, thumbnail, alt, position]` in no order, or None for none.

        Django's `prefetch_related` costs a second query and a manager per product, as
        much as the page's own query; a correlated subquery costs PostgreSQL an index
        lookup per product shown."""
        images = (
            ProductImage.objects.filter(product=OuterRef("pk"))
            .order_by()
            .values("product")
            .annotate(rows=JSONList(JSONArray("id", "image", "thumbnail", "alt", "position")))
            .values("rows")
        )
        return self.annotate(image_rows=Subquery(images, output_field=models.JSONField()))

    def matching(self, words: list[str]) -> "ProductQuerySet":
        """Products whose name, description or SKU contains each word, in any letter case."""
        queryset = self.alias(searched_text=SearchedText())
        for word in words:
            queryset = queryset.filter(searched_text__icontains=word)
        return queryset

    def active(self) -> "ProductQuerySet":
        return self.filter(is_active=True)

    def in_stock(self) -> "ProductQuerySet":
        return self.filter(stock__gt=0)

    def sold_out(self) -> "ProductQuerySet":
        return self.filter(stock=0)


class Product(models.Model):
    """Something the shop sells. `stock` is what can be bought now; reservations take from
    it with conditional updates, and the database itself keeps it at zero or above."""

    sku = models.CharField("SKU", max_length=64, unique=True, validators=[SKU_FORMAT])
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, default="EUR", validators=[CURRENCY_CODE])
    # PROTECT: a category with products is emptied (or its products moved) first.
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    stock = models.IntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(MAX_STOCK)]
    )
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = (
            models.CheckConstraint(
                condition=Q(stock__gte=0), name="catalog_product_stock_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0), name="catalog_product_price_not_negative"
            ),
        )
        # One index per ordering the list offers (with `id`, its tie-breaker), plus the
        # category filter's foreign key index and, on PostgreSQL, trigram indexes for the
        # list's search (`SearchedText`, migration 0005) and the admin's (0002). `stock`
        # and `updated_at` are deliberately not indexed: every reservation changes them,
        # and an index on either would turn those hot in-place (HOT) updates into index
        # writes; `in_stock` keeps most rows.
        indexes = (
            models.Index(fields=["price", "id"], name="catalog_product_price_idx"),
            models.Index(fields=["name", "id"], name="catalog_product_name_idx"),
            models.Index(fields=["created_at", "id"], name="catalog_product_created_idx"),
        )

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class ProductImage(models.Model):
    """A picture of a product, shown in `position` order, with its list thumbnail.

    The files live in the default storage (`STORAGES["default"]`), named by the service
    that adds the image (`services.add_image`); deleting the row deletes them (`signals`).
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.FileField(max_length=255)
    thumbnail = models.FileField(max_length=255)
    alt = models.CharField("alt text", max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("position", "id")
        indexes = (
            models.Index(fields=["product", "position", "id"], name="catalog_image_order_idx"),
        )

    def __str__(self) -> str:
        return self.alt or self.image.name
