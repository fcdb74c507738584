"""A private Azurite (blob, queue, table) on free loopback ports, for tests and scripts.

    with running_azurite(tmp_dir) as endpoints:
        client = QueueClient.from_connection_string(endpoints.connection_string, "q")

Contract:
- Azurite is the npm package pinned in package.json; `make test` installs it with `npm ci`.
  A missing binary raises AzuriteNotInstalled (tests must fail, never skip, without it).
- The ports are chosen by the OS (Azurite is started with port 0 and we read the ports it
  reports), so two sessions never race for the same "free" port.
- Entering waits for all three services and for the queue port to accept a TCP connection,
  bounded by `startup_timeout`; a crash or timeout raises AzuriteStartError with Azurite's output.
- Leaving terminates Azurite, and kills it if it has not exited after `stop_timeout`.
"""

from __future__ import annotations

import collections
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
AZURITE_BIN = REPO_ROOT / "node_modules" / ".bin" / "azurite"
HOST = "127.0.0.1"

# Azurite's well-known development account; the key is public and only works against the emulator.
ACCOUNT_NAME = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

# The line each service logs once its socket is listening (Azurite 3.35, see package.json).
_LISTENING = re.compile(
    r"Azurite (?P<service>Blob|Queue|Table) service is successfully listening at "
    r"https?://[^\s:]+:(?P<port>\d+)"
)
_SERVICES = frozenset({"Blob", "Queue", "Table"})


class AzuriteNotInstalled(RuntimeError):
    """node_modules/.bin/azurite does not exist: run `make test` (it runs `npm ci`)."""


class AzuriteStartError(RuntimeError):
    """Azurite exited or did not listen before the startup deadline; the message holds its output."""


@dataclass(frozen=True)
class AzuriteEndpoints:
    """Where a running Azurite listens."""

    blob_port: int
    queue_port: int
    table_port: int
    host: str = HOST

    @property
    def connection_string(self) -> str:
        """An explicit connection string (not UseDevelopmentStorage=true, which means the default ports)."""
        base = f"http://{self.host}"
        return (
            "DefaultEndpointsProtocol=http;"
            f"AccountName={ACCOUNT_NAME};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={base}:{self.blob_port}/{ACCOUNT_NAME};"
            f"QueueEndpoint={base}:{self.queue_port}/{ACCOUNT_NAME};"
            f"TableEndpoint={base}:{self.table_port}/{ACCOUNT_NAME};"
        )


class _OutputWatcher:
    """Drains Azurite's output on a thread (so its pipe never fills) and notes the ports it reports."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.ports: dict[str, int] = {}
        self.tail: collections.deque[str] = collections.deque(maxlen=50)
        # Set when all three ports are known or when Azurite's output ends (it exited).
        self.settled = threading.Event()
        self._thread = threading.Thread(target=self._drain, args=(proc,), daemon=True)
        self._thread.start()

    def _drain(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.tail.append(line.rstrip())
            if match := _LISTENING.search(line):
                self.ports[match["service"]] = int(match["port"])
                if self.ports.keys() >= _SERVICES:
                    self.settled.set()
        self.settled.set()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def output(self) -> str:
        return "\n".join(self.tail) or "(no output)"


def _wait_until_accepting(proc: subprocess.Popen[str], port: int, deadline: float) -> bool:
    """Poll until `port` accepts a TCP connection; False if Azurite exits or the deadline passes."""
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=deadline - time.monotonic()):
                return True
        except OSError:
            pass
        # Waiting on the process (not sleeping) returns at once if Azurite dies meanwhile.
        try:
            proc.wait(timeout=0.05)
            return False
        except subprocess.TimeoutExpired:
            continue
    return False


def _stop(proc: subprocess.Popen[str], timeout: float) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def running_azurite(
    location: Path,
    *,
    binary: Path = AZURITE_BIN,
    startup_timeout: float = 30.0,
    stop_timeout: float = 10.0,
) -> Iterator[AzuriteEndpoints]:
    """Run Azurite with its data in `location` for the duration of the `with` block."""
    if not binary.exists():
        raise AzuriteNotInstalled(
            f"{binary} not found: run `make test`, which installs Azurite from package.json "
            "(or `npm ci` in the repository root)."
        )
    location.mkdir(parents=True, exist_ok=True)
    args = [str(binary), "--location", str(location)]
    for service in ("blob", "queue", "table"):
        args += [f"--{service}Host", HOST, f"--{service}Port", "0"]
    args += [
        "--silent",  # no access log: tests make thousands of requests
        "--skipApiVersionCheck",  # SDKs newer than the emulator still work
        "--loose",  # ignore headers the emulator does not support instead of failing
        "--disableTelemetry",  # Azurite phones home by default; this network allows no such traffic
    ]
    proc = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=location,
    )
    watcher = _OutputWatcher(proc)
    try:
        deadline = time.monotonic() + startup_timeout
        watcher.settled.wait(timeout=startup_timeout)
        ports = dict(watcher.ports)
        if ports.keys() < _SERVICES or not _wait_until_accepting(proc, ports["Queue"], deadline):
            state = "exited" if proc.poll() is not None else f"not ready after {startup_timeout:.0f}s"
            raise AzuriteStartError(f"Azurite {state}; its output:\n{watcher.output()}")
        yield AzuriteEndpoints(blob_port=ports["Blob"], queue_port=ports["Queue"], table_port=ports["Table"])
    finally:
        _stop(proc, stop_timeout)
        watcher.join(timeout=stop_timeout)
