"""Queue message encoding: host.json ``extensions.queues.messageEncoding``, one for trigger and output.

The storage queues extension builds every queue client of the app (the trigger's listener and the
``queue`` output binding alike) from one ``QueueServiceClientProvider``, whose
``CreateClientOptions`` sets ``QueueClientOptions.MessageEncoding = QueuesOptions.MessageEncoding``
(azure-sdk-for-net ``Microsoft.Azure.WebJobs.Extensions.Storage.Queues/src/QueueServiceClientProvider.cs``;
the output binding gets its client from that provider in ``QueuesExtensionConfigProvider.PerHostConfig.GetQueue``).
So with ``"messageEncoding": "none"`` an output writes the text as is and the app's own trigger
reads it back as is; with the default ``base64`` both sides use Base64.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class MessageEncoding(StrEnum):
    BASE64 = "base64"
    NONE = "none"


def parse_message_encoding(raw: Any) -> MessageEncoding:
    """A host.json ``messageEncoding`` value (case-insensitive); ValueError naming the choices."""
    text = str(raw).lower()
    if text not in {e.value for e in MessageEncoding}:
        raise ValueError(f"host.json extensions.queues.messageEncoding '{text}': use 'base64' or 'none'.")
    return MessageEncoding(text)


def host_message_encoding(extensions: Mapping[str, Any]) -> MessageEncoding:
    """The encoding host.json ``extensions`` configures (keys case-insensitive; default base64)."""
    queues = extensions.get("queues") or {}
    keys = {str(k).lower(): v for k, v in queues.items()} if isinstance(queues, Mapping) else {}
    return parse_message_encoding(keys.get("messageencoding", MessageEncoding.BASE64.value))


def encode_message(body: bytes, encoding: MessageEncoding) -> str:
    """The message text the queue client sends for ``body`` (``TextBase64EncodePolicy`` for base64)."""
    if encoding is MessageEncoding.NONE:
        # QueueClient without encoding sends the text; bytes that are not UTF-8 cannot be text.
        return body.decode("utf-8", errors="replace")
    return base64.b64encode(body).decode("ascii")


def decode_message(text: str, encoding: MessageEncoding) -> bytes | None:
    """The body of a received message text, or None when it is not valid Base64 (base64 encoding)."""
    if encoding is MessageEncoding.NONE:
        return text.encode("utf-8")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
