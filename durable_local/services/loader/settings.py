"""App settings and ``%NAME%`` resolution, the way the Functions host resolves them.

The host reads app settings from its configuration (``local.settings.json`` ``Values`` under
``func start``, exported to the environment here by :mod:`.environment`; real environment
variables win). .NET configuration keys are case-insensitive and ``__`` stands for ``:``, so
:meth:`AppSettings.get` matches names the same way.

``%NAME%`` is resolved with the WebJobs SDK's ``ResolveWholeString`` (sdk
``NameResolverExtensions``): every ``%name%`` in a value is replaced, so ``orders-%ENV%`` works;
a ``%`` without its closing ``%`` and a name with no value are errors with the SDK's wording.

Where it applies (one place, :func:`resolve_binding` and :func:`resolve_hub_name`):

* binding properties the extensions resolve (``[AutoResolve]`` or resolved explicitly): timer
  ``schedule``, queue ``queueName``, blob ``path``, table ``tableName``/``partitionKey``/
  ``rowKey``/``filter``, durable client ``taskHub``/``connectionName``, and ``connection`` on any
  binding. HTTP ``route`` and the durable triggers' function names are used literally, as the host
  does.
* host.json ``extensions.durableTask.hubName`` (dfx ``DurableTaskOptions.ResolveAppSettingOptions``).
  ``extensions.http.routePrefix`` is NOT resolved: the host reads it as a plain option (ext
  ``HttpOptions.RoutePrefix``), so a ``%`` there stays literal here too (a warning says so).

Deviation: the host disables just the one function whose binding names an unknown setting
(``The 'f' function is in error: ...``) and keeps serving the others; the local host refuses to
start with the same wording, so the mistake is seen at once (issue 11).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from ...errors import MissingSettingError

#: Binding properties holding values to resolve, by binding type ("*": every type).
RESOLVED_PROPERTIES: dict[str, frozenset[str]] = {
    "*": frozenset({"connection"}),
    "timerTrigger": frozenset({"schedule"}),
    "queueTrigger": frozenset({"queueName"}),
    "queue": frozenset({"queueName"}),
    "blobTrigger": frozenset({"path"}),
    "blob": frozenset({"path"}),
    "table": frozenset({"tableName", "partitionKey", "rowKey", "filter"}),
    "durableClient": frozenset({"taskHub", "connectionName"}),
}

#: ``DurableTaskOptions.HubName`` rules for the Azure Storage provider (dfx ``AzureStorageOptions.ValidateHubName``).
_HUB_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{2,44}$")


class AppSettings:
    """Read-only view of the app settings (the environment, where local.settings.json was exported)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ if environ is not None else os.environ

    def get(self, name: str) -> str | None:
        """The setting's value, or None. Case-insensitive, ``:`` and ``__`` alike (.NET configuration)."""
        value = self._environ.get(name)
        if value is not None:
            return value
        wanted = name.replace(":", "__").lower()
        for key, candidate in self._environ.items():
            if key.replace(":", "__").lower() == wanted:
                return candidate
        return None

    def has_section(self, name: str) -> bool:
        """True when some ``name__<key>`` setting exists (an identity-based connection section)."""
        prefix = name.replace(":", "__").lower() + "__"
        return any(key.replace(":", "__").lower().startswith(prefix) for key in self._environ)

    def resolve(self, text: str) -> str:
        """``ResolveWholeString``: replace every ``%name%``; raise ValueError with the SDK's wording."""
        out: list[str] = []
        i = 0
        while i < len(text):
            start = text.find("%", i)
            if start < 0:
                out.append(text[i:])
                break
            end = text.find("%", start + 1)
            if end < 0:
                raise ValueError(f"The '%' at position {start} does not have a closing '%'")
            name = text[start + 1 : end]
            value = self.get(name)
            if value is None:
                raise ValueError(f"'%{name}%' does not resolve to a value.")
            out.append(text[i:start])
            out.append(value)
            i = end + 1
        return "".join(out)


def function_error(function_name: str, message: str) -> str:
    """The host's wording for a function that failed indexing (host EventId 402 + sdk ``FunctionIndexingException``)."""
    return (
        f"The '{function_name}' function is in error: Microsoft.Azure.WebJobs.Host: Error indexing method "
        f"'Functions.{function_name}'. {message}"
    )


def resolve_binding(settings: AppSettings, function_name: str, binding: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``binding`` (its JSON form) with the resolvable properties resolved.

    Raises :class:`MissingSettingError` with the host's wording, naming the setting.
    """
    btype = str(binding.get("type", ""))
    names = RESOLVED_PROPERTIES["*"] | RESOLVED_PROPERTIES.get(btype, frozenset())
    resolved = dict(binding)
    for key in names:
        value = binding.get(key)
        if isinstance(value, str) and "%" in value:
            try:
                resolved[key] = settings.resolve(value)
            except ValueError as err:
                raise MissingSettingError(
                    function_error(function_name, f"Microsoft.Azure.WebJobs.Host: {err}")
                    + _refusal_hint(value)
                ) from err
    return resolved


def resolve_hub_name(settings: AppSettings, hub_name: str, *, azure_storage: bool) -> str:
    """host.json ``hubName`` with ``%NAME%`` resolved; validated as the Azure Storage provider does.

    The extension resolves with ``TryResolveWholeString`` and silently keeps the literal on a
    miss; with Azure Storage the literal then fails the hub-name validation, whose wording this
    error keeps. Other providers would run with the literal name: refused here too (issue 11).
    """
    try:
        resolved = settings.resolve(hub_name)
    except ValueError as err:
        raise MissingSettingError(
            f"host.json extensions.durableTask.hubName '{hub_name}': {err} "
            f"Task hub name '{hub_name}' should contain only alphanumeric characters, start with a letter, "
            "and have length between 3 and 45." + _hub_hint(hub_name, azure_storage)
        ) from err
    if azure_storage and not _HUB_NAME.match(resolved):
        raise MissingSettingError(
            f"Task hub name '{resolved}' should contain only alphanumeric characters, start with a letter, "
            "and have length between 3 and 45. (host.json extensions.durableTask.hubName"
            + (f" '{hub_name}'" if resolved != hub_name else "")
            + ")"
        )
    return resolved


def _hub_hint(value: str, azure_storage: bool) -> str:
    """What to do about an unresolved hubName, and what the real host does with it."""
    names = ", ".join(re.findall(r"%([^%]*)%", value)) or "the setting"
    real = (
        "The extension keeps the literal name, which the Azure Storage provider rejects: the host does not start."
        if azure_storage
        else "The extension would run with the literal name as the task hub; the local host refuses it."
    )
    return f" Add {names} to local.settings.json Values (or the environment). {real}"


def _refusal_hint(value: str) -> str:
    names = re.findall(r"%([^%]*)%", value)
    where = ", ".join(names) if names else "the setting"
    return (
        f" Add {where} to local.settings.json Values (or the environment). The Functions host would only "
        "disable this function; the local host refuses to start so the mistake shows at once."
    )
