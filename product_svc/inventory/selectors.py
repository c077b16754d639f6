"""What reservations hold, as the product admin shows it beside the stock."""

from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from catalog.models import Product

from .models import Reservation, ReservationLine


def with_reserved_stock(products: QuerySet[Product]) -> QuerySet[Product]:
    """`products`, each with `reserved`: the quantity that reservations still reserved
    hold (orders placed, neither cancelled nor shipped), already taken off its `stock`.

    A subquery per product, in the same query: a page of the admin's list costs the same
    whatever its length, and only the products on the page are summed.
    """
    held = (
        ReservationLine.objects.filter(
            product=OuterRef("pk"), reservation__state=Reservation.State.RESERVED
        )
        .order_by()
        .values("product")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return products.annotate(reserved=Coalesce(Subquery(held, output_field=IntegerField()), 0))
