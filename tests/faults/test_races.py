"""Decisions racing deadlines: every approval ends exactly one way, and nothing is left running.

Hundreds of approvals of the repository's app run on :func:`durable_local.testing.run_host`
with a :class:`ManualClock` (needs Azurite: the notification activities write to its queue).
All start at the same virtual instant with ``deadline`` PT1H and ``escalationDeadline`` PT1H, so
every instance's timer falls due at the same moment. Then, per instance in a seeded random
order relative to the clock jump, a decision is sent (through the app's decision endpoint or
the Durable API's raiseEvent, also chosen at random):

* ``before``  the decision's 202 has arrived when the clock jumps past the deadline (its event
  may or may not have been processed yet);
* ``racing``  the request is in flight when the clock jumps;
* ``after``   the request starts right after the jump, while the timers are firing.

Stage 1 decisions race the approver's deadline; stage 2 decisions race the escalation
deadline; some instances get no decision at all. After the host is idle past both deadlines:

* every instance is Completed (none stuck Running) with exactly one outcome: the decision sent
  (``escalated`` says which side won in stage 1), or ``expired`` — only possible for a decision
  that lost its race or for no decision (below);
* the history holds one NotifyApprover, one Escalation exactly when the output says escalated,
  one Approval exactly when the outcome is a decision, and is consistent otherwise.

Decisions through the app's endpoint are made as the signed-in approver or escalation target
(``X-MS-CLIENT-PRINCIPAL-NAME``). A stage 1 decision the endpoint accepted (202: validated while
the request awaited approval) still decides after the escalation; one that reached the endpoint
after the escalation is refused (403), and the approval expires. A stage 1 event raised directly
on the Durable HTTP API (always 202) carries no validated stage: it decides if the orchestrator
takes it before the escalation and is ignored after it. A stage 2 decision that lost its race
(409/410, or 202 but the timer came first) leaves the approval to expire.

Sizes: 200 approvals by default, 1000 with ``DURABLE_LOCAL_FULL=1``. Seed: ``DURABLE_LOCAL_SEED``
(default 20260105), named in the test's id and in the failure message if the test fails.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from durable_local.protocol import EventType
from durable_local.services.clock import ManualClock
from durable_local.testing import TestHost, run_host

from .invariants import history_problems
from .seed import seed_on_failure, seeded

pytestmark = [pytest.mark.fault]

FULL = os.environ.get("DURABLE_LOCAL_FULL") == "1"
APPROVALS = 1000 if FULL else 200
REPO_ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
APPROVER, HEAD = "bob@contoso.com", "head-of-department@contoso.com"
AS_REQUESTER = {"X-MS-CLIENT-PRINCIPAL-NAME": "ada@contoso.com"}
API = "/runtime/webhooks/durabletask"


@dataclass
class Plan:
    instance_id: str
    stage: int  # 1: decide racing the first deadline, 2: racing the escalation deadline, 0: never
    order: str  # "before", "racing" or "after" the clock jump
    decision: str  # "approved" or "rejected"
    channel: str  # "app" (POST /api/approvals/{id}/decision) or "raiseEvent" (Durable HTTP API)
    reply: int | None = None

    @property
    def by(self) -> str:
        return APPROVER if self.stage == 1 else HEAD


async def decide(host: TestHost, plan: Plan) -> None:
    if plan.channel == "app":
        url = host.url(f"/api/approvals/{plan.instance_id}/decision")
        body, headers = {"decision": plan.decision}, {"X-MS-CLIENT-PRINCIPAL-NAME": plan.by}
    else:
        url = host.url(f"{API}/instances/{plan.instance_id}/raiseEvent/ApprovalDecision")
        body, headers = {"decision": plan.decision, "by": plan.by}, {}
    async with host.http.post(url, json=body, headers=headers) as reply:
        await reply.read()
        plan.reply = reply.status


async def race(host: TestHost, plans: list[Plan], deadline: datetime) -> None:
    """Send each plan's decision before, around or after the clock jumps past ``deadline``."""
    clock = host.clock
    assert isinstance(clock, ManualClock)
    by_order = collections.defaultdict(list)
    for plan in plans:
        by_order[plan.order].append(plan)
    await asyncio.gather(*(decide(host, p) for p in by_order["before"]))
    racing = [asyncio.ensure_future(decide(host, p)) for p in by_order["racing"]]
    await asyncio.sleep(0)  # let the racing requests leave (a yield, not a wait)
    clock.skip_to(deadline)
    after = [asyncio.ensure_future(decide(host, p)) for p in by_order["after"]]
    await asyncio.gather(*racing, *after)
    await host.idle()


