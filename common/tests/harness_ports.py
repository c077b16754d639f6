"""Ports for tests that need a server that answers, or one that certainly doesn't."""

import socket


def closed_port() -> int:
    """A local port with nothing listening: connections to it are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
