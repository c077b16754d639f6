"""The service table: the one place that names the services and their ports."""

import pytest

from shop_common.events.topology import SUBSCRIPTIONS
from shop_common.service_table import SERVICES, Service


def test_a_services_flags_must_be_named_where_it_is_declared():
    with pytest.raises(TypeError):
        Service("payment_svc", 8004, False)  # type: ignore[misc]


def test_the_table_knows_who_publishes_and_consumes_events():
    consumers = {name for name, service in SERVICES.items() if service.consumes_events}
    assert set(SUBSCRIPTIONS) & set(SERVICES) <= consumers
    assert SERVICES["order_svc"].event_commands == ["relay_events", "consume_events"]
    assert SERVICES["user_svc"].event_commands == ["consume_events"]
    assert SERVICES["gateway_svc"].event_commands == []
