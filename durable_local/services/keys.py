"""Function keys: who may call which endpoint.

``func start`` does not check keys, so the local host leaves them off unless the host has
``function_keys``. The HTTP front-end and the dashboard both ask this module. Then, as on Azure (docs: functions-bindings-http-webhook
"Authorization keys"):

* ``anonymous`` functions are open;
* ``function`` functions accept any configured key (function or host keys, or the master key);
* ``admin`` functions accept only the master key;
* the Durable management API (``/runtime/webhooks/durabletask``) accepts the system key
  ``durabletask_extension`` or the master key. The client binding's URLs carry the key that
  opens it as ``code=<key>``, so links returned by ``create_check_status_response`` work.

A key arrives as the ``code`` query parameter or the ``x-functions-key`` header. Keys are
secrets: they are never logged (see :mod:`durable_local.frontends.http.access_log`).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from aiohttp import web

#: Names under which ``function_keys`` may hold the master key (``_master`` is Azure's name).
MASTER_KEY_NAMES = ("_master", "master")
#: The system key the Durable extension registers for its webhook (Azure: ``durabletask_extension``).
SYSTEM_KEY_NAME = "durabletask_extension"
KEY_HEADER = "x-functions-key"
KEY_QUERY = "code"


def presented_key(request: web.Request) -> str | None:
    """The key a request presents: the ``code`` query parameter, else the ``x-functions-key`` header."""
    return request.query.get(KEY_QUERY) or request.headers.get(KEY_HEADER)


class FunctionKeys:
    """The configured keys, or none (every endpoint open)."""

    def __init__(self, keys: Mapping[str, str] | None) -> None:
        self._keys = {name: value for name, value in (keys or {}).items() if value}
        self.enabled = keys is not None
        self.master = next((self._keys[n] for n in MASTER_KEY_NAMES if n in self._keys), None)

    @property
    def system_key(self) -> str | None:
        """The key the management URLs carry: the system key, else the master key, else any key."""
        if not self.enabled:
            return None
        if SYSTEM_KEY_NAME in self._keys:
            return self._keys[SYSTEM_KEY_NAME]
        return self.master or next(iter(self._keys.values()), None)

    def allows_function(self, auth_level: str, presented: str | None) -> bool:
        """May a caller presenting ``presented`` invoke a function of ``auth_level``?"""
        level = auth_level.lower()
        if not self.enabled or level == "anonymous":
            return True
        if presented is None:
            return False
        if level == "admin" and self.master is not None:
            return _equal(presented, self.master)
        return any(_equal(presented, key) for key in self._keys.values())

    def is_master(self, presented: str | None) -> bool:
        """Does ``presented`` carry the master key (an admin caller)?"""
        return presented is not None and self.master is not None and _equal(presented, self.master)

    def allows_management(self, presented: str | None) -> bool:
        """May a caller presenting ``presented`` use the Durable management API?"""
        if not self.enabled:
            return True
        accepted = [k for k in (self.system_key, self.master) if k]
        return presented is not None and any(_equal(presented, key) for key in accepted)


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
