"""The event-stream response both server adapters send: a blocking driver of the core's writer.

Theory of operation. :mod:`sse_core._eventstream` decides every byte (head,
items, heartbeats, framing, last chunk); this module only moves them and
waits. Each stream has two threads:

- the producer runs the source, encodes each item and writes it itself,
  so an event never waits for another thread to be scheduled;
- the calling thread looks after the stream: it sends a heartbeat after
  ``heartbeat`` idle seconds, and finds the client gone.

A departed client is found by readiness, not by a timer: its socket turns
readable at EOF or reset. One watcher thread per process waits on every
streaming socket at once (a selector: epoll or kqueue where there is one),
so watching costs a stream no thread or file descriptor of its own. A readable
socket is reported once to its stream's calling thread, which looks at it:
EOF or an error ends the stream; bytes are read and dropped (a client may
pipeline its next request, or send garbage; bytes are no sign of life, and
reading them lets a later EOF show), and then the connection is not kept
for another request (``HTTP1Framing.drop_received``); nothing to read (a TLS
record that is not data) is no news. Then the socket is watched again. A client that vanishes without a word (half-open)
sends nothing: a heartbeat write that fails or takes longer than
``send_timeout`` finds it. TLS sockets are read only under the write lock,
as OpenSSL allows one call at a time on a connection; plaintext OpenSSL
already holds when the stream starts is not seen until more arrives (it can
only be data, never the EOF).

The end: a stream ends when the source is exhausted or raises, or the
client is gone (found by the look above, or by a failed or too slow write
in either thread). Then ``ended`` is set: it refuses every later write and
wakes a source waiting in ``StreamContext.wait``, so its ``finally`` runs at
once; a source busy elsewhere stops at its next item, when the producer
closes its iterator. Everything that the calling thread must react to sets
``wakeup``; it waits on that alone, and it stops watching the socket before
it sends the last chunk, so the watcher never reports a next request.
"""

import email.utils
import os
import selectors
import socket
import threading
import time
from typing import Callable, Iterable, List, Optional, Tuple, cast

from .._eventstream import EventStreamWriter, HTTP1Framing, Item
from .._http11 import RequestHead, header_value
from ..errors import LocalProtocolError
from ._io import READ_SIZE

try:
    from ssl import SSLWantReadError
except ImportError:  # a CPython built without OpenSSL
    SSLWantReadError = ()  # type: ignore[assignment,misc]

__all__ = ["Item", "Source", "StreamContext", "stream_events"]

