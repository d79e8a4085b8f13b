"""Fuzz targets for the adapters: fuzzed bytes through real loopback sockets.

``check_client`` serves fuzzed response bytes to our client, on either
transport; ``check_server`` sends fuzzed request bytes to either server
adapter. Each compares what the adapter did with what the sans-IO core
says of the same bytes, so a driver that loses an event, misses a fault,
hangs, leaves a thread behind or lets an undocumented exception out fails
the target. Sockets are loopback only and every wait is bounded.

They are reached through ``targets.TARGETS``, which imports this module
once it has set up ``sys.path`` and the splitting both share.
"""

import http.server
import socket
import threading
import time
from typing import Callable, List, NamedTuple, Optional, Tuple, Union

import sse_core
from sse_core._body import NEED_DATA, ConnectionClosed, Data, EndOfMessage, RequestReader, ResponseReader
from sse_core._http11 import RequestHead, ResponseHead, header_value
from sse_core.adapters import client as _client
from sse_core.adapters.httpserver import StrictRequestHandler, send_event_stream
from sse_core.adapters.rawsocket import serve_event_stream

from targets import _control, _reads

__all__ = ["check_client", "check_server", "ADAPTER_TARGETS"]

# Small decoder bounds, so that short inputs reach them.
CLIENT_MAX_LINE_SIZE = 64
CLIENT_MAX_EVENT_SIZE = 256
SERVER_MAX_BODY_SIZE = 64
# A response the core says ends by itself (complete, or a fault) must end
# the client's iteration well before its idle timeout: "at once", with room
# for a loaded machine.
IDLE_TIMEOUT = 5.0
AT_ONCE = 2.0
WAIT_LIMIT = 5.0  # seconds; no loopback wait is longer
_SERVER_EVENTS = ["one", "two"]


# --- the core's answer ----------------------------------------------------


class _Response(NamedTuple):
    """What the core makes of response bytes to a GET."""

    head: Optional[ResponseHead]
    events: List[sse_core.Event]  # those the client must yield, from a streamable head
    ends_by_itself: bool  # complete by its framing, or a fault: no EOF needed
    fault: Optional[sse_core.SSEError]  # of the head, the framing or the decoder


def _is_event_stream(head: ResponseHead) -> bool:
    content_type = header_value(head.headers, "content-type") or ""
    return content_type.split(";")[0].strip(" \t").lower() == "text/event-stream"


def _core_response(stream: bytes) -> _Response:
    reader = ResponseReader("GET")
    decoder = sse_core.SSEDecoder(max_line_size=CLIENT_MAX_LINE_SIZE, max_event_size=CLIENT_MAX_EVENT_SIZE)
    head: Optional[ResponseHead] = None
    events: List[sse_core.Event] = []
    if stream:
        reader.feed(stream)
    at_eof = False
    try:
        while True:
            event = reader.next_event()
            if event is NEED_DATA:
                if at_eof:
                    raise AssertionError("the reader needs data after the end of input")
                at_eof = True
                reader.feed(b"")
            elif isinstance(event, ResponseHead):
                head = event
            elif not (200 <= head.status < 300 and _is_event_stream(head)):  # type: ignore[union-attr]
                if isinstance(event, EndOfMessage):  # the client reads such a body to explain it
                    return _Response(head, [], not at_eof, None)
            elif isinstance(event, Data):
                events += [item for item in decoder.feed(event.data) if isinstance(item, sse_core.Event)]
                decoder.feed(b"")  # raises a limit passed after the returned events
            else:
                assert isinstance(event, EndOfMessage), event
                return _Response(head, events, not at_eof, None)
    except sse_core.SSEError as exc:
        return _Response(head, events, not at_eof, exc)


# --- check_client -----------------------------------------------------------


