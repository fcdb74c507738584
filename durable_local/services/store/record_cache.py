"""Instance records the store's own connection read or wrote, so an episode need not read them back.

Every episode starts with ``get_instance``; almost always the row is the one this connection's
previous ``commit_episode`` (or ``create_instance``, for the first episode) wrote, and that
write knows every column it set. The cache keeps those records and is exact under two rules:

* any other connection's commit (another host process, a CLI on the same file) empties it:
  SQLite's ``PRAGMA data_version`` changes exactly then (it does not change for the
  connection's own commits), and ``get_instance`` checks it every call;
* every write of this connection that changes an existing instance row other than through an
  episode commit (replace or purge: ``_delete_instance``; rewind; entity batch) forgets that
  instance, and a failed commit forgets its instance. (Creating a row needs nothing: only
  existing rows are cached.)

An episode commit updates the entry only when it is the record the episode started from (same
execution, history length = the commit's ``history_base``); anything else forgets it. Records
are immutable values, so handing the same one out twice is safe.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ...records import EpisodeCommit, InstanceRecord


class RecordCache:
    """A bounded map of instance id -> :class:`InstanceRecord`; see the module docstring.

    Bounded by entries and by the length of the records' texts (input, output, custom status,
    saved state), so a few instances with large states cannot hold much memory; a record larger
    than a tenth of the budget is not kept.
    """

    def __init__(self, size: int = 4096, max_chars: int = 16_000_000) -> None:
        self._size = size
        self._max_chars = max_chars
        self._records: dict[str, tuple[InstanceRecord, int]] = {}
        self._chars = 0
        self._version: int | None = None

    def check_version(self, data_version: int) -> None:
        """Forget everything if another connection committed since the last check."""
        if data_version != self._version:
            self.clear()
            self._version = data_version

    def get(self, instance_id: str) -> InstanceRecord | None:
        entry = self._records.get(instance_id)
        return entry[0] if entry is not None else None

    def put(self, instance_id: str, record: InstanceRecord) -> None:
        self.forget(instance_id)  # re-inserted last: the oldest entry goes first
        status = record.status
        chars = sum(len(text) for text in (record.exec_state, status.input, status.output, status.custom_status) if text)
        if chars > self._max_chars // 10:
            return
        records = self._records
        records[instance_id] = (record, chars)
        self._chars += chars
        while len(records) > self._size or self._chars > self._max_chars:
            self.forget(next(iter(records)))

    def forget(self, instance_id: str) -> None:
        entry = self._records.pop(instance_id, None)
        if entry is not None:
            self._chars -= entry[1]

    def clear(self) -> None:
        self._records.clear()
        self._chars = 0

    def committed(self, commit: EpisodeCommit, last_updated_at: datetime) -> None:
        """The record as ``commit`` left it, if the entry is the one the episode started from.

        ``last_updated_at`` is the stored time as it reads back (the store's text round trip).
        """
        cached = self.get(commit.instance_id)
        self.forget(commit.instance_id)
        if cached is None or cached.status.execution_id != commit.execution_id:
            return
        status = cached.status
        execution_id, input_json = status.execution_id, status.input
        if commit.new_execution_id is not None:
            history_len = len(commit.append_history)
            execution_id, input_json = commit.new_execution_id, commit.new_input
        elif commit.history_base is not None and commit.history_base == cached.history_len:
            history_len = commit.history_base + len(commit.append_history)
        else:
            return
        status = replace(
            status,
            runtime_status=commit.status,
            execution_id=execution_id,
            input=input_json,
            output=commit.output,
            custom_status=commit.custom_status,
            last_updated_at=last_updated_at,
        )
        self.put(commit.instance_id, InstanceRecord(status, commit.exec_state, cached.parent, history_len))
