"""Fixture apps of the fault suites (importable as ``tests.faults.apps.*`` from the repository root)."""
