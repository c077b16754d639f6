"""The broker through kombu: RabbitMQ when AMQP_URL is set, otherwise kombu's filesystem
transport in `SHOP_VAR_DIR/broker/<namespace>/`, which needs no server and delivers
between processes on one machine. Both run the same code; docs/events.md says what the
filesystem transport does not promise.

kombu 5.7's filesystem transport keeps every binding (of any exchange type) in a file of
its control folder, so a topic binding declared by one process routes the messages
another publishes, as long as that one declared the exchange as a topic exchange too.
A message is a file in the queues folder; a consumer takes it by renaming it away, so
competing consumers each get different messages. Acknowledgement is in memory only:
unacknowledged messages go back to the queue when the consumer closes its channel
(SIGTERM), not when it is killed.
"""

import logging
import os
import threading
import uuid
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from queue import Empty
from time import monotonic
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from kombu import Connection, Exchange, Queue, binding
from kombu.exceptions import OperationalError
from kombu.transport import filesystem

from shop_common.events.envelope import Event
from shop_common.events.topology import exchange_name, queue_name, subscriptions

PERSISTENT = 2
# Waiting between attempts while the broker (or the database) is unreachable: doubled
# from the first up to the second.
RETRY_SECONDS = (0.5, 10.0)
# The AMQP heartbeat asked of RabbitMQ: it closes a connection it heard nothing from for
# two of these, and the client gives up on one it heard nothing from for as long.
HEARTBEAT_SECONDS = 30
logger = logging.getLogger(__name__)


class FilesystemChannel(filesystem.Channel):
    """kombu's channel with its two file operations made safe between processes.

    kombu's `_put` creates the file under its final name and then writes it: a consumer
    polling at that moment takes an empty file and loses the message. Here it is written
    aside and renamed into the queue folder. kombu's `_get` moves a taken file to the
    system's temporary folder, which is a copy (not atomic, two consumers may both take
    it) when that is another file system; here it is renamed within the broker's folder.
    And the first binding of an exchange creates its table file empty before locking
    it, so a process binding or routing at that moment reads nothing and fails: here
    the file is created whole first, and kombu then only ever updates it under a lock.
    """

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        table = self._exchange_file(exchange)
        if not table.exists():
            table.parent.mkdir(parents=True, exist_ok=True)
            aside = table.with_name(f"creating-{uuid.uuid4()}")
            aside.write_text("[]")
            with suppress(FileExistsError):
                os.link(aside, table)
            aside.unlink()
        super()._queue_bind(exchange, routing_key, pattern, queue)

    def _put(self, queue: str, payload: dict[str, Any], **kwargs: Any) -> None:
        # os.path rather than pathlib: this runs once per event the relay publishes.
        token = uuid.uuid4().hex
        final = os.path.join(
            self.data_folder_out, f"{round(monotonic() * 1000)}_{token}.{queue}.msg"
        )
        # No dot in the name: kombu's `_get` sees no queue's message in it.
        aside = os.path.join(self.data_folder_out, f"writing-{token}")
        with open(aside, "w") as file:
            file.write(filesystem.dumps(payload))
        os.replace(aside, final)

    def _get(self, queue: str) -> dict[str, Any]:
        suffix = f".{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.partition(".")[2] != suffix[1:]:
                continue
            taken = Path(self.processed_folder) / name
            try:
                os.rename(Path(self.data_folder_in) / name, taken)
            except FileNotFoundError:
                continue  # another consumer took it
            payload = taken.read_text()
            taken.unlink()
            return filesystem.loads(payload)
        raise Empty()


class FilesystemTransport(filesystem.Transport):
    Channel = FilesystemChannel


def describe(connection: Connection) -> str:
    """The broker for a log line: RabbitMQ's URL without its password, or the folder."""
    if settings.AMQP_URL:
        return connection.as_uri()
    return f"filesystem:{broker_folder()}"


def broker_folder() -> Path:
    return Path(settings.EVENTS_BROKER_DIR) / settings.EVENTS_NAMESPACE


def connect() -> Connection:
    """A new connection (not yet open): one per process and thread, never shared."""
    if settings.AMQP_URL:
        return Connection(
            settings.AMQP_URL,
            connect_timeout=5,
            heartbeat=HEARTBEAT_SECONDS,
        )
    folder = broker_folder()
    folders = {name: folder / name for name in ("queues", "control", "taken")}
    for path in folders.values():
        path.mkdir(parents=True, exist_ok=True)
    return Connection(
        transport=FilesystemTransport,
        transport_options={
            "data_folder_in": str(folders["queues"]),
            "data_folder_out": str(folders["queues"]),
            "control_folder": str(folders["control"]),
            # Where a consumer renames the message it takes (FilesystemChannel._get).
            "processed_folder": str(folders["taken"]),
            # How often an idle consumer looks for files: the floor of the delivery lag.
            "polling_interval": 0.05,
        },
    )


def exchange() -> Exchange:
    return Exchange(exchange_name(), type="topic", durable=True, delivery_mode=PERSISTENT)


