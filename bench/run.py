"""Benchmarks of the local Durable host: flags in, one JSON object per run out.

    .venv/bin/python bench/run.py hello-cities5 [--n 1000]
    .venv/bin/python bench/run.py approval-http [--n 200] [--concurrency 10]
    .venv/bin/python bench/run.py fan-out [--n 1000]          # n = K activities
    .venv/bin/python bench/run.py long-sequence [--n 1000]    # n = M sequential steps
    .venv/bin/python bench/run.py time-skip [--n 5]           # n = runs of ten daily reminders
    .venv/bin/python bench/run.py step-latency [--n 200]
    .venv/bin/python bench/run.py worker-call [--n 2000]     # one call into a worker vs in process
    .venv/bin/python bench/run.py all                         # every scenario, one line each
    .venv/bin/python bench/run.py hello-cities5 --n 300 --profile /tmp/hello.pstats --profile-top 40
    .venv/bin/python bench/run.py hello-cities5 --n 500 --workers 2   # the app in two worker processes

Every object holds ``scenario``, ``n``, ``wall_s``, ``p50_ms``/``p95_ms`` (null where a
scenario has no per-item latency), ``sdk_cpu_share`` and the scenario's own figures, plus
``config`` (the flags) and ``machine`` (cores, versions). hello-cities5 and step-latency also
replay the contexts of their measured episodes through the SDK's handle alone, right after the
host's window (``sdk_only_orch_per_s``, ``ratio`` = host rate / SDK-only rate; bench/sdk_only.py);
bench/rounds.py runs alternating rounds of any of these on several checkouts. Nothing here is a test: no figure is
asserted, only correctness (every orchestration completed with the expected output).
See docs/benchmarks.md for what each figure means and the results on the reference machine.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import logging
import pstats
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # run as a script: make `durable_local`, `bench`, `tests` importable
    sys.path.insert(0, str(REPO_ROOT))

from bench.metering import machine_facts  # noqa: E402
from bench.scenarios import SCENARIOS  # noqa: E402


async def _approval_http(options: argparse.Namespace) -> dict[str, Any]:
    from bench.approval_http import approval_http

    return await approval_http(options)


async def _worker_call(options: argparse.Namespace) -> dict[str, Any]:
    from bench.transport import worker_call

    return await worker_call(options)


RUNNERS = {**SCENARIOS, "approval-http": _approval_http, "worker-call": _worker_call}
ORDER = ["hello-cities5", "approval-http", "fan-out", "long-sequence", "time-skip", "step-latency"]
#: --state default per scenario: ten reminders are measured on :memory: (goal G1's setting).
DEFAULT_STATE = {"time-skip": "memory"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=[*ORDER, "worker-call", "all"])
    parser.add_argument("--n", type=int, default=None, help="size: orchestrations, K fan-out activities, M steps or runs (scenario default if omitted)")
    parser.add_argument("--state", choices=["file", "memory"], default=None, help="SQLite file in a temp dir (default) or :memory:")
    parser.add_argument("--clock", choices=["system", "manual"], default="system", help="clock for the scenarios without timers")
    parser.add_argument("--storage", choices=["azurite", "none"], default="azurite", help="queue output binding target (time-skip, approval-http)")
    parser.add_argument("--max-activities", type=int, default=None, help="concurrent activities (default: the app's host.json)")
    parser.add_argument("--workers", type=int, default=0, help="worker processes running the app (0: in the bench's own process, as the test API; N: as `durable-local start --workers N`)")
    parser.add_argument("--warmup", type=int, default=5, help="instances run before the measured window")
    parser.add_argument("--concurrency", type=int, default=10, help="approval-http: concurrent clients")
    parser.add_argument("--poll-ms", type=float, default=5.0, help="approval-http: client status poll interval")
    parser.add_argument("--idle-window", type=float, default=3.0, help="step-latency: seconds of idleness to count dispatcher wake-ups")
    parser.add_argument("--breakdown", action="store_true", help="also time every store method (adds a little overhead)")
    parser.add_argument("--sdk-only", action=argparse.BooleanOptionalAction, default=True, help="hello-cities5, step-latency: replay the captured contexts through the SDK's handle alone (sdk_only_*, ratio); --no-sdk-only skips it, e.g. under --profile")
    parser.add_argument("--sdk-fast-timestamps", action="store_true", help="what-if: SDK parses history timestamps with fromisoformat (bench/what_if.py)")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after this many seconds")
    parser.add_argument("--log-level", default="WARNING", help="logging level of the host (default WARNING)")
    parser.add_argument("--profile", type=Path, default=None, help="write cProfile stats of the run to this file")
    parser.add_argument("--profile-top", type=int, default=0, help="print the top N functions by cumulative time to stderr")
    return parser.parse_args(argv)


def _config(options: argparse.Namespace, scenario: str) -> dict[str, Any]:
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(options).items()}
    config["scenario"] = scenario
    return config


def run_one(scenario: str, options: argparse.Namespace) -> dict[str, Any]:
    scenario_options = argparse.Namespace(**vars(options))
    scenario_options.state = options.state or DEFAULT_STATE.get(scenario, "file")
    profiler = cProfile.Profile() if options.profile or options.profile_top else None
    if profiler is not None:
        profiler.enable()
    try:
        results = asyncio.run(RUNNERS[scenario](scenario_options))
    finally:
        if profiler is not None:
            profiler.disable()
    if profiler is not None:
        _write_profile(profiler, options)
    return {"scenario": scenario, **results, "config": _config(scenario_options, scenario), "machine": machine_facts()}


def _write_profile(profiler: cProfile.Profile, options: argparse.Namespace) -> None:
    if options.profile:
        profiler.dump_stats(str(options.profile))
    if options.profile_top:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(options.profile_top)
        out.write("\n")
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(options.profile_top)
        out.write("\n")  # the host's own functions only (what an engine optimisation would touch)
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats("durable_local", options.profile_top)
        sys.stderr.write(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    logging.basicConfig(level=options.log_level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    if options.sdk_fast_timestamps:
        from bench.what_if import fast_history_timestamps

        fast_history_timestamps()
    scenarios = ORDER if options.scenario == "all" else [options.scenario]
    for scenario in scenarios:
        print(json.dumps(run_one(scenario, options)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
