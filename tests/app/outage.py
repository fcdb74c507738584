"""Storage outages for the app's tests: an Azurite that stops and starts again on the same ports.

:class:`RestartableAzurite` runs a private Azurite (not the session's, which other tests share)
with its data in one directory. The first start lets the OS choose the ports; every later start
reuses those ports and that directory, so clients holding the connection string see the same
account, queues and messages once it is back, exactly as after a real storage outage.

:class:`StopStorageOnWrite` wraps the host's output bindings and stops Azurite right before the
first write of a chosen activity: the outage begins while that notification is being written.
:class:`LoseReplyOnce` lets the first write of a chosen message land and then reports it failed,
as a storage call does whose reply was lost after the service had stored the message.
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from azure.storage.queue import QueueClient

from activities.contracts import NOTIFICATION_QUEUE
from durable_local.errors import BindingError
from durable_local.services.bindings import OutputBindings

# The session fixture's building blocks (same package pin, same readiness rules).
from tests.azurite import (
    AZURITE_BIN,
    HOST,
    AzuriteEndpoints,
    AzuriteStartError,
    _OutputWatcher,
    _stop,
    _wait_until_accepting,
)


class RestartableAzurite:
    """A private Azurite that can be stopped and started again on the same ports and data."""

    def __init__(self, location: Path, startup_timeout: float = 30.0) -> None:
        self.location = location
        self.startup_timeout = startup_timeout
        self.endpoints: AzuriteEndpoints | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._watcher: _OutputWatcher | None = None

    @property
    def connection_string(self) -> str:
        assert self.endpoints is not None, "start() first"
        return self.endpoints.connection_string

    def start(self) -> AzuriteEndpoints:
        """Start Azurite (the same ports and data as before after a :meth:`stop`)."""
        assert self._proc is None, "already running"
        self.location.mkdir(parents=True, exist_ok=True)
        ports = ({"blob": self.endpoints.blob_port, "queue": self.endpoints.queue_port,
                  "table": self.endpoints.table_port} if self.endpoints else {"blob": 0, "queue": 0, "table": 0})
        args = [str(AZURITE_BIN), "--location", str(self.location)]
        for service, port in ports.items():
            args += [f"--{service}Host", HOST, f"--{service}Port", str(port)]
        args += ["--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry"]
        self._proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True, cwd=self.location)
        self._watcher = _OutputWatcher(self._proc)
        deadline = time.monotonic() + self.startup_timeout
        self._watcher.settled.wait(timeout=self.startup_timeout)
        found = dict(self._watcher.ports)
        if len(found) < 3 or not _wait_until_accepting(self._proc, found["Queue"], deadline):
            output = self._watcher.output()
            self.stop()
            raise AzuriteStartError(f"Azurite did not start; its output:\n{output}")
        self.endpoints = AzuriteEndpoints(blob_port=found["Blob"], queue_port=found["Queue"], table_port=found["Table"])
        return self.endpoints

    def stop(self) -> None:
        """Stop Azurite; its ports refuse connections until :meth:`start`."""
        if self._proc is not None:
            _stop(self._proc, 10.0)
            assert self._watcher is not None
            self._watcher.join(timeout=10.0)
        self._proc = None
        self._watcher = None

    @property
    def running(self) -> bool:
        return self._proc is not None

    def __enter__(self) -> RestartableAzurite:
        self.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()


class StopStorageOnWrite:
    """Output bindings that stop ``azurite`` right before the first write of ``activity``.

    Everything else is delegated to the host's own bindings, so that write (and every write
    while Azurite is down) fails exactly as it would against an unreachable storage account.
    """

    def __init__(self, inner: Any, azurite: RestartableAzurite, activity_queue_text: Callable[[str], bool]) -> None:
        self.inner = inner
        self.azurite = azurite
        self._matches = activity_queue_text
        self.stopped_during: str | None = None

    async def flush(self, outputs: Any, values: Mapping[str, Any]) -> None:
        """``values``: what the function set on each output, by parameter name."""
        if self.stopped_during is None:
            for text in values.values():
                if isinstance(text, str) and self._matches(text):
                    self.stopped_during = text
                    await asyncio.to_thread(self.azurite.stop)
        await self.inner.flush(outputs, values)


class LoseReplyOnce:
    """Output bindings whose first write of a matching message lands, then reports failure.

    The inner bindings write the message to the queue; then this raises the error the write
    would have raised had its reply been lost (a timeout after the service stored it), so the
    activity fails and the orchestrator retries it. Every other write is delegated unchanged.
    """

    def __init__(self, inner: Any, message_text: Callable[[str], bool]) -> None:
        self.inner = inner
        self._matches = message_text
        self.lost: str | None = None

    async def flush(self, outputs: Any, values: Mapping[str, Any]) -> None:
        await self.inner.flush(outputs, values)
        if self.lost is None:
            for text in values.values():
                if isinstance(text, str) and self._matches(text):
                    self.lost = text
                    raise BindingError("could not write to the queue: the request timed out (its reply was lost)")


def queued_raw(connection_string: str, instance_id: str) -> list[str]:
    """The raw text of every message of ``instance_id`` in the queue, as stored (left in place)."""
    queue = QueueClient.from_connection_string(connection_string, NOTIFICATION_QUEUE)
    return [message.content for message in queue.receive_messages(messages_per_page=32, visibility_timeout=1)
            if json.loads(base64.b64decode(message.content).decode("utf-8"))["instanceId"] == instance_id]


def queued(connection_string: str, instance_id: str) -> list[dict[str, Any]]:
    """Every notification of ``instance_id`` in the queue, decoded, oldest first (left in place)."""
    queue = QueueClient.from_connection_string(connection_string, NOTIFICATION_QUEUE)
    messages = []
    # receive (not peek, which shows at most 32) with a short visibility timeout: sees them all.
    for message in queue.receive_messages(messages_per_page=32, visibility_timeout=1):
        decoded = json.loads(base64.b64decode(message.content).decode("utf-8"))
        if decoded["instanceId"] == instance_id:
            messages.append(decoded)
    return sorted(messages, key=lambda m: (m["at"], m["id"]))


def no_start_up_grace() -> OutputBindings:
    """The host's output bindings without the start-up grace period.

    The host retries a write to storage that has never answered for 30 s (Azurite may still be
    starting). These tests stop storage on purpose, and the app's own retry policy is what
    they prove, so each write to stopped storage fails at once, as it would once storage had
    answered.
    """
    return OutputBindings(retry_for_s=0)
