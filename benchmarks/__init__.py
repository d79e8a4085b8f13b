"""Benchmarks for sse_core: ``python benchmarks/run.py [--quick] [--json FILE]``.

``workloads.py`` builds the streams, ``peers.py`` holds the implementations
compared on them, and ``run.py`` checks and times them. Nothing here is part
of the ``sse_core`` package.
"""
