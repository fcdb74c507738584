"""The SDK-only replay rate of the same histories the host ran, measured in the same process.

Issue 14 asks for every host figure beside "the SDK-only replay rate of the same histories":
the function the SDK registers for an orchestrator (``registry.orchestrators[name].handle``,
the ``handle`` of ``Orchestrator.create``) called on the very context JSON strings the host
sent it, and nothing else. :class:`ContextCapture` wraps each orchestrator handle in the
registry to record ``(context JSON, reply)`` for every episode of the measured window;
:meth:`ContextCapture.replay` then calls the original handles on those strings, in the same
order, timed, with no store, dispatcher, history building or reply parsing around them.

Honesty checks: every replay must give back exactly the reply the host got for that context
(the replay raises otherwise), and the window must hold whole orchestrations (the caller says
how many orchestrations the captured episodes belong to).

The capture costs one tuple and one list append per episode; it runs inside the metering's
timed wrapper when the capture is installed first (:func:`bench.scenarios._load`), so that cost
is charged to the SDK, not the host.

With worker processes (``--workers N``) the handles run in the workers, so
:meth:`ContextCapture.instrument_runner` records each :class:`~durable_local.workers.OrchestratorCall`
and the parsed reply the host received instead; the replay then runs the same SDK handles in
this process and checks that each reply parses to the same state.
"""

from __future__ import annotations

import dataclasses
import gc
import inspect
import time
from collections.abc import Callable
from typing import Any

from durable_local.engine.episode import OrchestratorReply
from durable_local.engine.executor import reply_from_exception, reply_from_text
from durable_local.services.loader import Registry
from durable_local.workers import OrchestratorCall

#: what an episode's handle call gave: ("ok", reply JSON), ("raised", "<type>: <message>"), or
#: ("reply", the OrchestratorReply the host received from a worker process)
Outcome = tuple[str, Any]


class ContextCapture:
    """Records the context JSON and the reply of every orchestrator episode while enabled."""

    def __init__(self) -> None:
        self.enabled = False
        #: (original handle, context JSON, outcome) per episode, in call order
        self.episodes: list[tuple[Callable[[Any], str], str, Outcome]] = []

    def instrument(self, registry: Registry) -> Registry:
        """Wrap every orchestrator handle in ``registry`` (in place); returns it."""
        for name, orchestrator in list(registry.orchestrators.items()):
            registry.orchestrators[name] = dataclasses.replace(orchestrator, handle=self._wrap(orchestrator.handle))
        return registry

    def _wrap(self, handle: Callable[[Any], str]) -> Callable[[Any], str]:
        episodes = self.episodes

        def capturing(context: Any) -> str:
            if not self.enabled:
                return handle(context)
            try:
                reply = handle(context)
            except Exception as err:
                episodes.append((handle, context, ("raised", f"{type(err).__name__}: {err}")))
                raise
            episodes.append((handle, context, ("ok", reply)))
            return reply

        capturing.__wrapped__ = handle  # type: ignore[attr-defined]
        return capturing

    def instrument_runner(self, runner: Any, registry: Registry) -> None:
        """Record the episodes a worker pool runs (``runner.orchestrate``), for the same replay."""
        original = runner.orchestrate
        # the SDK's own handles, under any wrapper of this process's metering
        handles = {name: inspect.unwrap(o.handle) for name, o in registry.orchestrators.items()}
        episodes = self.episodes

        async def capturing(call: OrchestratorCall) -> OrchestratorReply:
            reply = await original(call)
            if self.enabled:
                episodes.append((handles[call.name], call.context_json, ("reply", reply)))
            return reply

        runner.orchestrate = capturing

    def start(self) -> None:
        self.episodes.clear()
        self.enabled = True

    def stop(self) -> None:
        self.enabled = False

    def replay(self, orchestrations: int, *, host_rate: float | None = None) -> dict[str, Any]:
        """Replay every captured episode through its handle alone; the SDK-only figures.

        ``sdk_only_orch_per_s`` = ``orchestrations`` / wall time of replaying all their episodes.
        ``ratio`` = ``host_rate`` / that rate (the host's throughput as a share of the SDK-only one).
        Raises ``RuntimeError`` if any replay's reply differs from the one the host received.
        """
        episodes = list(self.episodes)
        if not episodes:
            raise RuntimeError("no orchestrator episode was captured")
        calls = [(handle, context) for handle, context, _ in episodes]
        results: list[tuple[bool, Any]] = []
        append = results.append
        gc.collect()  # garbage left by the host run is not the SDK's to collect
        cpu_started = time.process_time()
        started = time.perf_counter()
        for handle, context in calls:
            try:
                append((True, handle(context)))
            except Exception as err:
                append((False, err))
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        replies = [_outcome(episode[2][0], result) for episode, result in zip(episodes, results, strict=True)]
        mismatched = [i for i, (episode, reply) in enumerate(zip(episodes, replies, strict=True)) if episode[2] != reply]
        if mismatched:
            first = mismatched[0]
            raise RuntimeError(
                f"SDK-only replay differs from the host's reply in {len(mismatched)} of {len(episodes)} episodes;"
                f" first at #{first}: host {episodes[first][2]!r} vs replay {replies[first]!r}"
            )
        rate = orchestrations / wall
        result: dict[str, Any] = {
            "sdk_only_orch_per_s": round(rate, 2),
            "sdk_only_wall_s": round(wall, 4),
            "sdk_only_cpu_ms_per_orchestration": round(cpu * 1000 / orchestrations, 4),
            "sdk_only_episodes": len(episodes),
            # every reply compared, not a sample: a replay that differed would have raised above
            "sdk_only_replies_identical": len(episodes),
            "sdk_only_context_bytes_per_orchestration": round(sum(len(c) for _, c in calls) / orchestrations, 1),
        }
        if host_rate is not None:
            result["ratio"] = round(host_rate / rate, 4)
        return result


def _outcome(kind: str, result: tuple[bool, Any]) -> Outcome:
    """A replay's result in the form of the captured outcome it is compared with."""
    ok, value = result
    if kind == "reply":  # the host got it parsed from a worker: parse this one the same way
        return ("reply", reply_from_text(value) if ok else reply_from_exception(value))
    return ("ok", value) if ok else ("raised", f"{type(value).__name__}: {value}")


__all__ = ["ContextCapture", "Outcome"]