@seeded
@pytest.mark.timeout(900 if FULL else 120)
async def test_decisions_racing_deadlines_end_each_approval_exactly_once(
    azurite: str, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    with seed_on_failure(seed):
        rng = random.Random(seed)
        monkeypatch.setenv("ESCALATE_TO", HEAD)
        plans = [
            Plan(
                f"race-{n:04d}",
                stage=rng.choices([1, 2, 0], weights=[6, 3, 1])[0],
                order=rng.choice(["before", "racing", "after"]),
                decision=rng.choice(["approved", "rejected"]),
                channel=rng.choice(["app", "raiseEvent"]),
            )
            for n in range(APPROVALS)
        ]
        async with run_host(REPO_ROOT, clock=ManualClock(START)) as host:

            async def start(plan: Plan) -> int:
                body = {
                    "title": f"race {plan.instance_id}", "approver": APPROVER,
                    "escalateTo": HEAD, "deadline": "PT1H", "escalationDeadline": "PT1H", "instanceId": plan.instance_id,
                }
                async with host.http.post(host.url("/api/approvals"), json=body, headers=AS_REQUESTER) as reply:
                    await reply.read()
                    return reply.status

            assert set(await asyncio.gather(*(start(p) for p in plans))) == {202}
            await host.idle()
            # Every deadline is START + 1h plus the few microseconds the manual clock ticked.
            await race(host, [p for p in plans if p.stage == 1], START + timedelta(hours=1, seconds=1))
            stage_one_replies = collections.Counter((p.channel, p.order, p.reply) for p in plans if p.stage == 1)
            await race(host, [p for p in plans if p.stage == 2], START + timedelta(hours=2, seconds=2))
            await host.advance(timedelta(hours=1))
            statuses = {p.instance_id: await host.status(p.instance_id) for p in plans}
            histories = {p.instance_id: await host.history(p.instance_id) for p in plans}

        # Stage 1: no instance can have finished before its decision arrived. The endpoint accepts
        # the approver until the escalation is recorded (always before the jump) and refuses after.
        unexpected = {key: n for key, n in stage_one_replies.items()
                      if key[2] != 202 and not (key[0] == "app" and key[1] != "before" and key[2] == 403)}
        assert unexpected == {}
        stuck = {iid: str(s.runtime_status) for iid, s in statuses.items() if s is None or str(s.runtime_status) != "Completed"}
        assert stuck == {}

        wrong: dict[str, Any] = {}
        won = collections.Counter()
        for plan in plans:
            output = json.loads(statuses[plan.instance_id].output)
            names = collections.Counter(
                e["Name"] for e in histories[plan.instance_id] if e["EventType"] == EventType.TASK_SCHEDULED
            )
            decided = output["outcome"] in ("approved", "rejected")
            problems = history_problems(histories[plan.instance_id])
            if names != collections.Counter(
                {"NotifyApprover": 1, **({"Escalation": 1} if output["escalated"] else {}), **({"Approval": 1} if decided else {})}
            ):
                problems.append(f"side effects {dict(names)} do not match the output {output}")
            if plan.stage == 1 and plan.channel == "app":
                expected = ({(plan.decision, plan.by, False), (plan.decision, plan.by, True)} if plan.reply == 202
                            else {("expired", None, True)})
            elif plan.stage == 1:
                expected = {(plan.decision, plan.by, False), ("expired", None, True)}
            elif plan.stage == 2:
                expected = {("expired", None, True)}
                if plan.reply in (202,):
                    expected.add((plan.decision, plan.by, True))
            else:
                expected = {("expired", None, True)}
            actual = (output["outcome"], output["decidedBy"], output["escalated"])
            if actual not in expected:
                problems.append(f"outcome {actual}, expected one of {sorted(expected, key=repr)} (reply {plan.reply})")
            if problems:
                wrong[plan.instance_id] = problems
            won[(plan.stage, plan.order, "decision" if decided and not (plan.stage == 1 and output["escalated"]) else "deadline")] += 1
        print("who won, by (stage, order):", dict(sorted(won.items())))
        assert wrong == {}


async def test_a_decision_accepted_before_the_deadline_wins_when_both_reach_the_orchestrator_together(
    azurite: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The decision is queued (what a 202 means) at START+1min; the host gets to it only after
    the 1-hour deadline has passed too (a busy host, or one killed and restarted late), so one
    episode receives both. Queue semantics deliver messages in the order they became visible:
    the EventRaised (visible at START+1min) before the TimerFired (visible at START+1h), so the
    approver's decision, made in time, must win — and history must not show the TimerFired
    before an EventRaised stamped an hour earlier.
    """
    monkeypatch.setenv("ESCALATE_TO", HEAD)
    async with run_host(REPO_ROOT, clock=ManualClock(START)) as host:
        body = {"title": "late host", "approver": APPROVER, "deadline": "PT1H", "instanceId": "in-time"}
        async with host.http.post(host.url("/api/approvals"), json=body, headers=AS_REQUESTER) as reply:
            assert reply.status == 202, await reply.text()
        await host.advance(timedelta(minutes=1))
        # Queued and acknowledged; no await between this and the jump, so the dispatcher has not run.
        await host.host.raise_event("in-time", "ApprovalDecision", json.dumps({"decision": "approved", "by": APPROVER}))
        host.clock.skip_to(START + timedelta(hours=1, minutes=5))
        await host.idle()
        status = await host.wait_for("in-time")
        history = await host.history("in-time")
    delivered = [e["EventType"] for e in history if e["EventType"] in (EventType.EVENT_RAISED, EventType.TIMER_FIRED)]
    output = json.loads(status.output)
    assert (output["outcome"], output["escalated"]) == ("approved", False), (output, delivered)
