"""The event-stream response both server adapters send: head, events, heartbeats, end.

Theory of operation: the source runs in a producer thread, which encodes
each item and puts it on a small queue; the calling thread is the writer.
It waits on the queue no longer than the heartbeat interval, and whenever
that wait runs out it looks at the socket for a client that has gone away
before sending a heartbeat. The stream ends when the source is exhausted,
when the source raises, or when the client is gone (EOF, reset, a failed
write, or a write that took longer than ``send_timeout``). Then the writer
tells the producer to stop (which also wakes a source waiting in
``StreamContext.wait``), the producer closes the source's iterator so its
``finally`` runs, and the writer joins the producer before returning.
"""

import email.utils
import queue
import socket
import threading
import time
from typing import Callable, Dict, Iterable, List, NamedTuple, Optional, Tuple, Union, cast

from .._http11 import RequestHead, encode_response_head, header_value, request_body_framing
from ..chunked import ChunkedDecoder, encode_chunk, encode_last_chunk
from ..encoder import encode
from ..errors import LimitExceeded, LocalProtocolError, RemoteProtocolError
from ..events import Event

try:
    from ssl import SSLSocket
except ImportError:  # a CPython built without OpenSSL
    SSLSocket = ()  # type: ignore[assignment,misc]

__all__ = ["Item", "Source", "StreamContext", "stream_events", "read_request_body", "DEFAULT_MAX_BODY_SIZE"]

Item = Union[Event, Dict[str, object], str]

# A few encoded events may wait while a write is under way; more would only
# hold memory for a client too slow to read them.
_QUEUE_SIZE = 8

# With heartbeats off, the socket is still checked this often, so a source
# idling for a vanished client is closed eventually.
_IDLE_CHECK_INTERVAL = 15.0

_HEARTBEAT = encode(comment="ping")

# A chat completion request with a long history is tens of KiB; a request
# body is held in memory whole, so the bound stays modest.
DEFAULT_MAX_BODY_SIZE = 1024 * 1024


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


class _Finished(NamedTuple):
    """The producer's last message: how the source ended."""

    error: Optional[Exception]


def read_request_body(
    head: RequestHead, buffered: bytes, read: Callable[[int], bytes], max_body_size: Optional[int]
) -> Tuple[bytes, bool]:
    """Read the body ``head`` announces; return it and whether it ended exactly.

    ``buffered`` holds bytes already received after the head; ``read(n)``
    returns up to ``n`` more (``b""`` at EOF). A chunked body may be read
    past its end, and then the connection cannot carry another request.
    Raises RemoteProtocolError for a malformed or cut-short body and
    LimitExceeded past ``max_body_size``.
    """
    kind, length = request_body_framing(head)
    if kind == "none":
        return b"", not buffered
    if kind == "length":
        length = cast(int, length)
        _check_body_size(length, max_body_size)
        body = bytearray(buffered[:length])
        while len(body) < length:
            more = read(min(length - len(body), 65536))
            if not more:
                raise RemoteProtocolError("request body cut short")
            body += more
        return bytes(body), len(buffered) <= length
    decoder = ChunkedDecoder()
    body = bytearray(decoder.feed(buffered))
    while not decoder.done:
        _check_body_size(len(body), max_body_size)
        more = read(65536)
        if not more:
            decoder.close()
        body += decoder.feed(more)
    _check_body_size(len(body), max_body_size)
    return bytes(body), not decoder.unused


def _check_body_size(size: int, max_body_size: Optional[int]) -> None:
    if max_body_size is not None and size > max_body_size:
        raise LimitExceeded("max_body_size", max_body_size, size)


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
    sent whole and the connection may carry another request. An exception raised by the source (or an item it yields that
    cannot be encoded) ends the stream without its last chunk, so the client
    sees it truncated, and is raised here once the producer is joined.
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
    items: "queue.Queue[Union[bytes, _Finished]]" = queue.Queue(_QUEUE_SIZE)
    producer = threading.Thread(
        target=_produce, args=(source, StreamContext(request_head, body, ended), items), name="sse_core source", daemon=True
    )
    producer.start()
    finished = None
    complete = False
    try:
        finished = _pump(sock, items, frame, heartbeat, send_timeout)
        if finished is not None and finished.error is None:
            complete = not chunked or _send(sock, encode_last_chunk(), send_timeout)
    finally:
        ended.set()
        # Take what the producer still puts, so that it is never stuck on a
        # full queue, until its last message says it has closed the source.
        while finished is None:
            item = items.get()
            if isinstance(item, _Finished):
                finished = item
        producer.join()
    if finished.error is not None:
        raise finished.error
    return complete and keep_alive


def _produce(source: Source, context: StreamContext, items: "queue.Queue[Union[bytes, _Finished]]") -> None:
    error = None
    try:
        iterator = iter(source(context))
        try:
            for item in iterator:
                if context.disconnected:
                    break
                items.put(_encode_item(item))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
    except Exception as exc:  # the writer raises it in the caller's thread
        error = exc
    items.put(_Finished(error))


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


def _pump(
    sock: socket.socket,
    items: "queue.Queue[Union[bytes, _Finished]]",
    frame: Callable[[bytes], bytes],
    heartbeat: Optional[float],
    send_timeout: Optional[float],
) -> Optional[_Finished]:
    """Send events until the source finishes (return how) or the client is gone (None)."""
    interval = _IDLE_CHECK_INTERVAL if heartbeat is None else heartbeat
    last_sent = time.monotonic()
    while True:
        try:
            item = items.get(timeout=max(0.0, last_sent + interval - time.monotonic()))
        except queue.Empty:
            if _client_gone(sock):
                return None
            if heartbeat is not None and not _send(sock, frame(_HEARTBEAT), send_timeout):
                return None
            last_sent = time.monotonic()
            continue
        if isinstance(item, _Finished):
            return item
        # What the source has queued meanwhile goes out in the same write:
        # one system call, not one per event, when it outpaces the socket.
        pending = [item]
        finished = None
        while finished is None:
            try:
                item = items.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, _Finished):
                finished = item
            else:
                pending.append(item)
        if not _send(sock, frame(b"".join(pending)), send_timeout):
            return None
        if finished is not None:
            return finished
        last_sent = time.monotonic()


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
