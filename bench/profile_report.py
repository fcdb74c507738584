"""Summarise a py-spy profile of a benchmark run: where on-CPU time goes, SDK vs host areas.

cProfile (``bench/run.py ... --profile-top N``) sees only the event loop thread and inflates
pure-Python code (the SDK's date parsing) relative to C code (SQLite). A sampling profile of all
threads is closer to the truth; py-spy is not a project dependency, install it where needed::

    pip install py-spy
    py-spy record --rate 200 --format raw --threads -o /tmp/hello.folded -- \\
        .venv/bin/python bench/run.py hello-cities5 --n 1000
    .venv/bin/python bench/profile_report.py /tmp/hello.folded

Idle samples (thread-pool workers waiting for work, the loop waiting in ``select``) are dropped;
the rest is split into the SDK's replay, the activity code and areas of the host. Record with
``--no-sdk-only`` (or read the "bench: SDK-only replay" line apart): the SDK-only figure replays
every captured episode again after the host's window.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

#: (area, substring of a frame) in priority order: the first area whose marker is on the stack wins.
AREAS = (
    # the SDK-only figure's replay (bench/sdk_only.py) runs after the host's window: its own area
    ("bench: SDK-only replay after the run (not the host run)", "replay (bench/sdk_only.py"),
    ("SDK replay (Orchestrator.handle)", "durable_functions/orchestrator.py"),
    ("activity code", "SayHello"),
    # py-spy sometimes cannot unwind below the benchmark's CPU-accounting wrapper (bench/metering.py,
    # ``_timed.<locals>.timed``, which py-spy names ``timed``); on the loop thread that wrapper only
    # ever wraps Orchestrator.handle (activity threads are relabelled below).
    ("SDK replay (Orchestrator.handle)", "timed (bench/metering.py"),
    ("host: store (services/store/)", "services/store/"),
    ("host: executor.build_context", "build_context (durable_local/engine/executor.py"),
    ("host: executor.run_activity (thread hop, df_dumps)", "run_activity (durable_local/engine/executor.py"),
    # the dispatcher (engine/dispatch/) is on every loop stack: the engine core's own files first
    *(
        ("host: engine core (episode, actions, delivery, state)", f"durable_local/engine/{module}.py")
        for module in ("episode", "actions", "replies", "delivery", "state", "nondeterminism", "entities")
    ),
    ("host: history event factories", "durable_local/engine/history.py"),
    ("host: JSON encoding (jsontext)", "durable_local/jsontext.py"),
    ("host: dispatcher (own code)", "durable_local/engine/dispatch/"),
    ("host: HTTP (aiohttp, durable_local/frontends/http)", "aiohttp/"),
    ("start-up (imports)", "<module>"),
)
IDLE_LEAVES = ("_worker (concurrent/futures/thread.py:81", "select (selectors.py", "EpollSelector.select")
HOST_FILES = ("durable_local/engine/", "services/store/", "durable_local/jsontext.py", "host.py", "services/bindings/", "frontends/http/")


def _name(frame: str) -> str:
    function, _, where = frame.partition(" (")
    return f"{function} ({where.rsplit(':', 1)[0]})" if where else function


def summarise(path: Path, top: int) -> str:
    areas: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = idle = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        thread, *frames = stack.split(";")
        if not frames:
            continue
        samples = int(count)
        if frames[-1].startswith(IDLE_LEAVES):
            idle += samples
            continue
        total += samples
        joined = ";".join(frames)
        area = next((a for a, marker in AREAS if marker in joined), "host: asyncio loop, threads, other")
        if area.startswith("SDK") and ": activity" in thread:
            area = "activity code"
        areas[area] += samples
        if not area.startswith(("SDK", "activity")):
            for name in {_name(f) for f in frames if any(h in f for h in HOST_FILES)}:
                inclusive[name] += samples
    lines = [f"on-CPU samples: {total} (idle samples dropped: {idle})", ""]
    lines += [f"{n / total * 100:6.1f}%  {a}" for a, n in areas.most_common()]
    lines += ["", "host functions, inclusive share of all on-CPU samples:"]
    lines += [f"{n / total * 100:6.1f}%  {a}" for a, n in inclusive.most_common(top)]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folded", type=Path, help="py-spy --format raw output")
    parser.add_argument("--top", type=int, default=30)
    options = parser.parse_args()
    print(summarise(options.folded, options.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
