"""Hypothesis strategies for hostile requests, and the fixed worst cases they rarely reach.

Every strategy here is size-bounded; the huge and deep cases (10,000-level nesting, bodies of a
few MB, 10,000-character ids) are fixed values tested explicitly, since random generation would
hardly ever produce them.
"""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FULL = os.environ.get("DURABLE_LOCAL_FULL") == "1"

#: Derandomized (the same examples every run), no example database, no per-example deadline.
PROPERTY = settings(
    max_examples=300 if FULL else 25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Characters that break ids, paths and headers when handled carelessly.
NASTY = "/\\#?%&=+@\n\r\t .;:'\"<>{}[]|^`~\x00\x01\x08\x1b\x1f\x7f\u0085\u00a0\u2028\ufeff\U0001f600"

nasty_text = st.text(alphabet=st.one_of(st.sampled_from(NASTY), st.characters(exclude_categories=("Cs",))), max_size=40)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | nasty_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(nasty_text, inner, max_size=4),
    max_leaves=12,
)

#: Bodies: valid JSON of any shape, almost-JSON, arbitrary bytes (invalid UTF-8 included), nothing.
bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    json_values.map(lambda v: json.dumps(v).encode()[:-1]),  # truncated
    st.sampled_from([b"", b" ", b"{", b"[", b"nul", b"NaN", b"Infinity", b"{'a': 1}", b"\xff\xfe\x00", b'"\\ud800"', b"\x00"]),
    st.binary(max_size=64),
    nasty_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
)

content_types = st.sampled_from(
    [
        None, "application/json", "application/json; charset=utf-8", "application/json; charset=latin-1",
        "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
        "application/jsonx", "*/*", "", "application/json;;", "APPLICATION/JSON",
    ]
)

#: Query parameters: the ones the API reads, with hostile values, plus unknown ones.
KNOWN_PARAMS = [
    "showHistory", "showHistoryOutput", "showInput", "returnInternalServerErrorOnFailure", "createdTimeFrom",
    "createdTimeTo", "runtimeStatus", "instanceIdPrefix", "top", "reason", "restartWithNewInstanceId",
    "timeout", "pollingInterval", "taskHub", "connection", "code",
]
param_values = st.one_of(
    nasty_text,
    st.sampled_from(["true", "True", "false", "1", "-1", "0", "", "Running,Bogus", "9999999999999999999999",
                     "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2026-13-45", "NaN", "1e309"]),
)
params = st.lists(st.tuples(st.one_of(st.sampled_from(KNOWN_PARAMS), nasty_text), param_values), max_size=4)

DEEP_ARRAY = b"[" * 10_000 + b"]" * 10_000
DEEP_UNCLOSED = b"[" * 10_000
DEEP_OBJECT = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
#: A few MB: one huge JSON string, and the same size of garbage.
HUGE_JSON = json.dumps({"title": "x" * (3 * 1024 * 1024)}).encode()
HUGE_GARBAGE = b"\xff{" * (3 * 1024 * 1024 // 2)
HOSTILE_BODIES = {
    "deep-array": DEEP_ARRAY,
    "deep-unclosed": DEEP_UNCLOSED,
    "deep-object": DEEP_OBJECT,
    "huge-json": HUGE_JSON,
    "huge-garbage": HUGE_GARBAGE,
}
LONG_IDS = {
    "10k-chars": "x" * 10_000,
    "10k-controls": "\x01" * 10_000,
    "10k-slashes": "/" * 10_000,
    "257-chars": "y" * 257,
}
