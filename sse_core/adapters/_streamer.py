"""The event-stream response both server adapters send: head, events, heartbeats, end.

Theory of operation: the source runs in a producer thread, which encodes
each item and writes it to the socket itself, so an event never waits for
another thread to be scheduled. The calling thread looks after the idle
stream: whenever nothing has been written for a heartbeat interval, it
looks at the socket for a client that has gone away, then sends a
heartbeat. Both threads write under one lock, so a heartbeat never lands
inside an event, and the lock also covers the look at the socket (which
changes its timeout). The stream ends when the source is exhausted, when
the source raises, or when the client is gone (EOF, reset, a failed write
in either thread, or a write that took longer than ``send_timeout``). A
client found gone sets the stream's ``ended`` flag, which refuses every
later write and wakes a source waiting in ``StreamContext.wait``; the
producer then stops at its next item and closes the source's iterator so
its ``finally`` runs. The calling thread waits on the producer thread
itself, so it wakes as soon as the source finishes; only then does it send
the last chunk, and it joins the producer before returning.
"""

import email.utils
import socket
import threading
import time
from typing import Callable, Dict, Iterable, List, Optional, Tuple, Union

from .._http11 import RequestHead, encode_response_head, header_value
from ..chunked import encode_chunk, encode_last_chunk
from ..encoder import encode
from ..errors import LocalProtocolError
from ..events import Event

try:
    from ssl import SSLSocket
except ImportError:  # a CPython built without OpenSSL
    SSLSocket = ()  # type: ignore[assignment,misc]

__all__ = ["Item", "Source", "StreamContext", "stream_events"]

Item = Union[Event, Dict[str, object], str]

# With heartbeats off, the socket is still checked this often, so a source
# idling for a vanished client is closed eventually.
_IDLE_CHECK_INTERVAL = 15.0

_HEARTBEAT = encode(comment="ping")

class StreamContext:
    """What a source is told about its stream, and how it should wait.

    - ``request_head``: the request, a :class:`~sse_core._http11.RequestHead`
      (``method``, ``target``, ``version``, ``headers`` with lowercase names).
    - ``body``: the request body (``b""`` if none), e.g. a JSON request.
    - ``last_event_id``: the request's ``Last-Event-ID`` header, ``""`` if
      none: a reconnecting client wants the events after that one.
    - ``wait(seconds)``: sleep up to ``seconds`` (``None``: until the end);
      return True at once when the stream has ended, e.g. the client has
      gone away. Idle sources call it instead of ``time.sleep``.
    - ``disconnected``: whether the stream has ended.
    """

    def __init__(self, request_head: RequestHead, body: bytes, ended: threading.Event) -> None:
        self.request_head = request_head
        self.body = body
        self.last_event_id = header_value(request_head.headers, "last-event-id") or ""
        self._ended = ended

    def wait(self, seconds: Optional[float]) -> bool:
        """Sleep up to ``seconds``; return True as soon as the stream has ended."""
        return self._ended.wait(seconds)

    @property
    def disconnected(self) -> bool:
        """True once the stream has ended (the client is gone or the response is over)."""
        return self._ended.is_set()


Source = Callable[[StreamContext], Iterable[Item]]


def stream_events(
    sock: socket.socket,
    request_head: RequestHead,
    body: bytes,
    source: Source,
    *,
    response_version: str,
    keep_alive: bool,
    extra_headers: List[Tuple[str, str]],
    heartbeat: Optional[float],
    retry: Optional[int],
    send_timeout: Optional[float],
) -> bool:
    """Send the event-stream response to ``request_head`` on ``sock``.

    ``body`` is the request body, already read. The response is chunked
    when the request and ``response_version`` are both HTTP/1.1, else
    delimited by closing the connection. Returns True when the response was
    sent whole and the connection may carry another request. An exception
    raised by the source (or an item it yields that cannot be encoded) ends
    the stream without its last chunk, so the client sees it truncated, and
    is raised here once the producer is joined.
    """
    if any(value is not None and not value > 0 for value in (heartbeat, send_timeout)):
        raise LocalProtocolError("heartbeat and send_timeout must be positive or None")
    try:
        # Each event is one small write that must leave at once.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:  # not a TCP socket
        pass
    chunked = request_head.version == "1.1" and response_version == "1.1"
    keep_alive = keep_alive and chunked
    headers = [
        ("Date", email.utils.formatdate(usegmt=True)),
        *extra_headers,
        ("Content-Type", "text/event-stream; charset=utf-8"),
        ("Cache-Control", "no-cache, no-transform"),
        ("X-Accel-Buffering", "no"),
        ("Connection", "keep-alive" if keep_alive else "close"),
    ]
    if chunked:
        headers.append(("Transfer-Encoding", "chunked"))
    frame: Callable[[bytes], bytes] = encode_chunk if chunked else bytes
    first = encode_response_head(200, "OK", headers, response_version)
    if request_head.method == "HEAD":
        return _send(sock, first, send_timeout) and keep_alive
    if retry is not None:
        first += frame(encode(retry=retry))
    if not _send(sock, first, send_timeout):
        return False

    ended = threading.Event()
    connection = _Connection(sock, frame, send_timeout, ended)
    producer = _Producer(source, StreamContext(request_head, body, ended), connection)
    producer.start()
    complete = False
    try:
        _watch(connection, producer, heartbeat)
        # The producer has finished, so the calling thread is the only writer left.
        if producer.exhausted and not ended.is_set():
            complete = not chunked or _send(sock, encode_last_chunk(), send_timeout)
    finally:
        ended.set()
        producer.join()
    if producer.error is not None:
        raise producer.error
    return complete and keep_alive


