"""How the mock server behaves: pacing, injected faults, CORS; server-wide or per request.

A request may override ``latency_ms``, ``tokens_per_second`` and
``fault`` for itself: a chat completion body with a ``"mock"`` object
(``{"mock": {"fault": "error:3", "tokens_per_second": 0}}``), or query
parameters of the same names on ``GET /v1/chat/completions/stream``.
"""

import math
from typing import Any, Mapping, NamedTuple, Optional

from .errors import RequestError

__all__ = [
    "MockOptions",
    "Fault",
    "FAULT_KINDS",
    "parse_fault",
    "apply_overrides",
    "OVERRIDES",
    "DEFAULT_LATENCY_MS",
    "DEFAULT_TOKENS_PER_SECOND",
]

# A brisk model: the demo's 30-odd tokens take about a second.
DEFAULT_LATENCY_MS = 150.0
DEFAULT_TOKENS_PER_SECOND = 40.0

# Above these a value is a typo, and a waiting stream would outlive any test.
_MAX_LATENCY_MS = 600_000.0
_MAX_TOKENS_PER_SECOND = 1_000_000.0

FAULT_KINDS = ("error", "close")
OVERRIDES = ("latency_ms", "tokens_per_second", "fault")


class Fault(NamedTuple):
    """A fault injected into a chat completion after ``after`` content tokens.

    ``kind`` is ``"error"`` (an ``event: error`` with an OpenAI-style error
    object, then the stream ends without ``[DONE]``; a non-streaming request
    gets a 500) or ``"close"`` (the connection is cut, mid-body when
    streaming, before any response otherwise).
    """

    kind: str
    after: int = 0


class MockOptions(NamedTuple):
    """Server-wide settings of the mock server.

    ``latency_ms``: wait before the first chunk (time to first token).
    ``tokens_per_second``: pace of the content chunks; 0 sends them at once.
    ``fault``: a :class:`Fault` for every chat completion, or None.
    ``cors_origin``: the origin allowed to read responses (``"*"`` for any),
    or None for no CORS headers. ``heartbeat``: seconds of silence before a
    ``: ping`` comment on a stream, None for never.
    """

    latency_ms: float = DEFAULT_LATENCY_MS
    tokens_per_second: float = DEFAULT_TOKENS_PER_SECOND
    fault: Optional[Fault] = None
    cors_origin: Optional[str] = None
    heartbeat: Optional[float] = 15.0


def parse_fault(text: str) -> Fault:
    """``"KIND"`` or ``"KIND:N"`` (N content tokens first) as a :class:`Fault`; ValueError if malformed."""
    kind, colon, after = text.partition(":")
    if kind not in FAULT_KINDS:
        raise ValueError(f"a fault is {' or '.join(FAULT_KINDS)}, optionally :N tokens first, not {text!r}")
    if not colon:
        return Fault(kind)
    if not (after.isascii() and after.isdigit()):
        raise ValueError(f"the N in {kind}:N is a number of tokens, not {after!r}")
    return Fault(kind, int(after))


def apply_overrides(options: MockOptions, overrides: Mapping[str, Any], where: str) -> MockOptions:
    """``options`` with a request's own values in place.

    A bad value raises RequestError naming ``where.key`` (just ``key`` when ``where`` is empty).
    """
    changes = {}
    for key, value in overrides.items():
        param = f"{where}.{key}" if where else key
        if key == "fault":
            changes[key] = None if value is None else _fault(value, param)
        elif key in ("latency_ms", "tokens_per_second"):
            limit = _MAX_LATENCY_MS if key == "latency_ms" else _MAX_TOKENS_PER_SECOND
            changes[key] = _bounded_number(value, limit, param)
        else:
            raise RequestError(
                f"Unknown parameter {param!r} (expected {', '.join(OVERRIDES)}).", param=param, code="unknown_parameter"
            )
    return options._replace(**changes)


def _fault(value: Any, param: str) -> Fault:
    if not isinstance(value, str):
        raise RequestError(
            f"Invalid type for {param!r}: expected a string such as 'error:3'.", param=param, code="invalid_type"
        )
    try:
        return parse_fault(value)
    except ValueError as exc:
        raise RequestError(f"Invalid value for {param!r}: {exc}.", param=param, code="invalid_value") from None


def _bounded_number(value: Any, limit: float, param: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestError(f"Invalid type for {param!r}: expected a number.", param=param, code="invalid_type")
    if not (math.isfinite(value) and 0 <= value <= limit):
        raise RequestError(f"Invalid value for {param!r}: expected 0 to {limit:g}.", param=param, code="invalid_value")
    return float(value)
