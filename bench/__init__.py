"""Benchmarks: scripts that print figures and ratios against baselines measured in the same run.

Not tests. Each has a `--smoke` mode that CI runs (via a test) to keep it working.
"""