class _ScriptedServer:
    """Accepts one connection, reads a request head, sends the reads, then closes or holds."""

    def __init__(self, reads: List[bytes], hold: bool) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(WAIT_LIMIT)
        self.port = self.listener.getsockname()[1]
        self.reads = reads
        self.hold = hold
        self.thread = threading.Thread(target=self._serve, name="fuzz server", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(WAIT_LIMIT)
            try:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                request = b""
                while b"\r\n\r\n" not in request:
                    more = conn.recv(65536)
                    if not more:
                        return
                    request += more
                for read in self.reads:
                    if read:
                        conn.sendall(read)
                if self.hold:  # until the client closes: a prompt client does at once
                    while conn.recv(65536):
                        pass
            except OSError:
                pass

    def close(self) -> None:
        self.listener.close()
        self.thread.join(WAIT_LIMIT + 1)
        assert not self.thread.is_alive(), "the scripted server did not finish"


def check_client(data: bytes) -> None:
    """Our client on fuzzed response bytes: the core's events, at once, only documented errors.

    The first byte is a control byte (see ``targets._reads``; bit 2 picks
    the transport, http.client instead of socket); the rest is what a
    loopback server sends, in those reads, to a GET from ``stream()`` with
    max_line_size=64, max_event_size=256, an idle timeout of 5 s and no
    done marker. ``stream()`` raises only SSEError or OSError, iteration
    never raises, and ``end_reason`` is an EndReason. On the socket
    transport the events are exactly those a ResponseReader and an
    SSEDecoder give for the same bytes, a head the core refuses is refused,
    and a response the core sees end by itself (complete, or a fault) while
    the server keeps the connection open ends without waiting for the idle
    timeout. http.client parses more leniently: there, the events must match
    when the core reads the response whole without a fault.
    """
    control, stream = _control(data)
    transport = "http.client" if control & 4 else "socket"
    expected = _core_response(stream)
    strict = transport == "socket" or (expected.fault is None and expected.ends_by_itself)
    # Hold the connection open after the bytes only where the response must
    # end without the close; elsewhere the close is what ends it.
    hold = expected.ends_by_itself and strict
    threads_before = threading.active_count()
    server = _ScriptedServer(_reads(control, stream), hold)
    url = f"http://127.0.0.1:{server.port}/"
    started = time.monotonic()
    events: List[sse_core.Event] = []
    raised: Optional[BaseException] = None
    response = None
    try:
        response = _client.stream(
            "GET",
            url,
            transport=transport,
            timeouts=_client.Timeouts(connect=WAIT_LIMIT, idle=IDLE_TIMEOUT, total=None),
            done_marker=None,
            max_line_size=CLIENT_MAX_LINE_SIZE,
            max_event_size=CLIENT_MAX_EVENT_SIZE,
        )
        with response:
            events = list(response)
    except (sse_core.SSEError, OSError) as exc:
        raised = exc
    finally:
        elapsed = time.monotonic() - started
        server.close()
    _assert_no_thread_left(threads_before)
    if response is not None and raised is None:
        assert isinstance(response.end_reason, _client.EndReason), f"end_reason {response.end_reason!r}"
        error = response.error
        assert error is None or isinstance(error, (sse_core.SSEError, OSError)), f"error {error!r}"
    if not strict:
        return
    if expected.head is None:
        assert raised is not None, f"a response head the core refuses ({expected.fault!r}) was accepted"
    elif not 200 <= expected.head.status < 300:
        assert isinstance(raised, _client.HTTPStatusError), f"HTTP {expected.head.status}: {raised!r}"
    elif expected.head.status != 204 and not _is_event_stream(expected.head):
        assert isinstance(raised, _client.ContentTypeError), f"not an event stream: {raised!r}"
    else:
        assert raised is None, f"stream() raised {raised!r} for a head the core accepts"
        assert events == expected.events, f"yielded {events!r}, the core gives {expected.events!r}"
    if hold:
        assert elapsed < AT_ONCE, f"took {elapsed:.2f} s to end a response that ends by itself"


def _assert_no_thread_left(before: int) -> None:
    # The server adapters' watcher thread exits once its last stream has
    # ended, a moment after the stream itself: wait for it, boundedly.
    deadline = time.monotonic() + WAIT_LIMIT
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.001)
    assert threading.active_count() <= before, "a thread was left running"


# --- check_server -------------------------------------------------------------


class _Verdict(NamedTuple):
    status: Optional[int]  # None: no answer is due (nothing or too little came)
    body: Optional[bytes]  # the request body the source must see, for 200


def _core_verdict(stream: bytes) -> _Verdict:
    reader = RequestReader(max_body_size=SERVER_MAX_BODY_SIZE)
    if stream:
        reader.feed(stream)
    reader.feed(b"")  # an unfinished request is judged at the end of input
    body = b""
    try:
        while True:
            event = reader.next_event()
            if isinstance(event, ConnectionClosed):
                return _Verdict(None, None)
            if isinstance(event, Data):
                body += event.data
            elif isinstance(event, EndOfMessage):
                return _Verdict(200, body)
            else:
                assert isinstance(event, RequestHead), event
    except sse_core.RemoteProtocolError as exc:
        return _Verdict(exc.error_status_hint, None)


def _judged(reader: Union[RequestReader, ResponseReader], data: bytes) -> bool:
    """Whether ``data`` is a whole message to ``reader``, or one it refuses: no more input is needed."""
    if data:
        reader.feed(data)
    try:
        while True:
            event = reader.next_event()
            if event is NEED_DATA:
                return False
            if isinstance(event, EndOfMessage):
                return True
    except sse_core.RemoteProtocolError:
        return True


