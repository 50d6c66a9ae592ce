"""Measurements of the tracker under load; see docs/benchmarks.md."""
