"""The blob trigger: container scans, blob receipts, path patterns."""
