"""Bindings the local host serves itself: storage connections and output bindings."""

from .connections import DEFAULT_CONNECTION_SETTING, DEVELOPMENT_CONNECTION_STRING, resolve_connection_string
from .outputs import OutputBindings, queue_messages, table_entities
from .values import OutValue, prepare_outputs, set_values

__all__ = [
    "DEFAULT_CONNECTION_SETTING",
    "DEVELOPMENT_CONNECTION_STRING",
    "OutValue",
    "OutputBindings",
    "prepare_outputs",
    "queue_messages",
    "resolve_connection_string",
    "set_values",
    "table_entities",
]
