"""SIGKILL of the host process: committed work survives, in-flight activities run again, nothing else does.

Both tests run ``python -m durable_local start`` as a child process on a state file in
``tmp_path`` (system clock), kill it with SIGKILL and start it again on the same file. After a
kill, and before the restart, the file is read directly: it shows exactly what was committed
when the host died, in particular which activities were leased (in flight). At the end:

* every instance completed with the output its input predicts;
* every history is consistent (``invariants.history_problems``): each TaskScheduled has exactly
  one TaskCompleted/TaskFailed, episodes do not overlap, nothing is repeated;
* an activity ran more than once only if it was in flight at a kill, at most once more per such
  kill; an activity whose result was committed before a kill never ran again.

Activity runs are counted from the ``step`` activity's own log (``<instance> <step> start|end``
lines, fsynced) and, for the approval app's notification activities, from the host output line
each one logs when it writes its queue message.

Sizes (reduced by default; ``DURABLE_LOCAL_FULL=1`` for full size):

=====================================  =========  ==========
test                                   default    full
=====================================  =========  ==========
mid-run kill: chains x steps           16 x 6     60 x 8
chaos: rounds (kills = rounds)         5          30
chaos: chains / approvals per round    2 / 3      3 / 4
=====================================  =========  ==========

The chaos test draws its kill moments and approval paths from ``random.Random(seed)``; the seed
comes from ``DURABLE_LOCAL_SEED`` (default 20260105) and a failure names it in the test's id and
in its message, so it reproduces.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from durable_local.protocol import EventType

from .apps.chain_blueprint import LOG_ENV, expected_chain
from .conditions import wait_until
from .host_process import HostProcess, host_environment
from .invariants import history_problems, scheduled_input
from .seed import seed_on_failure, seeded
from .state_file import StateSnapshot, read_state

pytestmark = [pytest.mark.fault, pytest.mark.e2e]

FULL = os.environ.get("DURABLE_LOCAL_FULL") == "1"
APPS = Path(__file__).parent / "apps"
API = "/runtime/webhooks/durabletask"
#: maxConcurrentActivityFunctions of both fixture apps' host.json: at most this many in flight.
MAX_IN_FLIGHT = 10

CHAINS, STEPS = (60, 8) if FULL else (16, 6)
ROUNDS = 30 if FULL else 5
CHAINS_PER_ROUND, APPROVALS_PER_ROUND = (3, 4) if FULL else (2, 3)
STEP_DELAY = 0.05  # seconds an activity takes: the window in which a kill finds it in flight


# -- helpers --------------------------------------------------------------------------------


def read_activity_log(path: Path) -> list[tuple[str, int, str]]:
    """``(instance, step, "start"|"end")`` per complete line of the step activity's log."""
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 3:
            entries.append((parts[0], int(parts[1]), parts[2]))
    return entries


def count_runs(entries: list[tuple[str, int, str]]) -> collections.Counter[tuple[str, int]]:
    return collections.Counter((iid, step) for iid, step, kind in entries if kind == "start")


def chain_input(seed: int, steps: int) -> dict[str, Any]:
    return {"seed": seed, "steps": steps, "delay": STEP_DELAY}


async def start_chain(http: aiohttp.ClientSession, base: str, instance_id: str, params: dict[str, Any]) -> int:
    # Encoded as DurableOrchestrationClient.start_new sends it (JSON text of the JSON text).
    async with http.post(f"{base}{API}/orchestrators/chain/{instance_id}", data=json.dumps(json.dumps(params))) as reply:
        await reply.read()
        return reply.status


async def list_instances(http: aiohttp.ClientSession, base: str) -> list[dict[str, Any]]:
    async with http.get(f"{base}{API}/instances", params={"showInput": "false"}) as reply:
        assert reply.status == 200, await reply.text()
        return await reply.json()


def check_chain_steps_match_task_ids(snapshot: StateSnapshot, instance_ids: list[str]) -> None:
    """In ``chain`` step n is task n (no timers): the logs' step numbers are task ids."""
    for iid in instance_ids:
        for event in snapshot.history.get(iid, []):
            if event["EventType"] == EventType.TASK_SCHEDULED:
                assert scheduled_input(event)["step"] == event["EventId"], (iid, event)


async def wait_all_finished(http: aiohttp.ClientSession, base: str, expected: int, timeout: float) -> list[dict[str, Any]]:
    async def finished() -> list[dict[str, Any]] | None:
        instances = await list_instances(http, base)
        broken = [i for i in instances if i["runtimeStatus"] in ("Failed", "Terminated")]
        assert not broken, f"instances did not complete: {broken}"
        done = [i for i in instances if i["runtimeStatus"] == "Completed"]
        return instances if len(done) == expected == len(instances) else None

    return await wait_until(finished, timeout=timeout, what=f"{expected} instances Completed")