class _Handler(StrictRequestHandler):
    protocol_version = "HTTP/1.1"
    request_timeout = WAIT_LIMIT
    max_body_size = SERVER_MAX_BODY_SIZE
    seen: List[bytes]

    def do_GET(self) -> None:
        send_event_stream(self, self.server.source, send_timeout=WAIT_LIMIT)  # type: ignore[attr-defined]

    do_POST = do_PUT = do_HEAD = do_DELETE = do_OPTIONS = do_PATCH = do_GET

    def log_message(self, *args: object) -> None:
        pass


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the handler threads


def _serve_once(adapter: str, source: Callable[..., List[str]]) -> Tuple[int, Callable[[], None]]:
    """Start one adapter for one connection; return its port and how to wait for it."""
    if adapter == "rawsocket":
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(WAIT_LIMIT)

        def serve() -> None:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            serve_event_stream(
                conn, source, send_timeout=WAIT_LIMIT, max_body_size=SERVER_MAX_BODY_SIZE
            )

        port = listener.getsockname()[1]
        closing = listener.close
    else:
        server = _HTTPServer(("127.0.0.1", 0), _Handler)
        server.source = source  # type: ignore[attr-defined]
        server.timeout = WAIT_LIMIT
        serve = server.handle_request
        port = server.server_address[1]
        closing = server.server_close
    thread = threading.Thread(target=serve, name="fuzz adapter", daemon=True)
    thread.start()

    def finish() -> None:
        thread.join(WAIT_LIMIT + 1)
        closing()
        assert not thread.is_alive(), f"{adapter} did not finish with the connection"

    return port, finish


def _first_response(raw: bytes, method: str) -> Tuple[Optional[ResponseHead], bytes]:
    """The first final response in ``raw`` (1xx skipped) and its body, as far as it came."""
    reader = ResponseReader(method)
    if raw:
        reader.feed(raw)
    reader.feed(b"")
    head = None
    body = b""
    try:
        while True:
            event = reader.next_event()
            if isinstance(event, ResponseHead):
                head = event
            elif isinstance(event, Data):
                body += event.data
            else:
                break
    except sse_core.RemoteProtocolError:
        pass  # a stream cut short: the head and the body so far still count
    return head, body


def check_server(data: bytes) -> None:
    """A server adapter on fuzzed request bytes: the core's verdict, then the stream or a refusal.

    The first byte is a control byte (see ``targets._reads``; bit 2 picks
    ``httpserver.send_event_stream`` behind a StrictRequestHandler instead
    of ``rawsocket.serve_event_stream``); the rest is sent in those reads
    to the adapter, with max_body_size=64; a client whose request is
    unfinished then shuts its side down, and the client reads until the
    first final response ends. The first final response (1xx skipped) has the status the
    core's RequestReader gives the same bytes: 200 with the source's events
    and the source saw exactly the request body, or the error's
    ``error_status_hint``; nothing at all when the connection ended before
    a byte of a request. The adapter finishes with the connection, and no
    thread is left behind.
    """
    control, stream = _control(data)
    adapter = "httpserver" if control & 4 else "rawsocket"
    verdict = _core_verdict(stream)
    seen: List[bytes] = []

    def source(ctx: object) -> List[str]:
        seen.append(ctx.body)  # type: ignore[attr-defined]
        return list(_SERVER_EVENTS)

    method = stream.split(b" ", 1)[0].lstrip(b"\r\n").decode("latin-1")
    threads_before = threading.active_count()
    port, finish = _serve_once(adapter, source)
    raw = b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT_LIMIT) as conn:
            try:
                for read in _reads(control, stream):
                    if read:
                        conn.sendall(read)
                # A client that shuts its sending side down is taken for
                # gone: only one whose request is unfinished does.
                if not _judged(RequestReader(max_body_size=SERVER_MAX_BODY_SIZE), stream):
                    conn.shutdown(socket.SHUT_WR)
                while not _judged(ResponseReader(method), raw):
                    more = conn.recv(65536)
                    if not more:
                        break
                    raw += more
            except ConnectionError:
                pass  # the adapter may close on a refused request while bytes are still coming
    finally:
        finish()
    _assert_no_thread_left(threads_before)
    head, body = _first_response(raw, method)
    if verdict.status is None:
        assert head is None, f"answered {head!r} to a connection that sent no request"
        return
    assert head is not None, f"no answer; the core says {verdict.status}"
    assert head.status == verdict.status, f"answered {head.status}, the core says {verdict.status}"
    if verdict.status == 200:
        assert seen == [verdict.body], f"the source saw {seen!r}, the request body is {verdict.body!r}"
        if method != "HEAD":
            decoder = sse_core.SSEDecoder()
            got = [event.data for event in decoder.feed(body)]
            assert got == _SERVER_EVENTS, f"streamed {got!r}"
    else:
        assert seen == [], f"the source ran for a refused request: {seen!r}"


ADAPTER_TARGETS = {"check_client": check_client, "check_server": check_server}
