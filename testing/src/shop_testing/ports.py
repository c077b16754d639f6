"""Local ports for tests: one to run a server on, or one nothing answers on."""

import socket


def free_port() -> int:
    """A local port nothing listens on: free to bind, and connections to it are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
