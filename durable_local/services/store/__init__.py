"""Durable state: the :class:`Store` contract and its SQLite implementation."""

from .base import Store
from .sqlite import SqliteStore
from .trigger_state import BlobReceipt, ReceiptState, ScheduleStatus, TriggerStateStore

__all__ = ["BlobReceipt", "ReceiptState", "ScheduleStatus", "SqliteStore", "Store", "TriggerStateStore"]
