"""Catalog reads that need a decision: who sees which products, what a category covers."""

from .models import Category, Product, ProductQuerySet


def is_staff(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_staff", False))


def products_visible_to(user: object) -> ProductQuerySet:
    """Staff see inactive products too; everyone else only what is on sale."""
    products = Product.objects.with_image_rows()
    return products if is_staff(user) else products.active()


def category_tree_ids(slug: str) -> list[int]:
    """The ids of the category named by `slug` and of every category below it, in one
    query (a shop has hundreds of categories, not millions); empty for an unknown slug.

    Each category is taken once, so a loop that bad data made still ends the walk."""
    rows = list(Category.objects.values_list("id", "parent_id", "slug"))
    children: dict[int | None, list[int]] = {}
    for category_id, parent_id, _ in rows:
        children.setdefault(parent_id, []).append(category_id)
    found = [category_id for category_id, _, category_slug in rows if category_slug == slug]
    seen = set(found)
    for category_id in found:  # `found` grows while we walk it: a breadth-first walk
        below = [child for child in children.get(category_id, []) if child not in seen]
        seen.update(below)
        found.extend(below)
    return found
