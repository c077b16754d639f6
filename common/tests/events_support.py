"""What the events tests share: a namespace of their own on the broker the environment
names (RabbitMQ when AMQP_URL is set, else the filesystem transport), and the relay and
consumer loops run in threads."""

import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connections

from shop_common.events.broker import broker_folder, connect, delete_topology
from shop_common.events.consumer import Consumer
from shop_common.events.relay import Relay


@pytest.fixture
def namespace(settings) -> Iterator[str]:
    """A namespace no other test (or person) uses, removed afterwards."""
    settings.EVENTS_NAMESPACE = f"test-{uuid.uuid4().hex[:12]}"
    yield settings.EVENTS_NAMESPACE
    with connect() as broker:
        delete_topology(broker)
    shutil.rmtree(broker_folder(), ignore_errors=True)


@contextmanager
def running(loop: type[Relay] | type[Consumer]) -> Iterator[None]:
    """The loop in a thread of this process until the block ends."""
    stop = threading.Event()

    def run() -> None:
        try:
            loop(stop=stop).run()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)
