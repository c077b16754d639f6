"""What refuses a catalog write; the shared exception handler turns each into its answer."""

from django.db.models import Model, ProtectedError

from shop_common.errors import DomainError


class StillInUse(DomainError, status=409):
    """A product or category others still refer to; nothing was deleted."""

    def __init__(self, refused: ProtectedError) -> None:
        kinds = sorted({str(obj._meta.verbose_name_plural) for obj in refused.protected_objects})
        hint = " Deactivate the product instead." if "reservation lines" in kinds else ""
        super().__init__(f"Can't delete it: {' and '.join(kinds)} still refer to it.{hint}")


class DeletedMeanwhile(DomainError, status=404):
    """A change to a product or category deleted after the view read it: the 404 the
    change would have got a moment later."""

    code = "not_found"

    def __init__(self, instance: Model) -> None:
        super().__init__(f"This {instance._meta.verbose_name} was deleted meanwhile.")