def service_queue(service: str) -> Queue:
    """The service's durable queue, bound to each type it subscribes to. No queue
    arguments: RabbitMQ refuses a redeclaration with other ones, and dead letters are
    kept in the consumer's database (FailedEvent), not in a broker queue."""
    topic = exchange()
    types = subscriptions()[service]
    return Queue(
        queue_name(service),
        exchange=topic,
        bindings=[binding(topic, routing_key=event_type) for event_type in types],
        durable=True,
    )


def all_queues() -> list[Queue]:
    return [service_queue(service) for service in subscriptions()]


def declare_topology(connection: Connection) -> None:
    """The exchange and every service's queue and bindings, whoever declares them first:
    a relay that starts before any consumer still routes its messages somewhere."""
    channel = connection.default_channel
    exchange()(channel).declare()
    for queue in all_queues():
        queue(channel).declare()


def delete_topology(connection: Connection) -> None:
    """Remove the namespace's queues and exchange (the test harness, at close)."""
    channel = connection.default_channel
    for queue in all_queues():
        queue(channel).delete()
    exchange()(channel).delete()


class NotConfirmed(OSError):
    """The broker refused (nacked) a message or did not confirm it in time."""


class Publisher:
    """Publishes a batch of events and returns once the broker holds every one of them.

    On RabbitMQ the channel is in confirm mode and the whole batch is confirmed at once
    (waiting for each message in turn would cost a round trip per event); the
    filesystem transport has written each file when `publish` returns.
    """

    CONFIRM_TIMEOUT = 10.0

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.channel = connection.channel()
        self.producer = connection.Producer(self.channel, exchange=exchange())
        self.confirms = connection.transport.driver_type == "amqp"
        self.sent = 0
        self.unconfirmed: set[int] = set()
        self.refused = False
        if self.confirms:
            self.channel.confirm_select()
            self.channel.events["basic_ack"].add(self._acked)
            self.channel.events["basic_nack"].add(self._nacked)

    def publish(self, events: list[Event]) -> None:
        for event in events:
            self.producer.publish(
                event.encode(),
                routing_key=event.type,
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=PERSISTENT,
                message_id=str(event.id),
                type=event.type,
            )
            self.sent += 1
            if self.confirms:
                self.unconfirmed.add(self.sent)
        if self.confirms:
            self._wait_for_confirms()

    def _wait_for_confirms(self) -> None:
        deadline = monotonic() + self.CONFIRM_TIMEOUT
        while self.unconfirmed and not self.refused:
            remaining = deadline - monotonic()
            if remaining <= 0:
                raise NotConfirmed(f"{len(self.unconfirmed)} events not confirmed in time")
            self.connection.drain_events(timeout=remaining)
        if self.refused:
            raise NotConfirmed("the broker refused an event")

    def _acked(self, delivery_tag: int, multiple: bool) -> None:
        if multiple:
            self.unconfirmed = {tag for tag in self.unconfirmed if tag > delivery_tag}
        else:
            self.unconfirmed.discard(delivery_tag)

    def _nacked(self, delivery_tag: int, multiple: bool) -> None:
        self.refused = True


def keep_alive(connection: Connection) -> None:
    """Read what the broker sent (its heartbeats, late confirms) and send a heartbeat when
    one is due, for a loop that otherwise talks to the broker only when it has work (the
    relay): left silent, an idle relay's connection is closed by RabbitMQ after two
    heartbeat intervals, and its next event fails to publish and waits for a new one.
    Call it at least every half interval."""
    if not connection.heartbeat:
        return  # the filesystem transport: no connection to keep
    with suppress(TimeoutError):
        connection.drain_events(timeout=0)
    connection.heartbeat_check()


def broker_errors(connection: Connection) -> tuple[type[BaseException], ...]:
    """What a lost or refused broker raises: the loops reconnect with backoff on these."""
    return (
        *connection.connection_errors,
        *connection.channel_errors,
        OperationalError,
        NotConfirmed,
        TimeoutError,
    )


def keep_connected(
    serve: Callable[[Connection], None],
    *,
    stop: threading.Event,
    wait: Callable[[float], object] | None = None,
) -> None:
    """Run `serve(connection)`, with the topology declared, until `stop` is set; when the
    broker or the database fails, log it, `wait` (by default: sleep) with backoff and
    start again on a new connection. Closing a connection hands its unacknowledged
    messages back to the broker."""
    delay = RETRY_SECONDS[0]
    while not stop.is_set():
        broker = connect()
        try:
            with broker:
                broker.ensure_connection(max_retries=1)
                declare_topology(broker)
                logger.info("connected to the event broker", extra={"broker": describe(broker)})
                serve(broker)
        except (*broker_errors(broker), DatabaseError) as exc:
            logger.warning(
                "event broker or database unreachable; retrying",
                extra={"error": repr(exc), "in_seconds": delay},
            )
            (wait or stop.wait)(delay)
            delay = min(delay * 2, RETRY_SECONDS[1])
        else:
            delay = RETRY_SECONDS[0]
