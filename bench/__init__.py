"""Benchmark harness for chatapp: load generator, baselines, scenarios, report."""
