"""SIGKILL of worker processes (and once of the host) while chains run on ``--workers 2``.

The host runs ``python -m durable_local start --workers 2`` on a state file. While the chains
run, the test kills a worker process (picked with the seeded ``random.Random``) several times,
each time when an activity is in flight, and once kills the host itself, which must take its
workers with it (they exit when their socket closes) and be restarted on the same file. At the
end:

* every instance completed with the output its input predicts, and every history is
  consistent (``invariants.history_problems``);
* every kill of a worker was seen: the host logged ``Language Worker Process exited`` with the
  killed pid, and replaced the worker;
* an activity ran more than once only if it was in flight (leased) at a kill, at most once more
  per such kill; once a later step of the same chain had started, an earlier step never ran
  again (its result was committed).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import random
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from .apps.chain_blueprint import LOG_ENV, expected_chain
from .conditions import wait_until
from .host_process import HostProcess, host_environment
from .invariants import history_problems
from .seed import seed_on_failure, seeded
from .state_file import read_state
from .test_kill9 import (
    APPS,
    FULL,
    STEPS,
    chain_input,
    check_chain_steps_match_task_ids,
    count_runs,
    read_activity_log,
    start_chain,
    wait_all_finished,
)

pytestmark = [pytest.mark.fault, pytest.mark.e2e]

CHAINS = 40 if FULL else 12
WORKER_KILLS = 12 if FULL else 4
API = "/runtime/webhooks/durabletask"


async def worker_pids(http: aiohttp.ClientSession, base: str) -> dict[str, int]:
    """Ready workers by name, from the dashboard's info."""
    async with http.get(f"{base}/_dashboard/api/info") as reply:
        info = await reply.json()
    return {w["name"]: w["pid"] for w in info["workerProcesses"] if w["state"] == "ready"}


async def _two_ready(http: aiohttp.ClientSession, base: str) -> dict[str, int] | None:
    pids = await worker_pids(http, base)
    return pids if len(pids) == 2 else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child of ours would still answer; the workers are the host's children, not ours.
    return True


@seeded
@pytest.mark.timeout(600 if FULL else 240)
async def test_worker_and_host_sigkills_lose_no_instance_and_rerun_only_interrupted_activities(
    tmp_path: Path, seed: int
) -> None:
    with seed_on_failure(seed):
        rng = random.Random(seed)
        log, state = tmp_path / "activities.log", tmp_path / "state.sqlite"
        env = host_environment(**{LOG_ENV: str(log)})
        ids = [f"chain-{n:03d}" for n in range(CHAINS)]
        total = CHAINS * STEPS
        hosts = [
            HostProcess(APPS / "chain", state, tmp_path / f"host-{n}.out", env, args=("--workers", "2")) for n in (1, 2)
        ]
        leased_at_kills: list[set[tuple[str, int]]] = []
        killed: list[int] = []
        outputs: dict[str, Any] = {}
        try:
            async with aiohttp.ClientSession() as http:
                host = hosts[0]
                base = await host.start()
                replies = await asyncio.gather(
                    *(start_chain(http, base, iid, chain_input(n, STEPS)) for n, iid in enumerate(ids))
                )
                assert set(replies) == {202}, replies
                for kill in range(WORKER_KILLS + 1):
                    ended_target = total * (kill + 1) // (WORKER_KILLS + 3)

                    def in_flight(target: int = ended_target) -> bool:
                        entries = read_activity_log(log)
                        ended = {(i, s) for i, s, kind in entries if kind == "end"}
                        started = {(i, s) for i, s, kind in entries if kind == "start"}
                        return len(ended) >= target and bool(started - ended)

                    await wait_until(in_flight, timeout=120, what=f"{ended_target} activities ended and one running")
                    if kill == WORKER_KILLS // 2:
                        # The host itself: its workers must exit on their own, then a new host resumes.
                        workers = list((await worker_pids(http, base)).values())
                        host.kill()
                        leased_at_kills.append(read_state(state).leased())
                        await wait_until(
                            lambda workers=workers: not any(alive(pid) for pid in workers),
                            timeout=30,
                            what="the orphaned workers to exit",
                        )
                        host = hosts[1]
                        base = await host.start()
                        continue
                    pids = await wait_until(
                        lambda base=base: worker_pids(http, base), timeout=60, what="a ready worker"
                    )
                    victim = pids[rng.choice(sorted(pids))]
                    before = read_state(state).leased()
                    os.kill(victim, 9)
                    killed.append(victim)
                    await asyncio.sleep(0)
                    after = read_state(state).leased()
                    leased_at_kills.append(before | after)
                    await wait_until(
                        lambda victim=victim, host=host: f"Language Worker Process exited. Pid={victim}." in host.text(),
                        timeout=30,
                        what=f"the host to notice that worker pid {victim} exited",
                    )
                await wait_all_finished(http, base, CHAINS, timeout=180)
                for iid in ids:
                    async with http.get(f"{base}{API}/instances/{iid}") as reply:
                        outputs[iid] = (await reply.json())["output"]
                final_workers = await wait_until(
                    lambda base=base: _two_ready(http, base), timeout=60, what="both worker slots ready again"
                )
                assert await host.stop() == 0
        finally:
            for each in hosts:
                each.ensure_dead()

        assert outputs == {iid: expected_chain(n, STEPS) for n, iid in enumerate(ids)}
        assert len(final_workers) == 2 and not set(final_workers.values()) & set(killed)
        final = read_state(state)
        check_chain_steps_match_task_ids(final, ids)
        problems = {iid: history_problems(final.history[iid]) for iid in ids}
        assert {iid: p for iid, p in problems.items() if p} == {}

        entries = read_activity_log(log)
        runs = count_runs(entries)
        assert set(runs) == {(iid, step) for iid in ids for step in range(STEPS)}, "an activity never ran"
        leased = collections.Counter(key for keys in leased_at_kills for key in keys)
        extra = {key: n - 1 for key, n in runs.items() if n > 1}
        print(f"\n{len(killed)} worker kills, 1 host kill; re-runs {extra}")
        assert {key: n for key, n in extra.items() if n > leased[key]} == {}
        # Once step n+1 of a chain started, step n's result was committed: it never runs again.
        first_later_start: dict[str, int] = {}
        for index, (iid, step, kind) in enumerate(entries):
            if kind == "start" and step > 0:
                first_later_start.setdefault(f"{iid} {step - 1}", index)
        for index, (iid, step, kind) in enumerate(entries):
            later = first_later_start.get(f"{iid} {step}")
            assert not (kind == "start" and later is not None and index > later), (iid, step, json.dumps(entries[-5:]))
