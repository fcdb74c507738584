"""The caller's identity from App Service Authentication's headers (approval.identity)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from approval.identity import Caller, IdentityError, caller_from_headers

EMAIL_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"


def principal(claims: list[dict[str, Any]], name_typ: str = EMAIL_CLAIM, padded: bool = True) -> str:
    """An ``X-MS-CLIENT-PRINCIPAL`` value in App Service's shape."""
    value = {"auth_typ": "aad", "name_typ": name_typ,
             "role_typ": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role", "claims": claims}
    encoded = base64.b64encode(json.dumps(value).encode()).decode()
    return encoded if padded else encoded.rstrip("=")


BOB = [{"typ": "name", "val": "Bob"}, {"typ": EMAIL_CLAIM, "val": "bob@contoso.com"}]


def test_no_identity_headers_means_no_caller() -> None:
    assert caller_from_headers({}) is None
    assert caller_from_headers({"X-MS-CLIENT-PRINCIPAL-NAME": "   "}) is None


def test_the_name_header_names_the_caller_whatever_its_case() -> None:
    assert caller_from_headers({"x-ms-client-principal-name": " bob@contoso.com "}) == Caller("bob@contoso.com")


@pytest.mark.parametrize("padded", [True, False])
def test_the_principal_names_the_caller_by_its_name_type_claim(padded: bool) -> None:
    headers = {"X-MS-CLIENT-PRINCIPAL": principal(BOB, padded=padded)}
    assert caller_from_headers(headers) == Caller("bob@contoso.com")


def test_the_principal_and_the_name_header_may_agree_in_another_case() -> None:
    headers = {"X-MS-CLIENT-PRINCIPAL": principal(BOB), "X-MS-CLIENT-PRINCIPAL-NAME": "Bob@Contoso.com"}
    assert caller_from_headers(headers) == Caller("bob@contoso.com")


def test_a_principal_without_a_name_claim_falls_back_to_the_name_header() -> None:
    headers = {"X-MS-CLIENT-PRINCIPAL": principal([{"typ": "oid", "val": "42"}]),
               "X-MS-CLIENT-PRINCIPAL-NAME": "bob@contoso.com"}
    assert caller_from_headers(headers) == Caller("bob@contoso.com")


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"X-MS-CLIENT-PRINCIPAL": "not base64!"}, "not Base64-encoded JSON"),
        ({"X-MS-CLIENT-PRINCIPAL": base64.b64encode(b"[1, 2]").decode()}, "no claims"),
        ({"X-MS-CLIENT-PRINCIPAL": principal([{"typ": "oid", "val": "42"}])}, "no claim of its name_typ"),
        ({"X-MS-CLIENT-PRINCIPAL": principal(BOB), "X-MS-CLIENT-PRINCIPAL-NAME": "mallory@contoso.com"},
         "name different callers"),
        ({"X-MS-CLIENT-PRINCIPAL-NAME": "x" * 321}, "longer than 320"),
    ],
)
def test_unusable_identity_headers_are_an_error_saying_why(headers: dict[str, str], reason: str) -> None:
    with pytest.raises(IdentityError, match=reason):
        caller_from_headers(headers)
