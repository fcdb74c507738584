"""Trigger bookkeeping kept in the host's state file: timer schedule status and blob receipts.

The Functions host keeps these in the app's storage account (``azure-webjobs-hosts``): a timer's
``ScheduleStatus`` blob (ext ``StorageScheduleMonitor``: ``timers/{hostId}/{timer}/status``) and
one receipt blob per function and blob version (stb ``BlobReceiptManager``:
``blobreceipts/{hostId}/{functionId}/{etag}/{container}/{blob}``). The local host keeps them in
its SQLite file instead, beside the orchestrations, so a restart on the same state file neither
re-fires a blob nor forgets a timer's last run. :class:`TriggerStateStore` is the narrow
interface the trigger listeners need; :class:`~.sqlite.SqliteStore` implements it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ScheduleStatus:
    """A timer's ``ScheduleStatus`` (ext ``ScheduleStatus``): times are timezone-aware UTC.

    ``last`` is None until the first run (the extension writes ``default(DateTime)`` then).
    """

    last: datetime | None
    next: datetime
    last_updated: datetime


class ReceiptState(StrEnum):
    """Where a blob version is in its life: waiting to run (or to run again), done, or given up."""

    PENDING = "pending"
    DONE = "done"
    POISONED = "poisoned"


@dataclass(frozen=True, slots=True)
class BlobReceipt:
    """One function's receipt for one blob version (identified by its ETag).

    ``attempts`` counts failed runs; the blob trigger gives up after ``poisonBlobThreshold``.
    """

    function_name: str
    container: str
    blob_name: str
    etag: str
    state: ReceiptState = ReceiptState.PENDING
    attempts: int = 0


class TriggerStateStore(Protocol):
    """Timer status and blob receipts. Every method is one transaction; none raises on a miss."""

    def get_schedule_status(self, timer_name: str) -> ScheduleStatus | None:
        """The timer's saved status, or None before its first save."""

    def set_schedule_status(self, timer_name: str, status: ScheduleStatus) -> None:
        """Save (replace) the timer's status."""

    def get_blob_receipt(self, function_name: str, container: str, blob_name: str, etag: str) -> BlobReceipt | None:
        """The receipt of that function for that blob version, or None."""

    def add_blob_receipt(self, receipt: BlobReceipt) -> bool:
        """Insert ``receipt`` unless one exists for the same key; True when it was inserted."""

    def update_blob_receipt(self, receipt: BlobReceipt) -> None:
        """Save the receipt's state and attempts (inserting it if missing)."""
