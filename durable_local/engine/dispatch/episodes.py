"""Running one orchestration episode: fetch its messages, replay through the SDK, commit.

The replay is the one await: the :class:`~durable_local.workers.FunctionRunner` runs it inline
(in process) or in a worker process, while the host serves other instances. Everything read
before it (the instance, its messages, the cached history) is checked again by the store at
commit time, so a change made meanwhile (an event raised, a terminate, a purge) either waits
for the next episode or makes this one stale, never lost.
"""

from __future__ import annotations

import logging
import time

from ...protocol import TERMINAL_STATUSES
from ...records import InstanceRecord
from ...services.clock import Clock
from ...services.loader import Registry
from ...services.store import Store
from ...workers.calls import FunctionRunner, OrchestratorCall
from ..actions import KnownFunctions
from ..episode import Episode, OrchestratorReply, ReplayRequest
from ..executor import build_context
from .history_cache import HistoryCache
from .policy import DispatcherOptions
from .work_items import WorkItemRunner

logger = logging.getLogger("durable_local")


class EpisodeRunner(WorkItemRunner):
    """Runs the due episode of an instance; a store failure abandons it for a later retry."""

    kind = "episode"

    def __init__(
        self, store: Store, registry: Registry, clock: Clock, options: DispatcherOptions, runner: FunctionRunner
    ) -> None:
        super().__init__(store, registry, clock, options, runner)
        self.functions = KnownFunctions(registry.activities.keys(), registry.orchestrators.keys(), registry.entities.keys())
        self.cache = HistoryCache(options.history_cache_size, store.get_history_texts)
        #: episodes that delivered at least one event (a benchmark figure)
        self.episodes = 0

    async def _run(self, instance_id: str) -> bool:
        record = self.store.get_instance(instance_id)
        now = self.clock.now()
        messages = self.store.fetch_messages(instance_id, now)
        if record is None or not messages:
            return False
        episode = Episode(record, messages, now, self.functions)
        for message_id, why in episode.delivery.dropped:
            logger.info("%s: dropped message %d (%s)", instance_id, message_id, why)
        if not episode.has_work:
            return False
        if episode.delivery.events:
            self.episodes += 1
        while (request := episode.next_replay()) is not None:
            episode.apply_reply(await self._replay(request, record))
        commit = episode.commit()
        try:
            self.store.commit_episode(commit)
        except BaseException:
            self.cache.forget(instance_id)
            raise
        terminal = commit.status in TERMINAL_STATUSES
        if terminal:
            self.cache.forget(instance_id)
        else:
            execution_id = commit.new_execution_id or commit.execution_id
            self.cache.committed(
                instance_id, execution_id, commit.append_history, replaced=commit.new_execution_id is not None
            )
        if self.on_commit is not None:
            self.on_commit()
        if commit.append_history and terminal:
            logger.info("%s: orchestration '%s' %s", instance_id, record.status.name, commit.status)
        return True

    async def _replay(self, request: ReplayRequest, record: InstanceRecord) -> OrchestratorReply:
        played = [] if request.fresh else self.cache.played(record)
        context = build_context(
            played=played,
            new=request.new_events,
            input_json=request.input_json,
            instance_id=request.instance_id,
            parent_instance_id=request.parent_instance_id,
            timer_settings=self.options.timer_settings,
        )
        started = time.perf_counter()
        reply = await self.runner.orchestrate(OrchestratorCall(request.name, context))
        logger.debug(
            "%s: episode replayed %d events in %.2f ms",
            request.instance_id,
            len(played) + len(request.new_events),
            (time.perf_counter() - started) * 1000,
        )
        return reply
