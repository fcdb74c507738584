"""Durable state: the :class:`Store` contract and its SQLite implementation."""

from .base import ActivityItem, EpisodeCommit, InstanceRecord, Message, ParentRef, Store
from .sqlite import SqliteStore

__all__ = ["ActivityItem", "EpisodeCommit", "InstanceRecord", "Message", "ParentRef", "SqliteStore", "Store"]
