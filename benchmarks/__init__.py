"""Benchmarks of ionmd (run as ``python -m benchmarks.<name>``)."""
