"""What refuses a catalog write; the shared exception handler turns each into its answer."""

from django.db.models import ProtectedError

from shop_common.errors import DomainError


class StillInUse(DomainError):
    """A product or category others still refer to; nothing was deleted."""

    status_code = 409
    code = "still_in_use"

    def __init__(self, refused: ProtectedError) -> None:
        kinds = sorted({str(obj._meta.verbose_name_plural) for obj in refused.protected_objects})
        hint = " Deactivate the product instead." if "reservation lines" in kinds else ""
        super().__init__(f"Can't delete it: {' and '.join(kinds)} still refer to it.{hint}")