# Where there is neither epoll nor kqueue (Windows), select() takes at most
# 512 sockets: the streams past that many are not watched.
_SELECT_LIMIT = 500

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
    sent whole and the connection may carry another request (not if the
    client sent bytes during the stream: they were read and dropped). An
    exception raised by the source (or an item it yields that cannot be
    encoded) ends the stream without its last chunk, so the client sees it
    truncated, and is raised here once the producer is joined.
    """
    if any(value is not None and not value > 0 for value in (heartbeat, send_timeout)):
        raise LocalProtocolError("heartbeat and send_timeout must be positive or None")
    writer = EventStreamWriter(retry=retry, headers=[("Date", email.utils.formatdate(usegmt=True)), *extra_headers])
    framing = HTTP1Framing(
        request_head.method, request_head.version, response_version=response_version, keep_alive=keep_alive
    )
    try:
        # Each event is one small write that must leave at once.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:  # not a TCP socket
        pass
    first = framing.head(writer.fields)
    if not framing.has_body:
        return _send(sock, first, send_timeout) and framing.keep_alive
    if not _send(sock, first + framing.frame(writer.start()), send_timeout):
        return False

    connection = _Connection(sock, framing, send_timeout)
    producer = _Producer(source, StreamContext(request_head, body, connection.ended), connection, writer.item)
    producer.start()
    complete = False
    try:
        _watch(connection, producer, heartbeat, writer.heartbeat())
        # The producer has finished and the socket is no longer watched:
        # the calling thread is the only one left using it.
        if producer.exhausted and not connection.ended.is_set():
            complete = _send(sock, framing.end(), send_timeout)
    finally:
        connection.end()
        producer.join()
    if producer.error is not None:
        raise producer.error
    return complete and framing.keep_alive


class _Connection:
    """The socket both threads write to, one whole write at a time, and the news the calling thread waits for."""

    def __init__(self, sock: socket.socket, framing: HTTP1Framing, send_timeout: Optional[float]) -> None:
        self.sock = sock
        self.framing = framing
        self.frame = framing.frame
        self.send_timeout = send_timeout
        self.ended = threading.Event()  # the stream is over: writes are refused, ctx.wait returns
        # Set, after what it announces, by the producer when it finishes,
        # by end(), and by the watcher when the socket turns readable.
        self.wakeup = threading.Event()
        self.readable = False
        self.lock = threading.Lock()
        self.quiet_since = time.monotonic()  # the last write

    def end(self) -> None:
        self.ended.set()
        self.wakeup.set()

    def write(self, data: bytes) -> bool:
        """Send ``data`` as one frame; False once the stream has ended (a failed write ends it)."""
        data = self.frame(data)
        with self.lock:
            return self._write_locked(data)

    def heartbeat_if_due(self, heartbeat: bytes, interval: float) -> None:
        with self.lock:
            if not self.ended.is_set() and time.monotonic() - self.quiet_since >= interval:
                self._write_locked(self.frame(heartbeat))

    def look(self) -> None:
        """Read what made the socket readable: EOF or an error ends the stream, bytes are dropped."""
        with self.lock:
            if self.ended.is_set():
                return
            try:
                self.sock.settimeout(0)  # _send sets send_timeout again before each write
                data = self.sock.recv(READ_SIZE)
            except (BlockingIOError, SSLWantReadError):  # a TLS record with no data in it
                return
            except OSError:  # reset
                data = b""
            if data:
                self.framing.drop_received(data)
            else:
                self.end()

    def _write_locked(self, data: bytes) -> bool:
        if self.ended.is_set():
            return False
        if not _send(self.sock, data, self.send_timeout):
            self.end()
            return False
        self.quiet_since = time.monotonic()
        return True


class _Producer(threading.Thread):
    """Runs the source and writes each item itself; notes whether the source ran out, or what it raised."""

    def __init__(
        self, source: Source, context: StreamContext, connection: _Connection, encode_item: Callable[[Item], bytes]
    ) -> None:
        super().__init__(name="sse_core source", daemon=True)
        self.source = source
        self.context = context
        self.connection = connection
        self.encode_item = encode_item
        self.exhausted = False
        self.finished = False
        self.error: Optional[Exception] = None

    def run(self) -> None:
        try:
            iterator = iter(self.source(self.context))
            try:
                for item in iterator:
                    if not self.connection.write(self.encode_item(item)):
                        return
            finally:
                close = getattr(iterator, "close", None)
                if close is not None:
                    close()
            self.exhausted = True
        except Exception as exc:  # stream_events raises it in the caller's thread
            self.error = exc
        finally:  # a BaseException too: the calling thread must stop waiting
            self.finished = True
            self.connection.wakeup.set()


def _watch(connection: _Connection, producer: _Producer, heartbeat: Optional[float], heartbeat_bytes: bytes) -> None:
    """Look after the stream until the producer has finished or the stream has ended."""
    _WATCHER.watch(connection)
    try:
        while True:
            timeout = None if heartbeat is None else max(0.0, connection.quiet_since + heartbeat - time.monotonic())
            connection.wakeup.wait(timeout)
            connection.wakeup.clear()  # what set it was set before it, so it is seen below
            if producer.finished or connection.ended.is_set():
                return
            if connection.readable:
                connection.readable = False
                connection.look()
                if not connection.ended.is_set():
                    _WATCHER.watch(connection)
            elif heartbeat is not None:
                connection.heartbeat_if_due(heartbeat_bytes, heartbeat)
    finally:
        _WATCHER.forget(connection)


class _ReadinessWatcher:
    """One thread that waits until any watched socket is readable, and then tells its stream, once.

    The thread starts with the first stream and stops when none is left.
    A socket is unwatched before it is reported, so a stream that wants to
    hear again watches it again; reports and ``forget`` take the same
    lock, so no report comes after ``forget`` has returned.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._selector: Optional[selectors.BaseSelector] = None
        self._poke_socket: Optional[socket.socket] = None
        self._poked_socket: Optional[socket.socket] = None

    def after_fork_in_child(self) -> None:
        # The child has none of its parent's threads, and must not touch its
        # parent's epoll instance: it closes its copies and starts afresh.
        self._lock = threading.Lock()
        if self._selector is not None:
            for sock in (self._poke_socket, self._poked_socket):
                cast(socket.socket, sock).close()
            self._selector.close()
            self._selector = self._poke_socket = self._poked_socket = None

    def watch(self, connection: _Connection) -> None:
        with self._lock:
            if self._selector is None:
                self._start()
            selector = cast(selectors.BaseSelector, self._selector)
            if isinstance(selector, selectors.SelectSelector) and len(selector.get_map()) >= _SELECT_LIMIT:
                return  # found by its writes alone, as select() would fail
            selector.register(connection.sock, selectors.EVENT_READ, connection)
            # A select() or poll() under way would not see the new socket.
            self._poke()

    def forget(self, connection: _Connection) -> None:
        with self._lock:
            selector = self._selector
            if selector is None:
                return
            try:
                selector.unregister(connection.sock)
            except (KeyError, ValueError):  # reported, and not watched again
                return
            if len(selector.get_map()) == 1:  # only the poke socket: let the thread go
                self._poke()

    def _start(self) -> None:
        selector = selectors.DefaultSelector()
        receive, send = socket.socketpair()
        receive.setblocking(False)
        send.setblocking(False)
        selector.register(receive, selectors.EVENT_READ, None)
        self._selector, self._poke_socket, self._poked_socket = selector, send, receive
        thread = threading.Thread(target=self._run, args=(selector, receive), name="sse_core disconnect watcher")
        thread.daemon = True
        thread.start()

    def _poke(self) -> None:
        try:
            cast(socket.socket, self._poke_socket).send(b"\0")
        except OSError:  # the buffer is full of pokes already
            pass

    def _run(self, selector: selectors.BaseSelector, receive: socket.socket) -> None:
        try:
            while self._report(selector, selector.select(), receive):
                pass
        finally:
            with self._lock:
                if self._selector is selector:  # an unexpected error: every stream looks and watches anew
                    self._stop()
                    for key in list(selector.get_map().values()):
                        if key.data is not None:
                            key.data.readable = True
                            key.data.wakeup.set()
            selector.close()
            receive.close()

    def _report(
        self, selector: selectors.BaseSelector, ready: List[Tuple[selectors.SelectorKey, int]], receive: socket.socket
    ) -> bool:
        """Tell each ready socket's stream; False, and stop, when no stream is left."""
        with self._lock:
            for key, _ in ready:
                if key.data is None:
                    try:
                        while receive.recv(4096):
                            pass
                    except BlockingIOError:
                        pass
                # Found ready before the lock was taken: it may have been
                # forgotten since, and its descriptor reused.
                elif selector.get_map().get(key.fd) is key:
                    selector.unregister(key.fileobj)
                    key.data.readable = True
                    key.data.wakeup.set()
            if len(selector.get_map()) > 1:
                return True
            self._stop()
            return False

    def _stop(self) -> None:
        cast(socket.socket, self._poke_socket).close()  # the thread closes the other end
        self._selector = self._poke_socket = self._poked_socket = None


_WATCHER = _ReadinessWatcher()

if hasattr(os, "register_at_fork"):  # e.g. socketserver.ForkingMixIn
    os.register_at_fork(after_in_child=_WATCHER.after_fork_in_child)


def _send(sock: socket.socket, data: bytes, send_timeout: Optional[float]) -> bool:
    """Write ``data`` at once; False when the client is gone or too slow to take it."""
    try:
        if sock.gettimeout() != send_timeout:
            sock.settimeout(send_timeout)
        sock.sendall(data)
    except OSError:  # reset, broken pipe, or send_timeout passed
        return False
    return True
