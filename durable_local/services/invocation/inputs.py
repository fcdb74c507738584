"""Input bindings the local host reads before an invocation: blob and table inputs.

For each :class:`~durable_local.services.loader.InputBinding` the binding expressions in its
properties are filled from the trigger's binding data (:mod:`.expressions`), the data is read
with the official SDKs, wrapped in the ``Datum`` the host would send and converted by the
worker's converter for the parameter's annotation (:mod:`.conversion`):

* blob: the content as a string (UTF-8, the host's default ``dataType``) or bytes with
  ``data_type=BINARY``; ``func.InputStream`` (no trigger metadata for input bindings, so its
  ``name``/``uri``/``length`` are None, as on Azure), ``str`` or ``bytes``; a missing blob gives None;
* table: the JSON text of one entity (``partitionKey`` + ``rowKey``) or of an array (query with
  ``filter`` and ``take``), as a ``str``; a missing single entity fails the invocation, as the
  Tables extension does.

Failures raise :class:`~durable_local.errors.BindingError` naming the binding, never the
connection string.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import Any

from azure.core.exceptions import AzureError

from ...errors import BindingError
from ..bindings import storage
from ..bindings.connections import DEFAULT_CONNECTION_SETTING, resolve_connection_string
from ..loader import InputBinding
from .conversion import Datum, decode_argument
from .expressions import resolve_expressions


def is_binary(settings: Mapping[str, Any]) -> bool:
    """``dataType: binary`` (the decorators write ``BINARY``)."""
    return str(settings.get("dataType") or "").lower() == "binary"


def blob_datum(content: bytes | None, binary: bool) -> Datum:
    """The ``TypedData`` the host sends for blob content (host ``FunctionBinding.ConvertStreamToValue``)."""
    if content is None:
        return Datum(None, None)
    if binary:
        return Datum(content, "bytes")
    # .NET StreamReader(UTF-8) replaces invalid sequences with U+FFFD.
    return Datum(content.decode("utf-8", errors="replace"), "string")


class InputReader:
    """Reads a function's input bindings for one invocation."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ if environ is not None else os.environ

    async def read(
        self, inputs: tuple[InputBinding, ...], binding_data: Mapping[str, Any], annotations: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The argument value of each input binding, by parameter name."""
        values: dict[str, Any] = {}
        for binding in inputs:
            datum = await asyncio.to_thread(self._read, binding, binding_data)
            values[binding.name] = decode_argument(binding.type, datum, annotations.get(binding.name))
        return values

    def _read(self, binding: InputBinding, data: Mapping[str, Any]) -> Datum:
        settings = binding.settings
        setting = str(settings.get("connection") or DEFAULT_CONNECTION_SETTING)
        key = "path" if binding.type == "blob" else "tableName"
        context = f"Input binding '{binding.name}' ({binding.type} '{settings.get(key)}', connection setting '{setting}')"
        try:
            connection_string = resolve_connection_string(setting, self._environ)
            if binding.type == "blob":
                path = resolve_expressions(str(settings.get("path") or ""), data)
                container, name = storage.split_blob_path(path)
                return blob_datum(storage.read_blob(connection_string, container, name), is_binary(settings))
            if binding.type == "table":
                table = resolve_expressions(str(settings.get("tableName") or ""), data)

                def optional(name: str) -> str | None:
                    raw = settings.get(name)
                    return resolve_expressions(str(raw), data) if raw not in (None, "") else None

                take = settings.get("take")
                text = storage.read_table(
                    connection_string,
                    table,
                    partition_key=optional("partitionKey"),
                    row_key=optional("rowKey"),
                    filter=optional("filter"),
                    take=int(take) if take not in (None, "") else None,
                )
                return Datum(text, "json")
            raise BindingError(f"binding type '{binding.type}' is not supported by the local host")
        except BindingError as err:
            raise BindingError(f"{context} failed: {err}") from err
        except (ValueError, AzureError) as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise BindingError(f"{context} failed: {first[:300]}") from err
