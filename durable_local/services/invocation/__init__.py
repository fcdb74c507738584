"""Invoking user functions: the one call site (:mod:`.invoker`), argument conversion as the worker
does it (:mod:`.conversion`), binding expressions (:mod:`.expressions`) and input bindings
(:mod:`.inputs`)."""

from .context import InvocationContext
from .conversion import Datum, decode_argument
from .expressions import json_properties, resolve_expressions
from .inputs import InputReader, blob_datum, is_binary
from .invoker import Invocation, InvocationResult, InvocationRunner, Invoker
from .portable import HttpRequestData, materialize

__all__ = [
    "Datum",
    "HttpRequestData",
    "InputReader",
    "Invocation",
    "InvocationContext",
    "InvocationResult",
    "InvocationRunner",
    "Invoker",
    "blob_datum",
    "decode_argument",
    "is_binary",
    "json_properties",
    "materialize",
    "resolve_expressions",
]
