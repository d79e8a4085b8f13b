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
    """The bytes received from the peer are malformed (e.g. a bad chunk size).

    ``error_status_hint`` is the HTTP status a server should answer with
    when the peer is a client: 400 unless the raise site knows better (431
    for a head over its bound, 413 for a body, 501 for a transfer coding
    it does not implement). A client ignores it.
    """

    def __init__(self, msg: str, *, error_status_hint: int = 400) -> None:
        super().__init__(msg)
        self.error_status_hint = error_status_hint

    def __reduce__(self):  # keep the keyword argument across pickling
        return (_rebuild, (type(self), self.args, self.__dict__))


class LimitExceeded(RemoteProtocolError):
    """The peer's bytes went past a configured bound.

    ``limit`` names the bound (the keyword argument that sets it),
    ``maximum`` is its value and ``size`` is how far the input had grown
    when the bound was found broken (in bytes, or in messages for a bound
    on a count). ``error_status_hint`` is 400 unless the raise site says
    otherwise (see :class:`RemoteProtocolError`).
    """

    def __init__(self, limit: str, maximum: int, size: int, *, error_status_hint: int = 400) -> None:
        super().__init__(f"{limit}={maximum} exceeded (reached {size})", error_status_hint=error_status_hint)
        self.limit = limit
        self.maximum = maximum
        self.size = size


def _rebuild(cls, args, attributes):  # type: ignore[no-untyped-def]
    # Exceptions pickle as cls(*args), which loses keyword arguments and
    # breaks a custom __init__: rebuild without __init__, then restore.
    exc = Exception.__new__(cls)
    exc.args = args
    exc.__dict__.update(attributes)
    return exc
