"""A stop flag set by SIGTERM or SIGINT, for the relay's and the consumer's loops: they
finish the message or batch in hand, close the broker connection (handing unacknowledged
messages back) and return."""

import signal
import threading


def stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop
