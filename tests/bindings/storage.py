"""Storage test helpers shared by the binding and HTTP tests."""

from __future__ import annotations

import socket

from durable_local.services.bindings import DEVELOPMENT_CONNECTION_STRING


def closed_port_connection_string() -> str:
    """A connection string whose endpoints refuse connections at once (a closed loopback port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return DEVELOPMENT_CONNECTION_STRING.replace(":10001/", f":{port}/").replace(":10002/", f":{port}/")
