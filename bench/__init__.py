"""Benchmark harness for chatapp (issue 7): load generator, baselines, scenarios, report."""
