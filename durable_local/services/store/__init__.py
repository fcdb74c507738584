"""Durable state: the :class:`Store` contract and its SQLite implementation."""

from .base import Store
from .sqlite import SqliteStore

__all__ = ["SqliteStore", "Store"]
