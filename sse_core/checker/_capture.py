"""Run one exchange as the wire shows it: the head, then each read of body bytes, timed.

The request goes out over a plain socket (``ssl`` for https), and the
core's response reader (``_body.ResponseReader``) takes the head, skips 1xx
responses and de-frames the body, so what the caller sees is exactly what
the server sent. Each read goes to the caller as it arrives and is not
kept: a :class:`Capture` holds the head, counters and how the body ended,
so its size does not grow with the stream. Times are seconds on the
monotonic clock since the request was sent.
"""

import socket
import ssl
import time
from typing import Callable, List, NamedTuple, Optional

from .._body import Data, EndOfMessage, ResponseReader
from .._http11 import ResponseHead
from ..adapters._io import READ_SIZE
from ..adapters._request import Request
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
    # Drives a ResponseReader over the socket: it owns the HTTP/1.1 framing
    # (head, 1xx, Content-Length, chunked, until close); this only times
    # the reads and hands the body bytes on.
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
        self.reader = ResponseReader(result.request.method)

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
                return self.sock.recv(READ_SIZE)
            except socket.timeout:
                if self.on_tick is not None:
                    self.on_tick(self.now())

    def run(self) -> None:
        result = self.result
        try:
            head = self.read_head()
        except OSError as exc:
            raise CheckError(f"the connection failed before the response head: {_describe(exc)}") from None
        if head is None:
            result.elapsed = self.now()
            return
        result.head = head
        result.head_at = self.now()
        if head.status == 200 and self.on_head is not None:
            self.on_head(head)
        try:
            result.end = self.read_body()
        except OSError as exc:
            result.end = BROKEN
            result.body_error = f"the connection failed: {_describe(exc)}"
        except KeyboardInterrupt:
            # The caller reports what was seen so far.
            result.end = INTERRUPTED
        result.elapsed = self.now()

    def read_head(self) -> Optional[ResponseHead]:
        """The final response head, or None when it is malformed (``head_error`` says how)."""
        result = self.result
        while True:
            try:
                event = self.reader.next_event()
            except RemoteProtocolError as exc:
                result.head_error = str(exc)
                return None
            if isinstance(event, ResponseHead):
                return event
            data = self.receive()
            if data is None:
                raise CheckError(f"no response head within {self.duration:g} s")
            if not data and result.first_byte is None:
                raise CheckError("the connection closed before the response head")
            if result.first_byte is None:
                result.first_byte = self.now()
            self.reader.feed(data)

    def read_body(self) -> str:
        # The bytes that came with the head are the first read.
        waited_from, at, received = self.waited_from, self.now(), False
        while True:
            body: List[bytes] = []
            error = None
            try:
                event = self.reader.next_event()
                while isinstance(event, Data):
                    body.append(event.data)
                    event = self.reader.next_event()
            except RemoteProtocolError as exc:
                error = exc
            # The body bytes decoded before a framing fault are seen too.
            stop = (received or bool(body)) and self.take(Read(waited_from, at, b"".join(body)))
            if error is not None:
                self.result.body_error = str(error)
                return CUT
            if stop:
                return STOPPED
            if isinstance(event, EndOfMessage):
                return COMPLETE
            data = self.receive()
            if data is None:
                return DURATION
            waited_from, at, received = self.waited_from, self.now(), bool(data)
            self.reader.feed(data)  # b"" is the end of input

    def take(self, read: Read) -> bool:
        """Count one read of the body and pass it on; True to stop reading."""
        result = self.result
        result.read_count += 1
        result.body_size += len(read.body)
        if result.head.status == 200:  # type: ignore[union-attr]
            return self.on_read is not None and self.on_read(read)
        result.error_body += read.body[: _MAX_ERROR_BODY - len(result.error_body)]
        return len(result.error_body) >= _MAX_ERROR_BODY


def _describe(exc: OSError) -> str:
    if isinstance(exc, socket.timeout):
        return "timed out"
    return exc.strerror or str(exc) or type(exc).__name__