class _Connection:
    """The socket both threads write to, one whole write at a time."""

    def __init__(
        self, sock: socket.socket, frame: Callable[[bytes], bytes], send_timeout: Optional[float], ended: threading.Event
    ) -> None:
        self.sock = sock
        self.frame = frame
        self.send_timeout = send_timeout
        self.ended = ended
        self.lock = threading.Lock()
        self.quiet_since = time.monotonic()  # the last write, or the last look at an idle client

    def write(self, data: bytes) -> bool:
        """Send ``data`` as one frame; False once the stream has ended (a failed write ends it)."""
        data = self.frame(data)
        with self.lock:
            return self._write_locked(data)

    def check_idle(self, heartbeat: Optional[float], interval: float) -> None:
        """If nothing was written for ``interval``: end the stream if the client is gone, else send a heartbeat."""
        with self.lock:
            if self.ended.is_set() or time.monotonic() - self.quiet_since < interval:
                return
            if _client_gone(self.sock):
                self.ended.set()
            elif heartbeat is not None:
                self._write_locked(self.frame(_HEARTBEAT))
            else:
                self.quiet_since = time.monotonic()

    def _write_locked(self, data: bytes) -> bool:
        if self.ended.is_set():
            return False
        if not _send(self.sock, data, self.send_timeout):
            self.ended.set()
            return False
        self.quiet_since = time.monotonic()
        return True


class _Producer(threading.Thread):
    """Runs the source and writes each item itself; notes whether the source ran out, or what it raised."""

    def __init__(self, source: Source, context: StreamContext, connection: _Connection) -> None:
        super().__init__(name="sse_core source", daemon=True)
        self.source = source
        self.context = context
        self.connection = connection
        self.exhausted = False
        self.error: Optional[Exception] = None

    def run(self) -> None:
        try:
            iterator = iter(self.source(self.context))
            try:
                for item in iterator:
                    if not self.connection.write(_encode_item(item)):
                        return
            finally:
                close = getattr(iterator, "close", None)
                if close is not None:
                    close()
            self.exhausted = True
        except Exception as exc:  # stream_events raises it in the caller's thread
            self.error = exc


def _watch(connection: _Connection, producer: _Producer, heartbeat: Optional[float]) -> None:
    """Look after an idle stream until the producer has finished or the stream has ended."""
    interval = _IDLE_CHECK_INTERVAL if heartbeat is None else heartbeat
    while not connection.ended.is_set():
        producer.join(max(0.0, connection.quiet_since + interval - time.monotonic()))
        if not producer.is_alive():
            return
        connection.check_idle(heartbeat, interval)


def _encode_item(item: Item) -> bytes:
    if isinstance(item, Event):
        # "message" is what a client assumes, and an empty id is Event's
        # default, not a request to reset the client's (yield a dict for that).
        event = None if item.event == "message" else item.event
        return encode(item.data, event=event, id=item.id or None, retry=item.retry)
    if isinstance(item, dict):
        return encode(**item)  # type: ignore[arg-type]
    if isinstance(item, str):
        return encode(item)
    raise LocalProtocolError(f"a source must yield Event, dict or str, not {type(item).__name__}")


def _send(sock: socket.socket, data: bytes, send_timeout: Optional[float]) -> bool:
    """Write ``data`` at once; False when the client is gone or too slow to take it."""
    try:
        if sock.gettimeout() != send_timeout:
            sock.settimeout(send_timeout)
        sock.sendall(data)
    except OSError:  # reset, broken pipe, or send_timeout passed
        return False
    return True


def _client_gone(sock: socket.socket) -> bool:
    # TLS sockets refuse recv flags: a vanished TLS client is found by a
    # failed heartbeat write instead, a heartbeat or two later.
    if isinstance(sock, SSLSocket):
        return False
    # Peeking leaves the bytes for the next request. Bytes sent while the
    # stream runs hide an EOF behind them; failed writes still find it.
    try:
        sock.settimeout(0)  # _send sets the timeout again before each write
        return not sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:  # nothing to read: the client is still there
        return False
    except OSError:
        return True
