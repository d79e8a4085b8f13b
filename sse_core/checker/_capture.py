"""Run one exchange as the wire shows it: the head, then each read of body bytes, timed.

The request goes out over a plain socket (``ssl`` for https), the head is
parsed by ``_http11`` and a chunked body is de-chunked by
:class:`~sse_core.ChunkedDecoder`, so what the caller sees is exactly what
the server sent. Each read goes to the caller as it arrives and is not
kept: a :class:`Capture` holds the head, counters and how the body ended,
so its size does not grow with the stream. Times are seconds on the
monotonic clock since the request was sent.
"""

import socket
import ssl
import time
from typing import Callable, NamedTuple, Optional

from .._http11 import ResponseHead, ResponseHeadReader, response_body_framing
from ..adapters._request import Request
from ..chunked import ChunkedDecoder
from ..errors import RemoteProtocolError, SSEError

__all__ = [
    "CheckError",
    "Read",
    "Capture",
    "capture",
    "COMPLETE",
    "CUT",
    "DURATION",
    "STOPPED",
    "BROKEN",
    "INTERRUPTED",
]

_READ_SIZE = 65536

# While nothing arrives, the wait is cut into slices this long, so that a
# progress display keeps ticking.
_TICK = 0.25

# How the body reading ended.
COMPLETE = "complete"  # the body ended as its framing says (last chunk, length, or close)
CUT = "cut"  # the framing broke or the connection closed too early
DURATION = "duration"  # the check's duration ran out with the stream still open
STOPPED = "stopped"  # the caller had seen enough
BROKEN = "broken"  # the connection failed (a reset, a timeout of the system)
INTERRUPTED = "interrupted"  # Ctrl-C while the body was being read

# The start of a body other than a 200's is kept to show what the server
# said: APIs explain a refusal in a few hundred bytes, often JSON.
_MAX_ERROR_BODY = 8 * 1024


class CheckError(SSEError):
    """No response head could be had: the connection failed, closed or stayed silent."""


class Read(NamedTuple):
    """One ``recv`` that brought body bytes (or only framing).

    ``waited_from`` is when the wait for it began and ``at`` when it
    returned: nothing at all arrived in between, which tells a real
    silence of the server from a late reader.
    """

    waited_from: float
    at: float
    raw_size: int
    body: bytes