# -- 1a. one SIGKILL in the middle of a run ---------------------------------------------------


async def test_sigkill_mid_run_resumes_every_chain_and_reruns_only_in_flight_activities(tmp_path: Path) -> None:
    log, state = tmp_path / "activities.log", tmp_path / "state.sqlite"
    env = host_environment(**{LOG_ENV: str(log)})
    ids = [f"chain-{n:03d}" for n in range(CHAINS)]
    total = CHAINS * STEPS
    first = HostProcess(APPS / "chain", state, tmp_path / "host-1.out", env)
    second = HostProcess(APPS / "chain", state, tmp_path / "host-2.out", env)
    try:
        async with aiohttp.ClientSession() as http:
            base = await first.start()
            replies = await asyncio.gather(*(start_chain(http, base, iid, chain_input(n, STEPS)) for n, iid in enumerate(ids)))
            assert set(replies) == {202}, replies

            def mid_run() -> bool:
                """A third of the activities ended and at least one has started but not ended."""
                entries = read_activity_log(log)
                ended = {(iid, step) for iid, step, kind in entries if kind == "end"}
                running = {(iid, step) for iid, step, kind in entries if kind == "start"} - ended
                return len(ended) >= total // 3 and bool(running)

            await wait_until(mid_run, timeout=60, what=f"{total // 3} activities ended and one running")
            first.kill()
            before = read_activity_log(log)
            at_kill = read_state(state)
            assert sorted(at_kill.instances) == ids, "every start was acknowledged, so every instance is on disk"
            ended_before = sum(1 for *_, kind in before if kind == "end")
            print(f"\nkilled after {ended_before}/{total} activity ends; {len(at_kill.leased())} leased at the kill")
            assert ended_before < total, "the run finished before the kill; nothing was tested"

            base = await second.start()
            instances = await wait_all_finished(http, base, CHAINS, timeout=120)
            assert sorted(i["instanceId"] for i in instances) == ids
            outputs = {}
            for iid in ids:
                async with http.get(f"{base}{API}/instances/{iid}") as reply:
                    outputs[iid] = (await reply.json())["output"]
            assert await second.stop() == 0
    finally:
        first.ensure_dead()
        second.ensure_dead()

    assert outputs == {iid: expected_chain(n, STEPS) for n, iid in enumerate(ids)}
    final = read_state(state)
    check_chain_steps_match_task_ids(final, ids)
    problems = {iid: history_problems(final.history[iid]) for iid in ids}
    assert {iid: p for iid, p in problems.items() if p} == {}

    runs = count_runs(read_activity_log(log))
    assert set(runs) == {(iid, step) for iid in ids for step in range(STEPS)}, "an activity never ran"
    duplicates = {key: count for key, count in runs.items() if count > 1}
    in_flight = at_kill.leased()
    committed = at_kill.completed_tasks()
    print(f"duplicate runs: {sorted(duplicates.items())}; in flight at the kill: {sorted(in_flight)}")
    # Only an activity leased at the kill may run again, and only once more.
    assert {key: count for key, count in duplicates.items() if key not in in_flight or count > 2} == {}
    assert sum(count - 1 for count in duplicates.values()) <= min(len(in_flight), MAX_IN_FLIGHT)
    # A result committed before the kill means that activity never started again.
    assert not (set(duplicates) & committed)
    # The brief's log-only form of the same rule: once a later step of the same instance had
    # started before the kill, the earlier step's result was committed and it must not re-run.
    started_before = collections.defaultdict(set)
    for iid, step, kind in before:
        if kind == "start":
            started_before[iid].add(step)
    for (iid, step) in duplicates:
        assert not any(later > step for later in started_before[iid]), (iid, step)


# -- 1b. chaos: many kills at random moments, approvals and chains mixed ----------------------

REQUESTER, APPROVER, HEAD = "ada@contoso.com", "bob@contoso.com", "head-of-department@contoso.com"
#: Which activity wrote a notification, by the ``<instanceId>:<step>`` id it logs.
NOTIFICATION_ACTIVITY = {"notify-approver": "NotifyApprover", "escalation": "Escalation", "decision": "Approval"}
_QUEUED = re.compile(r"handing \w+ notification (?P<instance>\S+):(?P<step>notify-approver|escalation|decision) for")
_EXECUTED = "Executed 'Functions."


