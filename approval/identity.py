"""Who is calling: the signed-in user, as App Service Authentication tells the app.

With App Service Authentication ("Easy Auth") enabled, the platform signs the user in before a
request reaches the function and adds headers the client cannot set (it strips incoming ones):

* ``X-MS-CLIENT-PRINCIPAL-NAME``: a readable name of the caller (e-mail address or UPN);
* ``X-MS-CLIENT-PRINCIPAL``: Base64-encoded JSON of the caller's claims::

      {"auth_typ": "aad", "name_typ": "<claim type of the name>", "role_typ": "...",
       "claims": [{"typ": "<claim type>", "val": "<value>"}, ...]}

  The name is the value of the claim whose ``typ`` equals ``name_typ``.

(Microsoft Learn, *Work with user identities in Azure App Service authentication*, sections
"Access user claims in app code" and "Decoding the client principal header".)

Without App Service Authentication those headers are whatever the client sends: anyone can
claim to be anyone. The README says to enable it; locally (no sign-in), clients such as curl send
``X-MS-CLIENT-PRINCIPAL-NAME`` themselves.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from .domain import same_person
from .validation import MAX_NAME

PRINCIPAL_NAME_HEADER: Final = "X-MS-CLIENT-PRINCIPAL-NAME"
PRINCIPAL_HEADER: Final = "X-MS-CLIENT-PRINCIPAL"


class IdentityError(ValueError):
    """Identity headers are present but unusable; the message says which and why."""


@dataclass(frozen=True)
class Caller:
    """The signed-in caller."""

    name: str


def _principal_name(encoded: str) -> str | None:
    """The name claim of an ``X-MS-CLIENT-PRINCIPAL`` value; ``None`` if it names nobody."""
    try:
        padded = encoded.strip() + "=" * (-len(encoded.strip()) % 4)
        principal: Any = json.loads(base64.b64decode(padded, validate=True))
    except (binascii.Error, ValueError, RecursionError) as err:
        raise IdentityError(f"{PRINCIPAL_HEADER} is not Base64-encoded JSON") from err
    if not isinstance(principal, Mapping) or not isinstance(principal.get("claims"), list):
        raise IdentityError(f"{PRINCIPAL_HEADER} holds no claims array")
    name_type = principal.get("name_typ")
    for claim in principal["claims"]:
        if (isinstance(claim, Mapping) and claim.get("typ") == name_type
                and isinstance(claim.get("val"), str) and claim["val"].strip()):
            return str(claim["val"]).strip()
    return None


def caller_from_headers(headers: Mapping[str, str]) -> Caller | None:
    """The caller named by the App Service Authentication headers; ``None`` if none is sent.

    ``X-MS-CLIENT-PRINCIPAL`` wins when it carries a name claim; ``X-MS-CLIENT-PRINCIPAL-NAME``
    is used otherwise. Header names are case-insensitive. Raises :class:`IdentityError` for a
    malformed principal, a principal without a name and no name header, two headers naming
    different people, or a name longer than 320 characters.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    named = (lowered.get(PRINCIPAL_NAME_HEADER.lower()) or "").strip() or None
    encoded = (lowered.get(PRINCIPAL_HEADER.lower()) or "").strip()
    claimed = _principal_name(encoded) if encoded else None
    if encoded and claimed is None and named is None:
        raise IdentityError(f"{PRINCIPAL_HEADER} has no claim of its name_typ and "
                            f"{PRINCIPAL_NAME_HEADER} is missing")
    if claimed is not None and named is not None and not same_person(claimed, named):
        raise IdentityError(f"{PRINCIPAL_HEADER} and {PRINCIPAL_NAME_HEADER} name different callers")
    name = claimed or named
    if name is None:
        return None
    if len(name) > MAX_NAME:
        raise IdentityError(f"the caller's name is longer than {MAX_NAME} characters")
    return Caller(name)