class Capture:
    """What one exchange showed: the head, counts of the reads, and how it ended."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.connect_time = 0.0  # seconds to connect (TLS included)
        self.first_byte: Optional[float] = None  # when the head began to arrive
        self.head: Optional[ResponseHead] = None
        self.head_error: Optional[str] = None  # a malformed head or framing fields
        self.head_at: Optional[float] = None  # when the head was complete
        self.framing = "none"  # "chunked", "length", "close" or "none"
        self.read_count = 0  # reads that brought body bytes or framing
        self.body_size = 0  # body bytes, de-chunked
        self.error_body = b""  # the start of the body of a response other than 200
        self.body_error: Optional[str] = None  # what broke the framing
        self.end = COMPLETE
        self.elapsed = 0.0  # when reading stopped


OnHead = Callable[[ResponseHead], None]
OnRead = Callable[[Read], bool]
OnTick = Callable[[float], None]


def capture(
    request: Request,
    *,
    duration: float,
    connect_timeout: Optional[float],
    ssl_context: Optional[ssl.SSLContext] = None,
    on_head: Optional[OnHead] = None,
    on_read: Optional[OnRead] = None,
    on_tick: Optional[OnTick] = None,
) -> Capture:
    """Send ``request``, read for up to ``duration`` seconds, return what was seen.

    ``on_head`` gets the head of a 200 response before its body;
    ``on_read`` gets each read of its body as it comes and returns True to
    stop reading; ``on_tick`` gets the elapsed time while nothing arrives.
    Of any other response only the start of the body is kept, in
    ``error_body``. Ctrl-C while the body is read ends it as
    :data:`INTERRUPTED`. Raises :class:`CheckError` when no response head
    arrives (including within ``duration``).
    """
    result = Capture(request)
    started = time.monotonic()
    try:
        sock = socket.create_connection((request.host, request.port), timeout=connect_timeout)
    except OSError as exc:
        raise CheckError(f"cannot connect to {request.host}:{request.port}: {_describe(exc)}") from None
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if request.scheme == "https":
            context = ssl_context or ssl.create_default_context()
            try:
                sock = context.wrap_socket(sock, server_hostname=request.host)
            except OSError as exc:
                raise CheckError(f"TLS with {request.host}:{request.port} failed: {_describe(exc)}") from None
        result.connect_time = time.monotonic() - started
        try:
            sock.sendall(request.head + request.body)
        except OSError as exc:
            raise CheckError(f"cannot send the request to {request.host}:{request.port}: {_describe(exc)}") from None
        _Reader(sock, result, time.monotonic(), duration, on_head, on_read, on_tick).run()
    finally:
        sock.close()
    return result


class _Reader:
    def __init__(
        self,
        sock: socket.socket,
        result: Capture,
        sent: float,
        duration: float,
        on_head: Optional[OnHead],
        on_read: Optional[OnRead],
        on_tick: Optional[OnTick],
    ) -> None:
        self.sock = sock
        self.result = result
        self.sent = sent
        self.deadline = sent + duration
        self.duration = duration
        self.on_head = on_head
        self.on_read = on_read
        self.on_tick = on_tick
        self.waited_from = 0.0

    def now(self) -> float:
        return time.monotonic() - self.sent

    def receive(self) -> Optional[bytes]:
        """The next bytes (b"" at EOF), or None when the duration ran out."""
        self.waited_from = self.now()
        while True:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(min(remaining, _TICK))
            try:
                return self.sock.recv(_READ_SIZE)
            except socket.timeout:
                if self.on_tick is not None:
                    self.on_tick(self.now())

    def run(self) -> None:
        result = self.result
        try:
            leftover = self.read_head()
        except OSError as exc:
            raise CheckError(f"the connection failed before the response head: {_describe(exc)}") from None
        if result.head is None or result.framing == "none":
            result.elapsed = self.now()
            return
        if result.head.status == 200 and self.on_head is not None:
            self.on_head(result.head)
        try:
            result.end = self.read_body(leftover)
        except OSError as exc:
            result.end = BROKEN
            result.body_error = f"the connection failed: {_describe(exc)}"
        except KeyboardInterrupt:
            # The caller reports what was seen so far.
            result.end = INTERRUPTED
        result.elapsed = self.now()

    def read_head(self) -> bytes:
        result = self.result
        data = b""
        while True:
            reader = ResponseHeadReader()
            try:
                head = reader.feed(data) if data else None
                while head is None:
                    data = self.receive()
                    if data is None:
                        raise CheckError(f"no response head within {self.duration:g} s")
                    if result.first_byte is None and data:
                        result.first_byte = self.now()
                    if not data:
                        reader.close()
                        raise CheckError("the connection closed before the response head")
                    head = reader.feed(data)
                data = reader.unused
            except RemoteProtocolError as exc:
                result.head_error = str(exc)
                return b""
            # Interim 1xx responses precede the real one (RFC 9110 15.2).
            if not (100 <= head.status < 200 and head.status != 101):
                break
        result.head = head
        result.head_at = self.now()
        try:
            result.framing, _ = response_body_framing(head, self.result.request.method)
        except RemoteProtocolError as exc:
            result.head_error = str(exc)
            result.framing = "none"
        return data

    def read_body(self, leftover: bytes) -> str:
        result = self.result
        self.chunked = ChunkedDecoder() if result.framing == "chunked" else None
        self.remaining: Optional[int] = None  # Content-Length bytes still due
        if result.framing == "length":
            self.remaining = response_body_framing(result.head, result.request.method)[1]  # type: ignore[arg-type]
        if leftover:
            outcome = self.take(leftover, self.waited_from, self.now())
            if outcome is not None:
                return outcome
        while True:
            data = self.receive()
            if data is None:
                return DURATION
            if not data:
                return self.at_eof()
            outcome = self.take(data, self.waited_from, self.now())
            if outcome is not None:
                return outcome

    def take(self, data: bytes, waited_from: float, at: float) -> Optional[str]:
        """Record one read; return how the body ended if it did."""
        result = self.result
        raw_size = len(data)
        error = None
        if self.chunked is not None:
            raw, data = data, b""
            try:
                data = self.chunked.feed(raw)
                self.chunked.feed(b"")  # raises a fault found after the returned bytes
            except RemoteProtocolError as exc:
                error = str(exc)
        elif self.remaining is not None:
            data = data[: self.remaining]
            self.remaining -= len(data)
        result.read_count += 1
        result.body_size += len(data)
        if result.head.status == 200:  # type: ignore[union-attr]
            # The body bytes decoded before a framing fault are seen too.
            stop = self.on_read is not None and self.on_read(Read(waited_from, at, raw_size, data))
        else:
            result.error_body += data[: _MAX_ERROR_BODY - len(result.error_body)]
            stop = len(result.error_body) >= _MAX_ERROR_BODY
        if error is not None:
            result.body_error = error
            return CUT
        if stop:
            return STOPPED
        if self.remaining == 0 or (self.chunked is not None and self.chunked.done):
            return COMPLETE
        return None

    def at_eof(self) -> str:
        if self.chunked is not None:
            try:
                self.chunked.close()
            except RemoteProtocolError as exc:
                self.result.body_error = str(exc)
                return CUT
        elif self.remaining is not None:
            self.result.body_error = f"the connection closed with {self.remaining} Content-Length bytes still due"
            return CUT
        return COMPLETE  # a body delimited by closing the connection


def _describe(exc: OSError) -> str:
    if isinstance(exc, socket.timeout):
        return "timed out"
    return exc.strerror or str(exc) or type(exc).__name__