@dataclass
class Planned:
    """One instance of the chaos run and what the driver still has to do for it."""

    instance_id: str
    kind: str  # "chain", or the approval path: "approved", "rejected", "escalated", "expired"
    seed: int = 0
    started: bool = False
    decided: bool = False
    final: dict[str, Any] | None = None

    @property
    def decision_stage(self) -> str | None:
        """The stage in which the driver sends the decision (None: never decide)."""
        return {"approved": "awaiting_approval", "rejected": "awaiting_approval", "escalated": "escalated"}.get(self.kind)

    def approval_body(self) -> dict[str, Any]:
        deadline, escalation = {"escalated": ("PT1S", "PT1H"), "expired": ("PT1S", "PT1S")}.get(self.kind, ("PT1H", "PT1H"))
        return {
            "title": f"chaos {self.instance_id}", "approver": APPROVER,
            "escalateTo": HEAD, "deadline": deadline, "escalationDeadline": escalation, "instanceId": self.instance_id,
        }

    def decision(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The decision body and the signed-in decider's header."""
        if self.kind == "escalated":
            return {"decision": "approved"}, {"X-MS-CLIENT-PRINCIPAL-NAME": HEAD}
        return {"decision": self.kind}, {"X-MS-CLIENT-PRINCIPAL-NAME": APPROVER}


@dataclass
class ChaosRun:
    http: aiohttp.ClientSession
    planned: dict[str, Planned] = field(default_factory=dict)

    async def _request(self, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
        async with self.http.request(method, url, timeout=aiohttp.ClientTimeout(total=10), **kwargs) as reply:
            text = await reply.text()
            return reply.status, (json.loads(text) if text else None)

    async def _advance(self, base: str, item: Planned) -> None:
        """One idempotent step for ``item``: start it, decide it, or notice it finished."""
        status, body = await self._request("GET", f"{base}{API}/instances/{item.instance_id}")
        if status == 404:
            if item.kind == "chain":
                await start_chain(self.http, base, item.instance_id, chain_input(item.seed, 4))
            else:
                # 202, or 409 when an earlier (killed) attempt did start it: both mean started.
                await self._request("POST", f"{base}/api/approvals", json=item.approval_body(),
                                    headers={"X-MS-CLIENT-PRINCIPAL-NAME": REQUESTER})
            return
        item.started = True
        if body["runtimeStatus"] in ("Completed", "Failed", "Terminated"):
            item.final = body
            return
        stage = (body.get("customStatus") or {}).get("stage") if isinstance(body.get("customStatus"), dict) else None
        if not item.decided and item.decision_stage is not None and stage == item.decision_stage:
            body, headers = item.decision()
            code, reply = await self._request(
                "POST", f"{base}/api/approvals/{item.instance_id}/decision", json=body, headers=headers
            )
            if code == 202 or (code == 409 and reply and reply.get("stage") in ("approved", "rejected")):
                item.decided = True

    async def drive_once(self, base: str) -> bool:
        """Advance every unfinished instance once; True when all of them have finished."""
        pending = [item for item in self.planned.values() if item.final is None]
        results = await asyncio.gather(*(self._advance(base, item) for item in pending), return_exceptions=True)
        for result in results:
            # The host may be killed under any request: connection errors are expected here.
            if isinstance(result, BaseException) and not isinstance(result, (aiohttp.ClientError, asyncio.TimeoutError)):
                raise result
        return all(item.final is not None for item in self.planned.values())


def expected_output(item: Planned) -> dict[str, Any]:
    if item.kind == "chain":
        return {"output": expected_chain(item.seed, 4)}
    outcome = "approved" if item.kind == "escalated" else item.kind
    decided_by = {"approved": APPROVER, "rejected": APPROVER, "escalated": HEAD, "expired": None}[item.kind]
    return {"outcome": outcome, "decidedBy": decided_by, "escalated": item.kind in ("escalated", "expired")}


def actual_output(item: Planned) -> dict[str, Any]:
    assert item.final is not None
    output = item.final["output"]
    if item.kind == "chain":
        return {"output": output}
    return {"outcome": output["outcome"], "decidedBy": output["decidedBy"], "escalated": output["escalated"]}


@seeded
@pytest.mark.timeout(1200 if FULL else 240)
async def test_chaos_random_sigkills_lose_no_instance_and_rerun_only_in_flight_activities(
    tmp_path: Path, azurite: str, seed: int
) -> None:
    with seed_on_failure(seed):
        rng = random.Random(seed)
        log, state = tmp_path / "activities.log", tmp_path / "state.sqlite"
        env = host_environment(**{LOG_ENV: str(log), "AzureWebJobsStorage": azurite})
        leased_at_kills: list[tuple[set[tuple[str, int]], set[tuple[str, str]]]] = []
        outputs: list[Path] = []
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=50)) as http:
            run = ChaosRun(http)
            for number in range(ROUNDS + 1):
                final_round = number == ROUNDS
                if not final_round:
                    for n in range(CHAINS_PER_ROUND):
                        iid = f"chain-{number:02d}-{n}"
                        run.planned[iid] = Planned(iid, "chain", seed=rng.randrange(1_000_000))
                    for n in range(APPROVALS_PER_ROUND):
                        iid = f"approval-{number:02d}-{n}"
                        run.planned[iid] = Planned(iid, rng.choice(["approved", "rejected", "escalated", "expired"]))
                host = HostProcess(APPS / "chaos", state, tmp_path / f"host-{number:02d}.out", env)
                outputs.append(host.output)
                try:
                    base = await host.start()
                    driver = asyncio.ensure_future(
                        wait_until(lambda base=base: run.drive_once(base), timeout=180, what="every chaos instance to finish")
                    )
                    if final_round:
                        try:
                            await driver
                        except TimeoutError as err:
                            unfinished = {iid: item.started for iid, item in run.planned.items() if item.final is None}
                            raise AssertionError(
                                f"{len(unfinished)} instances unfinished (id: started): {unfinished}\n"
                                f"host output tail:\n{host.text()[-3000:]}"
                            ) from err
                        assert await host.stop() == 0
                        break
                    target = rng.randint(0, 24)
                    await wait_until(
                        lambda driver=driver, host=host, target=target: driver.done() or host.text().count(_EXECUTED) >= target,
                        timeout=120,
                        what=f"{target} function executions in round {number}",
                    )
                    host.kill()
                    driver.cancel()
                    await asyncio.gather(driver, return_exceptions=True)
                    if driver.done() and not driver.cancelled() and driver.exception() is not None:
                        raise driver.exception()  # type: ignore[misc]
                    snapshot = read_state(state)
                    leased_at_kills.append((snapshot.leased(), snapshot.leased_by_name()))
                    print(f"round {number}: killed after {host.text().count(_EXECUTED)} executions "
                          f"(target {target}), {len(snapshot.leased())} activities in flight")
                finally:
                    host.ensure_dead()

        final = read_state(state)
        planned = run.planned
        assert {iid: item.final["runtimeStatus"] for iid, item in planned.items()} == dict.fromkeys(planned, "Completed")
        assert {iid: actual_output(item) for iid, item in planned.items()} == {
            iid: expected_output(item) for iid, item in planned.items()
        }
        problems = {iid: history_problems(final.history[iid]) for iid in planned}
        assert {iid: p for iid, p in problems.items() if p} == {}
        chains = [iid for iid, item in planned.items() if item.kind == "chain"]
        check_chain_steps_match_task_ids(final, chains)

        # Runs of each activity: chain steps from the step log, notifications from the host output.
        chain_runs = count_runs(read_activity_log(log))
        notification_runs: collections.Counter[tuple[str, str]] = collections.Counter()
        for path in outputs:
            text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
            for match in _QUEUED.finditer(text):
                notification_runs[(match["instance"], NOTIFICATION_ACTIVITY[match["step"]])] += 1
        leased_chain = collections.Counter(key for chain_keys, _ in leased_at_kills for key in chain_keys)
        leased_named = collections.Counter(key for _, named in leased_at_kills for key in named)

        for iid in planned:
            for event in final.history[iid]:
                if event["EventType"] != EventType.TASK_SCHEDULED:
                    continue
                key_runs = chain_runs[(iid, event["EventId"])] if iid in chains else notification_runs[(iid, event["Name"])]
                assert key_runs >= 1, f"{iid}: {event['Name']} task {event['EventId']} completed without running"
        extra_chain = {key: n - 1 for key, n in chain_runs.items() if n > 1}
        extra_notifications = {key: n - 1 for key, n in notification_runs.items() if n > 1}
        print(f"re-runs: chain steps {extra_chain}, notifications {extra_notifications}; "
              f"kills with work in flight: {sum(1 for c, _ in leased_at_kills if c)}")
        assert {key: extra for key, extra in extra_chain.items() if extra > leased_chain[key]} == {}
        assert {key: extra for key, extra in extra_notifications.items() if extra > leased_named[key]} == {}
