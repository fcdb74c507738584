"""Alternating rounds of one benchmark on several checkouts, with medians and ranges.

This machine's speed drifts by ±30 % within minutes, even in CPU time, so two engines (or an
engine and the SDK alone) are compared only in alternating rounds of the same session::

    .venv/bin/python bench/rounds.py --rounds 3 --side before=/tmp/wt-before --side after=. \\
        --out /tmp/rounds.jsonl -- hello-cities5 --n 500

A side may add arguments of its own (``--extra LABEL="--workers 2"``), so that one checkout
can be run in several configurations in the same alternating rounds::

    .venv/bin/python bench/rounds.py --rounds 5 --side in-process=. --side workers-1=. --side workers-2=. \
        --extra workers-1="--workers 1" --extra workers-2="--workers 2" -- hello-cities5 --n 500

Each round runs ``bench/run.py ARGS`` once per side, each in a fresh process of this
interpreter started in that side's checkout (its ``bench/run.py`` imports its own
``durable_local``); the order of the sides is reversed every other round (A B, B A, A B, ...)
so that a steady drift does not favour one side. Every object printed by a run is appended to
``--out`` with ``side`` and ``round`` added; the summary (per-round values, median, min, max of
the main figures, per side) is printed as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

#: the figures summarised when a run reports them (see bench/run.py and bench/sdk_only.py)
FIGURES = (
    "orchestrations_per_s",
    "worker_cpu_ms_per_orchestration",
    "total_cpu_ms_per_orchestration",
    "activities_per_s",
    "sdk_only_orch_per_s",
    "ratio",
    "host_cpu_ms_per_orchestration",
    "sdk_replay_cpu_ms_per_orchestration",
    "sdk_only_cpu_ms_per_orchestration",
    "store_cpu_ms_per_orchestration",
    "p50_ms",
    "p95_ms",
    "process_cpu_utilisation",
)


def _side(text: str) -> tuple[str, Path]:
    label, sep, root = text.partition("=")
    if not sep or not label or not root:
        raise argparse.ArgumentTypeError(f"expected LABEL=CHECKOUT, got {text!r}")
    path = Path(root).resolve()
    if not (path / "bench" / "run.py").is_file():
        raise argparse.ArgumentTypeError(f"{path} has no bench/run.py")
    return label, path


def _extra(text: str) -> tuple[str, list[str]]:
    label, sep, args = text.partition("=")
    if not sep or not label:
        raise argparse.ArgumentTypeError(f'expected LABEL="ARGS", got {text!r}')
    return label, shlex.split(args)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="rounds (each runs every side once)")
    parser.add_argument("--side", type=_side, action="append", required=True, help="LABEL=CHECKOUT, repeatable")
    parser.add_argument(
        "--extra", type=_extra, action="append", default=[], help='LABEL="ARGS": more bench/run.py arguments for that side'
    )
    parser.add_argument("--out", type=Path, default=None, help="append every run's object (JSON lines) here")
    parser.add_argument("bench_args", nargs=argparse.REMAINDER, help="after --: the arguments of bench/run.py")
    options = parser.parse_args(argv)
    if options.bench_args and options.bench_args[0] == "--":
        options.bench_args = options.bench_args[1:]
    if not options.bench_args:
        parser.error("give bench/run.py's arguments after --")
    labels = {label for label, _ in options.side}
    unknown = sorted({label for label, _ in options.extra} - labels)
    if unknown:
        parser.error(f"--extra for sides that do not exist: {', '.join(unknown)}")
    return options


def run_side(root: Path, bench_args: list[str]) -> list[dict[str, Any]]:
    """One run of ``bench/run.py`` in ``root``; the objects it printed."""
    done = subprocess.run(
        [sys.executable, str(root / "bench" / "run.py"), *bench_args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench/run.py failed in {root} (exit {done.returncode}):\n{done.stderr[-4000:]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per side and scenario: each figure's per-round values, median, min and max."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["side"], run["scenario"]), []).append(run)
    summary: dict[str, Any] = {}
    for (side, scenario), group in groups.items():
        figures: dict[str, Any] = {}
        for key in FIGURES:
            values = [run[key] for run in group if isinstance(run.get(key), int | float)]
            if values:
                figures[key] = {
                    "rounds": values,
                    "median": round(statistics.median(values), 4),
                    "min": min(values),
                    "max": max(values),
                }
        summary.setdefault(side, {})[scenario] = {
            "commit": group[0].get("machine", {}).get("commit"),
            "engine_modified": group[0].get("machine", {}).get("engine_modified"),
            "figures": figures,
        }
    return summary


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    runs: list[dict[str, Any]] = []
    extra: dict[str, list[str]] = {}
    for label, args in options.extra:
        extra.setdefault(label, []).extend(args)
    for round_no in range(1, options.rounds + 1):
        sides = options.side if round_no % 2 else list(reversed(options.side))
        for label, root in sides:
            for obj in run_side(root, [*options.bench_args, *extra.get(label, [])]):
                obj = {"side": label, "round": round_no, **obj}
                runs.append(obj)
                if options.out is not None:
                    with options.out.open("a", encoding="utf-8") as out:
                        out.write(json.dumps(obj) + "\n")
                print(f"round {round_no} {label}: {obj['scenario']} done", file=sys.stderr, flush=True)
    print(json.dumps(summarise(runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
