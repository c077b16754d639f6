"""The service table: the one place that names the services and their ports."""

import pytest

from shop_common.service_table import Service


def test_a_services_flags_must_be_named_where_it_is_declared():
    with pytest.raises(TypeError):
        Service("payment_svc", 8004, False)  # type: ignore[misc]
