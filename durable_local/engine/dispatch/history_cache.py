"""Stored histories kept in memory as JSON texts, so an episode need not read them back."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from ...records import InstanceRecord


class HistoryCache:
    """An LRU of ``instance id -> (execution id, stored event texts)``.

    An entry is served only while it matches the instance row (execution id and history
    length), so a purge, a recreated instance or another writer can never serve a stale history.
    """

    def __init__(self, size: int, load: Callable[[str], list[str]]) -> None:
        self._size = size
        self._load = load
        self._entries: OrderedDict[str, tuple[str, list[str]]] = OrderedDict()

    def played(self, record: InstanceRecord) -> list[str]:
        """The stored history of ``record``'s current execution (from memory when current)."""
        instance_id = record.status.instance_id
        cached = self._entries.get(instance_id)
        if cached is not None and cached[0] == record.status.execution_id and len(cached[1]) == record.history_len:
            self._entries.move_to_end(instance_id)
            return cached[1]
        texts = self._load(instance_id)
        self._put(instance_id, record.status.execution_id, texts)
        return texts

    def committed(self, instance_id: str, execution_id: str, texts: tuple[str, ...], *, replaced: bool) -> None:
        """Extend (or, after continue-as-new, replace) an entry with what was just committed."""
        cached = self._entries.get(instance_id)
        if replaced or cached is None or cached[0] != execution_id:
            self._put(instance_id, execution_id, list(texts))
        else:
            cached[1].extend(texts)

    def forget(self, instance_id: str) -> None:
        self._entries.pop(instance_id, None)

    def _put(self, instance_id: str, execution_id: str, texts: list[str]) -> None:
        self._entries[instance_id] = (execution_id, texts)
        self._entries.move_to_end(instance_id)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
