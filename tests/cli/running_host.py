"""``python -m durable_local start`` in a subprocess, for the CLI tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CLI_APP = Path(__file__).parent / "apps" / "cliapp"
READY_LINE = "Press Ctrl+C to stop."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningHost:
    """A host process whose output is collected by a reader thread (so its pipe never fills)."""

    def __init__(self, state: Path, *extra: str, app: Path = CLI_APP) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable,
            "-m",
            "durable_local",
            "start",
            "--app",
            str(app),
            "--port",
            str(self.port),
            "--state",
            str(state),
            *extra,
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._ended = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, text: str, timeout: float = 30) -> str:
        """Block until a line containing ``text`` was printed; fail with the output otherwise."""

        def found() -> str | None:
            return next((line for line in self.lines if text in line), None)

        with self._changed:
            self._changed.wait_for(lambda: found() is not None or self._ended, timeout)
            line = found()
        if line is None:
            raise AssertionError(f"no line with {text!r} (exit {self.process.poll()}):\n{self.output}")
        return line

    def wait_ready(self, timeout: float = 60) -> None:
        """Block until the banner is printed; fail with the output if the process died."""
        self.wait_for_line(READY_LINE, timeout)

    def stop(self, signum: int = signal.SIGINT, timeout: float = 30) -> int:
        """Signal the host and wait for it to exit; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        code = self.process.wait(timeout)
        self._reader.join(timeout)
        return code
