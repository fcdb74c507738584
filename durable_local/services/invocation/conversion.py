"""The worker's argument conversion: binding data (a ``Datum``) in, the Python value a function gets out.

The Python worker picks a converter from the ``azure.functions`` binding registry by binding type
(worker ``bindings/meta.py``): ``timerTrigger`` gives a ``TimerRequest``, ``queueTrigger`` a
``QueueMessage``, ``blob``/``blobTrigger`` an ``InputStream``. A parameter annotated ``str`` or
``bytes`` on a binding without implicit output, and any binding type the library has no
converter for (``table``), goes through the worker's generic binding, which passes the value
through as it came (worker ``bindings/generic.py``). The local host calls the same library
converters with the same ``Datum`` shapes the host would send, so functions see what they see
on Azure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import azure.functions as func
from azure.functions.meta import Datum

__all__ = ["Datum", "GenericBinding", "converter", "decode_argument", "has_implicit_output"]


class GenericBinding:
    """The worker's ``GenericBinding``: str/bytes in, str/bytes/bytearray out, values passed through."""

    @staticmethod
    def check_input_type_annotation(pytype: type) -> bool:
        return issubclass(pytype, (str, bytes))

    @staticmethod
    def check_output_type_annotation(pytype: type) -> bool:
        return issubclass(pytype, (str, bytes, bytearray))

    @staticmethod
    def decode(data: Datum | None, *, trigger_metadata: Mapping[str, Datum] | None) -> Any:
        if data is None or data.type is None:
            return None
        if data.type in ("string", "bytes", "json"):
            return data.value
        raise ValueError(f'unexpected type of data received for the "generic" binding : {data.type!r}')


def converter(binding_type: str) -> Any:
    """The worker's converter for a binding type (the generic binding when the library has none)."""
    found = func.get_binding_registry().get(binding_type)  # type: ignore[no-untyped-call]
    return found if found is not None else GenericBinding


def has_implicit_output(binding_type: str) -> bool:
    """worker ``bindings.meta.has_implicit_output``: the generic binding has one, except durableClient."""
    found = converter(binding_type)
    if found is GenericBinding:
        return binding_type != "durableClient"
    return bool(getattr(found, "has_implicit_output", lambda: False)())


def decode_argument(
    binding_type: str, datum: Datum, annotation: Any, trigger_metadata: Mapping[str, Datum] | None = None
) -> Any:
    """The value the worker passes for ``datum`` to a parameter annotated ``annotation`` (or not at all)."""
    use = converter(binding_type)
    if annotation in (str, bytes) and not has_implicit_output(binding_type):
        use = GenericBinding
    return use.decode(datum, trigger_metadata=trigger_metadata)
