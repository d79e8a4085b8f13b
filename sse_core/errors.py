"""The exceptions sse_core raises on purpose.

Every deliberate raise is an :class:`SSEError`. Anything else escaping the
core is a bug, except ``OSError`` from an adapter's socket, which passes
through untouched.
"""

__all__ = [
    "SSEError",
    "ProtocolError",
    "LocalProtocolError",
    "RemoteProtocolError",
    "LimitExceeded",
]


class SSEError(Exception):
    """Base class of every exception sse_core raises on purpose."""


class ProtocolError(SSEError):
    """Something broke the protocol; see the two subclasses for who did."""


class LocalProtocolError(ProtocolError, ValueError):
    """The caller asked for something illegal.

    Examples: a line break in an event type or id, a negative ``retry``,
    feeding a decoder after ``close()``. It is also a ``ValueError``.
    """


class RemoteProtocolError(ProtocolError):
    """The bytes received from the peer are malformed (e.g. a bad chunk size)."""


class LimitExceeded(RemoteProtocolError):
    """The peer's bytes went past a configured bound.

    ``limit`` names the bound (the keyword argument that sets it),
    ``maximum`` is its value and ``size`` is how far the input had grown
    when the bound was found broken.
    """

    def __init__(self, limit: str, maximum: int, size: int) -> None:
        super().__init__(f"{limit}={maximum} exceeded (reached {size} bytes)")
        self.limit = limit
        self.maximum = maximum
        self.size = size

    def __reduce__(self):  # keep the exception picklable despite the custom __init__
        return (type(self), (self.limit, self.maximum, self.size))
