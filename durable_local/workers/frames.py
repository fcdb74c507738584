"""The messages between the host and a worker process, and their framing on the socket.

One Unix socket pair per worker (the Python worker's gRPC stream plays this part on Azure):
every message is a 4-byte big-endian length and a pickle. Both ends are this package's own
code, started by the host for the host, so pickle is safe here and keeps the cost of a call to
two ``pickle`` calls and one socket write each way (about 0.05 ms per round trip on the
reference machine, beside ~3-10 ms of SDK replay per episode; measured in
docs/benchmarks.md#worker-processes).

Host to worker: :class:`Request`. Worker to host: :class:`Ready` or :class:`LoadFailed` once,
then :class:`Reply` per request and :class:`LogLine` for each log record the app emits.
"""

from __future__ import annotations

import pickle
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..engine.failures import WorkerError
from .calls import Call

_HEADER = struct.Struct("!I")


@dataclass(frozen=True)
class Request:
    id: int
    call: Call


@dataclass(frozen=True)
class Reply:
    """The call's value, or ``error`` when the call itself failed (a function's raised exception)."""

    id: int
    value: Any
    error: WorkerError | None = None


@dataclass(frozen=True)
class Ready:
    """The app is imported and indexed: the worker takes requests."""

    pid: int
    functions: tuple[str, ...]


@dataclass(frozen=True)
class LoadFailed:
    """The app could not be loaded in the worker (the host refuses to start, or retries a restart)."""

    message: str


@dataclass(frozen=True)
class LogLine:
    """A log record of the app (the worker's ``RpcLog``): level, logger name, formatted text."""

    level: int
    logger: str
    text: str


def encode(message: object) -> bytes:
    """One frame; raises ``pickle.PicklingError`` (or ``TypeError``, ...) for a value that cannot cross."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def split(buffer: bytearray) -> Iterator[tuple[object, int]]:
    """The complete messages at the start of ``buffer``, each with the offset just after it."""
    offset = 0
    size = len(buffer)
    while size - offset >= _HEADER.size:
        (length,) = _HEADER.unpack_from(buffer, offset)
        end = offset + _HEADER.size + length
        if end > size:
            return
        yield pickle.loads(buffer[offset + _HEADER.size : end]), end
        offset = end
