"""The local host's HTTP surface: the app's HTTP functions and the Durable management API.

``create_app(host)`` builds the aiohttp application for a :class:`~durable_local.contracts.HostApi`;
``durable_local.composition.open_host`` serves it. ``KeyMaskingAccessLogger`` is an access log
that never writes function keys.
"""

from __future__ import annotations

from .access_log import KeyMaskingAccessLogger
from .app import create_app
from .client_binding import client_binding, client_binding_json

__all__ = ["KeyMaskingAccessLogger", "client_binding", "client_binding_json", "create_app"]
