"""Adapters: sse_core over sockets, http.client and http.server.

Each adapter is a module of its own, imported by name (e.g.
``sse_core.adapters.httpserver``), so that using one never imports the
others' dependencies.
"""

from typing import List

__all__: List[str] = []
