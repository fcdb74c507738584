"""The durable client binding JSON and the management links built from it.

A function with ``@app.durable_client_input(client_name=...)`` receives this JSON *string*; the
SDK's ``df_client_middleware`` turns it into a ``DurableOrchestrationClient`` (protocol notes
2.1). Shapes follow ``ext: Bindings/BindingHelper.DurableOrchestrationClientToString`` and
``ext: HttpApiHandler.GetInstanceCreationLinks / GetClientResponseLinks``.

One deliberate deviation: the real host serves the SDK's RPC calls on a separate loopback
listener, ``http://127.0.0.1:17071/durabletask/`` (``ext: LocalHttpListener.cs``). The local host
serves the same handlers on its one port under ``/durabletask/``, so ``rpcBaseUrl`` is
``{base_url}/durabletask/`` (trailing slash kept: the SDK appends ``instances/...`` directly).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote_plus

#: Public management API path (Functions 2.x+), ``ext: HttpApiHandler.GetWebhookUri``.
WEBHOOK_PATH = "/runtime/webhooks/durabletask"
#: Where the local host serves the SDK's RPC calls (the real host: a second port, see module doc).
RPC_PATH = "/durabletask"
#: ``ext: DurableTaskExtension.GetDefaultConnectionName`` for the Azure Storage provider.
DEFAULT_CONNECTION_NAME = "Storage"
INSTANCE_PLACEHOLDER = "INSTANCEID"

#: Keys of a check-status response body, in the extension's order
#: (``ext: HttpApiHandler.CreateCheckStatusResponseMessage``; no rewindPostUri there).
CHECK_STATUS_KEYS = (
    "id",
    "statusQueryGetUri",
    "sendEventPostUri",
    "terminatePostUri",
    "purgeHistoryDeleteUri",
    "restartPostUri",
    "suspendPostUri",
    "resumePostUri",
)


def url_encode(value: str) -> str:
    """``System.Net.WebUtility.UrlEncode``: space becomes ``+``, ``-_.!*()`` stay."""
    return quote_plus(value, safe="-_.!*()")


def management_urls(
    origin: str,
    hub_name: str,
    instance_id: str,
    system_key: str | None = None,
    connection_name: str = DEFAULT_CONNECTION_NAME,
) -> dict[str, str]:
    """The ``managementUrls`` object for one instance (``ext: GetClientResponseLinks``).

    ``origin`` is ``scheme://host:port``; the id is URL-encoded the way the extension does it.
    """
    prefix = f"{origin}{WEBHOOK_PATH}/instances/{url_encode(instance_id)}"
    suffix = f"taskHub={url_encode(hub_name)}&connection={url_encode(connection_name)}"
    if system_key:
        suffix += f"&code={url_encode(system_key)}"
    return {
        "id": instance_id,
        "statusQueryGetUri": f"{prefix}?{suffix}",
        "sendEventPostUri": f"{prefix}/raiseEvent/{{eventName}}?{suffix}",
        "terminatePostUri": f"{prefix}/terminate?reason={{text}}&{suffix}",
        "rewindPostUri": f"{prefix}/rewind?reason={{text}}&{suffix}",
        "purgeHistoryDeleteUri": f"{prefix}?{suffix}",
        "restartPostUri": f"{prefix}/restart?{suffix}",
        "suspendPostUri": f"{prefix}/suspend?reason={{text}}&{suffix}",
        "resumePostUri": f"{prefix}/resume?reason={{text}}&{suffix}",
    }


def check_status_payload(origin: str, hub_name: str, instance_id: str, system_key: str | None = None) -> dict[str, str]:
    """Body of the extension's 202 check-status response for ``instance_id``."""
    urls = management_urls(origin, hub_name, instance_id, system_key)
    return {key: urls[key] for key in CHECK_STATUS_KEYS}


def creation_urls(base_url: str, system_key: str | None = None) -> dict[str, str]:
    """``creationUrls`` (``ext: GetInstanceCreationLinks``).

    The extension appends the webhook's own query string after ``?`` even when it is empty, so
    without keys the URLs end in ``?`` / ``&``; reproduced as is.
    """
    prefix = f"{base_url}{WEBHOOK_PATH}/orchestrators/{{functionName}}[/{{instanceId}}]"
    query = f"code={url_encode(system_key)}" if system_key else ""
    return {
        "createNewInstancePostUri": f"{prefix}?{query}",
        "createAndWaitOnNewInstancePostUri": (
            f"{prefix}?timeout={{timeoutInSeconds}}&pollingInterval={{intervalInSeconds}}&{query}"
        ),
    }


def client_binding(base_url: str, hub_name: str, system_key: str | None = None) -> dict[str, Any]:
    """The binding object, key order and nulls as the extension serializes it."""
    base_url = base_url.rstrip("/")
    return {
        "taskHubName": hub_name,
        "creationUrls": creation_urls(base_url, system_key),
        "managementUrls": management_urls(base_url, hub_name, INSTANCE_PLACEHOLDER, system_key),
        "baseUrl": f"{base_url}{WEBHOOK_PATH}",
        "requiredQueryStringParameters": f"code={url_encode(system_key)}" if system_key else "",
        "rpcBaseUrl": f"{base_url}{RPC_PATH}/",
        "connectionName": None,
        "httpBaseUrl": None,
    }


def client_binding_json(base_url: str, hub_name: str, system_key: str | None = None) -> str:
    """The JSON string a durable client parameter receives."""
    return json.dumps(client_binding(base_url, hub_name, system_key))
