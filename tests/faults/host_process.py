"""The local host as a child process: ``python -m durable_local start``, SIGKILL, restart.

:class:`HostProcess` starts the CLI on a free port (``--port 0``; the banner names the URL it
listens on), sends everything it prints to a file (a pipe nobody reads would fill and block the
host), kills it with SIGKILL or stops it with SIGTERM, and reads its peak RSS from ``/proc``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from .conditions import wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
_BANNER = re.compile(r"Durable management API: (?P<base>http://\S+?)/runtime/webhooks/durabletask")


def host_environment(**extra: str) -> dict[str, str]:
    """This process's environment (AzureWebJobsStorage included) with the repository importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


class HostProcess:
    """One run of ``python -m durable_local start`` on ``app_dir`` with state in ``state``."""

    def __init__(
        self,
        app_dir: Path,
        state: Path,
        output: Path,
        env: dict[str, str],
        clock: str = "system",
        args: tuple[str, ...] = (),
    ) -> None:
        self.app_dir = app_dir
        self.args = args
        self.state = state
        self.output = output
        self.env = env
        self.clock = clock
        self.proc: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def text(self) -> str:
        """Everything the host printed so far."""
        return self.output.read_text(encoding="utf-8", errors="replace") if self.output.exists() else ""

    async def start(self, timeout: float = 60.0) -> str:
        """Start the host and wait for its banner; returns the base URL."""
        args = [
            sys.executable, "-m", "durable_local", "start",
            "--app", str(self.app_dir), "--port", "0", "--state", str(self.state), "--clock", self.clock,
            *self.args,
        ]
        with open(self.output, "ab") as sink:
            self.proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT, env=self.env, cwd=REPO_ROOT
            )

        def ready() -> str | None:
            match = _BANNER.search(self.text())
            if match:
                return match["base"]
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"the host exited with {self.proc.returncode} before listening:\n{self.text()[-4000:]}")
            return None

        self.base_url = await wait_until(ready, timeout=timeout, what=f"the host banner in {self.output}")
        return self.base_url

    def kill(self) -> None:
        """SIGKILL: no cleanup, no drain, whatever was committed stays."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()

    async def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait for a clean exit (the host drains in-flight activities); returns the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        proc = self.proc
        await wait_until(lambda: proc.poll() is not None, timeout=timeout, what="the host to exit after SIGTERM", interval=0.05)
        return proc.returncode

    def peak_rss_bytes(self) -> int:
        """The process's peak resident set size (``VmHWM``); only while it is alive."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmHWM in /proc status")

    def ensure_dead(self) -> None:
        """Test cleanup: kill the process if a failing test left it running."""
        self.kill()
