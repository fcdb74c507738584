"""Benchmarks of the local Durable host (scripts, not tests): see bench/run.py and docs/benchmarks.md."""
