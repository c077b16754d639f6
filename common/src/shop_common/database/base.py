"""Django's PostgreSQL backend, its persistent connections checked without a query.

With `CONN_HEALTH_CHECKS`, Django runs `SELECT 1` before the first query of every request
to find a connection the server has dropped (a restart, a failover, an idle timeout):
one more round trip than the request's own, 13% of a product list's time under load.
The server says when it drops a connection: it sends its reason (`FATAL: terminating
connection ...`) and closes the socket. An idle connection otherwise receives nothing,
since no connection Django manages `LISTEN`s (the event relay listens on one of its own,
`shop_common.events.relay.listen`), so a socket with something to read, or a connection psycopg
already knows is broken, is closed and opened again before the request uses it, as
Django's own check does, and a quiet socket costs one `poll` of no time. A connection
lost without a word (a cable cut) fails the request's own query instead: a 503 with
`Retry-After` (`shop_common.errors`), which the gateway retries where it may.
"""

import select

from django.db.backends.postgresql import base


def server_spoke(fileno: int) -> bool:
    """Whether an idle connection's socket has something to read: the server's last
    words before closing it, or the end of the stream."""
    poller = select.poll()
    poller.register(fileno, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self) -> None:
        if self.connection is None or not self.health_check_enabled or self.health_check_done:
            return
        if (
            self.connection.broken
            or self.connection.closed
            or server_spoke(self.connection.fileno())
        ):
            self.close()
        self.health_check_done = True
