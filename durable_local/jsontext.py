"""``json.dumps(value)`` with the default settings, byte for byte, without its per-call set-up.

``json.dumps`` builds a new encoder for every call (``JSONEncoder.encode`` -> ``iterencode`` ->
``c_make_encoder``), which costs as much as encoding a small history event. The host encodes
several such small values per episode (history events, the saved execution state, message
payloads), so :func:`dumps` keeps one C encoder with exactly the default settings
(``ensure_ascii``, ``", "`` and ``": "`` separators, ``allow_nan``, no key sorting) and calls it.

One difference, deliberate: no circular-reference check. Every value encoded through here is
built from parsed JSON or by the host's own event builders, so it cannot contain a cycle (a cycle
would end in ``RecursionError`` instead of ``ValueError``). Where CPython's C encoder is missing
the function is ``json.dumps`` itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json import encoder as _encoder
from typing import Any

_make = getattr(_encoder, "c_make_encoder", None)


def _build() -> Callable[[Any], str]:
    if _make is None:  # not CPython's C accelerator: the standard path
        return json.dumps
    defaults = json.JSONEncoder()
    encode = _make(
        None,  # markers: no circular check (see the module docstring)
        defaults.default,  # raises TypeError for a value JSON cannot hold, as json.dumps does
        _encoder.encode_basestring_ascii,
        None,  # indent
        defaults.key_separator,
        defaults.item_separator,
        False,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )

    def dumps(value: Any) -> str:
        return "".join(encode(value, 0))

    return dumps


#: ``json.dumps(value)`` (default settings), faster; see the module docstring.
dumps: Callable[[Any], str] = _build()

__all__ = ["dumps"]
