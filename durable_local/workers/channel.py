"""One end of a worker's socket pair as an asyncio protocol: whole messages in, batched writes out.

A protocol rather than a ``StreamReader`` loop: every chunk the socket delivers is cut into
frames and handed to ``on_message`` in the same callback, with no task switch per message, and
the messages sent during one turn of the event loop go out in one ``write`` (one system call)
at the end of that turn. Both matter when an episode or an activity result costs a tenth of a
millisecond of host time (docs/benchmarks.md#worker-processes).

Loop thread only: a worker's threads hand messages over with ``loop.call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from . import frames


class Channel(asyncio.Protocol):
    """See the module docstring. ``on_lost`` is called once, when the other end is gone."""

    def __init__(self, on_message: Callable[[object], None], on_lost: Callable[[], None]) -> None:
        self._on_message = on_message
        self._on_lost = on_lost
        self._buffer = bytearray()
        self._pending: list[bytes] = []
        self._transport: asyncio.Transport | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    async def open(cls, sock: object, on_message: Callable[[object], None], on_lost: Callable[[], None]) -> Channel:
        loop = asyncio.get_running_loop()
        _, channel = await loop.create_unix_connection(lambda: cls(on_message, on_lost), sock=sock)  # type: ignore[arg-type]
        return channel

    # -- asyncio.Protocol ---------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._loop = asyncio.get_running_loop()

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        offset = 0
        for message, end in frames.split(buffer):
            offset = end
            self._on_message(message)
        if offset:
            del buffer[:offset]

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._on_lost()

    # -- sending ----------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    def send(self, message: object) -> None:
        """Queue ``message`` for the end of this loop turn; raises if it does not pickle."""
        data = frames.encode(message)
        if not self._pending and self._loop is not None:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(b"".join(pending))

    def close(self) -> None:
        """Send what is queued, then close (the other end sees the end of the stream)."""
        self._flush()
        if self._transport is not None:
            self._transport.close()
