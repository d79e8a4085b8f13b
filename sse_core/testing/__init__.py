"""Tools to test SSE software, your own server included: hypothesis strategies,
a stateful resume test and a conformance check.

``import sse_core.testing`` imports nothing beyond this module: each name is
loaded from its submodule on first use, so hypothesis is needed only by the
strategies and the resume test, and only when they are used.
"""

import importlib
from typing import Any, Dict, List

_SUBMODULES: Dict[str, str] = {
    "EventStream": ".strategies",
    "ChunkedBody": ".strategies",
    "events": ".strategies",
    "line_endings": ".strategies",
    "streams": ".strategies",
    "splits": ".strategies",
    "malformed_streams": ".strategies",
    "chunked_bodies": ".strategies",
    "broken_chunked_bodies": ".strategies",
    "resume_machine": ".resume",
    "run_resume_test": ".resume",
    "DEFAULT_RESUME_TIMEOUTS": ".resume",
    "assert_conforms": ".server",
}

__all__ = list(_SUBMODULES)


def __getattr__(name: str) -> Any:
    # PEP 562: runs only for names not yet in the module's namespace.
    try:
        submodule = _SUBMODULES[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(submodule, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(__all__))
