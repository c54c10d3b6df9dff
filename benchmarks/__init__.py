"""Benchmarks of alliance-survey (not tests): ``python -m benchmarks.run_all [--quick]``."""
