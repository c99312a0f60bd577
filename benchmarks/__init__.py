"""Benchmarks: `python -m benchmarks.evaluate` scores newsqa beside the LangChain tutorial pipeline."""
