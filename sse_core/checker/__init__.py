"""Conformance checker for SSE servers: ``check(url)`` returns a :class:`Report` of findings.

It speaks HTTP/1.1 over a raw socket so that it sees the real bytes and
chunk framing, decodes them with sse_core's own decoder, and reports each
finding with a severity, a stable rule id (see :data:`RULES`), one
sentence and the spec section. Standard library only.
"""

from ._capture import CheckError
from ._check import DEFAULT_CONNECT_TIMEOUT, DEFAULT_DURATION, DEFAULT_OPENAI_REQUEST, CheckInterrupted, check
from ._findings import ERROR, INFO, RULES, SEVERITIES, WARNING, Finding, Rule, rules_markdown
from ._report import Report
from ._rules_timing import DEFAULT_IDLE_LIMIT

__all__ = [
    "check",
    "Report",
    "Finding",
    "Rule",
    "RULES",
    "CheckError",
    "CheckInterrupted",
    "rules_markdown",
    "ERROR",
    "WARNING",
    "INFO",
    "SEVERITIES",
    "DEFAULT_DURATION",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_IDLE_LIMIT",
    "DEFAULT_OPENAI_REQUEST",
]
