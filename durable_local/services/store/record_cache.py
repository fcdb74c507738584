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
    """A bounded map of instance id -> :class:`InstanceRecord`; see the module docstring."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._records: dict[str, InstanceRecord] = {}
        self._version: int | None = None

    def check_version(self, data_version: int) -> None:
        """Forget everything if another connection committed since the last check."""
        if data_version != self._version:
            self._records.clear()
            self._version = data_version

    def get(self, instance_id: str) -> InstanceRecord | None:
        return self._records.get(instance_id)

    def put(self, instance_id: str, record: InstanceRecord) -> None:
        records = self._records
        records.pop(instance_id, None)  # re-inserted last: the oldest entry goes first
        records[instance_id] = record
        if len(records) > self._size:
            del records[next(iter(records))]

    def forget(self, instance_id: str) -> None:
        self._records.pop(instance_id, None)

    def clear(self) -> None:
        self._records.clear()

    def committed(self, commit: EpisodeCommit, last_updated_at: datetime) -> None:
        """The record as ``commit`` left it, if the entry is the one the episode started from.

        ``last_updated_at`` is the stored time as it reads back (the store's text round trip).
        """
        cached = self._records.pop(commit.instance_id, None)
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
