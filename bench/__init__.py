"""Benchmarks: a fast data generator (`python -m bench.generate`) and a harness that measures the
server time of the main pages and API endpoints (`python -m bench`, `make bench`).

See docs/performance.md for what is measured, how to run it and the latest figures.
"""
