"""The storage listeners' rules: queue options and names, polling back-off, blob path patterns."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest

from durable_local.triggers.blob.paths import parse_blob_pattern
from durable_local.triggers.polling import RandomizedBackoff
from durable_local.triggers.queue.options import MessageEncoding, poison_queue_name, queue_options, validate_queue_name


def test_queue_options_default_to_the_development_values() -> None:
    options = queue_options({})
    assert (options.batch_size, options.max_dequeue_count, options.message_encoding) == (16, 5, MessageEncoding.BASE64)
    assert options.max_polling_interval == timedelta(seconds=2)  # func start runs in Development
    assert options.visibility_timeout == timedelta(0)


def test_queue_options_are_read_case_insensitively_and_checked() -> None:
    options = queue_options({"BatchSize": 4, "maxDequeueCount": 2, "messageEncoding": "None", "maxPollingInterval": "00:00:30"})
    assert (options.batch_size, options.max_dequeue_count, options.message_encoding) == (4, 2, MessageEncoding.NONE)
    assert options.max_polling_interval == timedelta(seconds=30)
    with pytest.raises(ValueError, match="MaxPollingInterval must not be less than"):
        queue_options({"maxPollingInterval": "00:00:00.05"})
    with pytest.raises(ValueError, match=r"MaxDequeueCount must not be less than 1\."):
        queue_options({"maxDequeueCount": 0})
    with pytest.raises(ValueError, match="between 1 and 32"):
        queue_options({"batchSize": 33})


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("ab", 'A queue name must be from 3 to 63 characters long - "ab"'),
        ("-orders", 'The dash (-) character may not be the first or last letter - "-orders"'),
        ("orders_new", 'A queue name can contain only letters, numbers, and dash(-) characters - "orders_new"'),
        ("orders--new", "A queue name cannot contain consecutive dash(-) characters."),
    ],
)
def test_invalid_queue_names_get_the_extensions_messages(name: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        validate_queue_name(name)


def test_queue_names_are_lower_cased_and_poison_queues_have_none_of_their_own() -> None:
    assert validate_queue_name("Orders") == "orders"
    assert poison_queue_name("orders") == "orders-poison"
    assert poison_queue_name("orders-poison") is None
    assert poison_queue_name("q" * 60) is None  # "<queue>-poison" would be too long


def test_polling_backs_off_to_the_maximum_and_resets_after_work() -> None:
    backoff = RandomizedBackoff(maximum=2.0, rng=random.Random(1))
    delays = [backoff.next_delay(False) for _ in range(12)]
    assert delays[0] == pytest.approx(0.1)
    assert delays == sorted(delays) and delays[-1] == 2.0
    assert 0.1 < delays[2] < 0.4
    assert backoff.next_delay(True) == pytest.approx(0.1)


def test_blob_patterns_capture_parameters_greedily_and_across_folders() -> None:
    pattern = parse_blob_pattern("uploads/{name}.{ext}")
    assert pattern.match("uploads", "a.b.txt") == {"name": "a.b", "ext": "txt"}
    assert pattern.match("Uploads", "reports/q1.csv") == {"name": "reports/q1", "ext": "csv"}  # container case-insensitive
    assert pattern.match("uploads", "no-extension") is None
    assert pattern.match("other", "a.txt") is None
    assert parse_blob_pattern("in/{{raw}}/{name}").match("in", "{raw}/x") == {"name": "x"}


def test_a_blob_path_naming_only_a_container_matches_every_blob_in_it() -> None:
    pattern = parse_blob_pattern("uploads")
    assert pattern.container == "uploads" and pattern.parameters == ()
    assert pattern.match("uploads", "report.txt") == {}
    assert pattern.match("uploads", "deep/folder/file.bin") == {}
    assert pattern.match("other", "report.txt") is None


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("uploads/", "Invalid blob trigger path 'uploads/'. Paths must be in the format 'container/blob'."),
        ("/report.txt", "Invalid blob trigger path '/report.txt'. Paths must be in the format 'container/blob'."),
        ("{kind}/x", "Invalid blob trigger path '{kind}/x'. Container paths cannot contain {resolve} tokens."),
        ("in/{a.b}", "Capture expressions can't include dot operators"),
    ],
)
def test_invalid_blob_paths_get_the_extensions_messages(path: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_blob_pattern(path)
