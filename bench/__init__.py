"""Benchmarks (not timed tests): ``python -m bench [NAME ...]``; figures go into the README."""
