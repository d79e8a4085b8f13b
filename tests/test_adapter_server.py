"""The server adapters over real loopback sockets, read by a hand-written raw client.

Each case runs against ``http.server`` (HTTP/1.1 handler) and the raw socket
adapter; HTTP/1.0 behaviour has cases of its own. Every test is bounded in
time, and an autouse fixture checks that no thread outlives it.
"""

import contextlib
import http.server
import socket
import ssl
import threading
import time
from typing import Callable, Iterator, List, Optional, Tuple, Union

import pytest

from sse_core import ChunkedDecoder, Comment, Event, SSEDecoder
from sse_core._http11 import RequestHead, ResponseHead, ResponseHeadReader, header_value
from sse_core.adapters import _streamer
from sse_core.adapters.httpserver import read_body, send_event_stream
from sse_core.errors import RemoteProtocolError

from .servers import EVENT_STREAM_HEADERS, handler_server, http_server, no_thread_left, raw_server  # noqa: F401 (a fixture)

TIMEOUT = 5.0




# --- servers ---------------------------------------------------------------


SERVERS = {"httpserver": http_server, "rawsocket": raw_server}


@pytest.fixture(params=sorted(SERVERS))
def serve(request) -> Callable:
    return SERVERS[request.param]


# --- the raw client --------------------------------------------------------


def get(port: int, version: str = "1.1", headers: Tuple[str, ...] = (), rcvbuf: Optional[int] = None) -> "Client":
    lines = [f"GET /events HTTP/{version}", "Host: 127.0.0.1", *headers, "", ""]
    return Client(port, "\r\n".join(lines).encode("ascii"), rcvbuf)


class Client:
    """Sends one request by hand, then reads and decodes the response bit by bit."""

    def __init__(
        self, port: int, request: bytes, rcvbuf: Optional[int] = None, ssl_context: Optional[ssl.SSLContext] = None
    ) -> None:
        self.sock = socket.socket()
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(("127.0.0.1", port))
        if ssl_context is not None:
            self.sock = ssl_context.wrap_socket(self.sock, server_hostname="127.0.0.1")
        self.eof = False
        self.send(request)

    def send(self, request: bytes) -> None:
        """Send a request and forget the previous response."""
        self.sock.sendall(request)
        self.raw = b""  # everything received since
        self.head: Optional[ResponseHead] = None
        self.chunked: Optional[ChunkedDecoder] = None
        self.sse = SSEDecoder(comments=True)
        self.items: List[Union[Event, Comment]] = []

    def close(self) -> None:
        self.sock.close()

    def _recv(self) -> bytes:
        data = self.sock.recv(65536)
        self.raw += data
        self.eof = not data
        return data

    def read_head(self) -> ResponseHead:
        reader = ResponseHeadReader()
        while self.head is None:
            data = self._recv()
            if not data:
                reader.close()
                raise AssertionError(f"no response head in {self.raw!r}")
            self.head = reader.feed(data)
        if header_value(self.head.headers, "transfer-encoding") == "chunked":  # all our servers send
            self.chunked = ChunkedDecoder()
        self._body(reader.unused)
        return self.head

    def _body(self, data: bytes) -> None:
        if self.chunked is not None:
            data = self.chunked.feed(data)
        self.items += self.sse.feed(data)

    def read_items(self, count: int) -> List[Union[Event, Comment]]:
        """Read until ``count`` events or comments in all have arrived."""
        self.read_head()
        while len(self.items) < count:
            data = self._recv()
            assert data, f"EOF after {self.items}"
            self._body(data)
        return self.items

    def events(self) -> List[Event]:
        return [item for item in self.items if isinstance(item, Event)]

    def read_to_eof(self) -> None:
        self.read_head()
        while not self.eof:
            self._body(self._recv())

    def read_to_end(self, pause: float = 0.0) -> None:
        """Read to the last chunk when chunked, else to EOF; sleep ``pause`` after each read."""
        self.read_head()
        while not (self.chunked.done if self.chunked else self.eof):
            data = self._recv()
            assert data or not self.chunked, "EOF before the last chunk"
            self._body(data)
            time.sleep(pause)


def stream_headers(head: ResponseHead) -> List[Tuple[str, str]]:
    return [(name, value) for name, value in head.headers if name not in ("date", "server")]


def finite(*items):
    return lambda ctx: iter(items)


# --- headers and framing ---------------------------------------------------


def test_http11_headers_and_chunked_body(serve):
    with serve(finite("a", {"data": "b", "id": "7"}, Event("c", event="x"))) as port:
        client = get(port)
        client.read_to_end()
        client.close()
    assert client.head[:3] == ("1.1", 200, "OK")
    connection = "keep-alive" if serve is http_server else "close"
    assert stream_headers(client.head) == EVENT_STREAM_HEADERS + [
        ("connection", connection),
        ("transfer-encoding", "chunked"),
    ]
    assert client.raw.endswith(b"\r\n0\r\n\r\n")
    assert client.events() == [Event("a"), Event("b", id="7"), Event("c", event="x", id="7")]


def test_event_message_type_and_empty_id_left_out(serve):
    with serve(finite(Event("a"))) as port:
        client = get(port)
        client.read_to_end()
        client.close()
    assert client.raw.endswith(b"\r\ndata: a\n\n\r\n0\r\n\r\n")


def test_http11_connection_reused_after_stream():
    with http_server(finite("a")) as port:
        client = get(port)
        client.read_to_end()
        assert client.chunked.unused == b""
        client.send(b"GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
        client.read_to_end()
        client.close()
    assert client.events() == [Event("a")]


def test_http11_client_asking_to_close_gets_close():
    with http_server(finite("a")) as port:
        client = get(port, headers=("Connection: close",))
        client.read_to_eof()
        client.close()
    assert header_value(client.head.headers, "connection") == "close"
    assert client.chunked.done and client.events() == [Event("a")]


def test_http10_server_default_close_delimited():
    with http_server(finite("a", "b"), protocol_version="HTTP/1.0") as port:
        client = get(port)
        client.read_to_eof()
        client.close()
    assert client.head[:2] == ("1.0", 200)
    assert stream_headers(client.head) == EVENT_STREAM_HEADERS + [("connection", "close")]
    assert client.events() == [Event("a"), Event("b")]


def test_http10_request_close_delimited(serve):
    with serve(finite("a", "b")) as port:
        client = get(port, version="1.0")
        client.read_to_eof()
        client.close()
    assert stream_headers(client.head) == EVENT_STREAM_HEADERS + [("connection", "close")]
    assert client.raw.endswith(b"\r\n\r\ndata: a\n\ndata: b\n\n")


# --- what the stream carries -----------------------------------------------


def test_each_event_sent_before_the_next_is_made(serve):
    received_first = threading.Event()

    def source(ctx):
        yield "first"
        assert received_first.wait(TIMEOUT)
        yield "second"

    with serve(source) as port:
        client = get(port)
        assert client.read_items(1) == [Event("first")]
        received_first.set()
        client.read_to_end()
        client.close()
    assert client.events() == [Event("first"), Event("second")]


def test_heartbeats_while_idle(serve):
    def source(ctx):
        yield "hi"
        ctx.wait(TIMEOUT)

    with serve(source, heartbeat=0.2) as port:
        client = get(port)
        started = time.monotonic()
        items = client.read_items(3)
        elapsed = time.monotonic() - started
        client.close()
    assert items == [Event("hi"), Comment("ping"), Comment("ping")]
    assert 0.3 < elapsed < 2.0


def test_last_event_id_passed_to_source(serve):
    with serve(lambda ctx: [ctx.last_event_id or "none"]) as port:
        with_id = get(port, headers=("Last-Event-ID: 41",))
        with_id.read_to_end()
        with_id.close()
        without = get(port)
        without.read_to_end()
        without.close()
    assert with_id.events()[0].data == "41"
    assert without.events()[0].data == "none"


def test_retry_sent_first(serve):
    with serve(finite("a"), retry=2500) as port:
        client = get(port)
        client.read_to_end()
        client.close()
    assert b"\r\n\r\nd\r\nretry: 2500\n\n\r\n" in client.raw
    assert client.sse.retry == 2500


# --- ends ------------------------------------------------------------------


def idle_source(ctx):
    yield "hi"
    ctx.wait(TIMEOUT * 2)


def ticking_source(ctx):
    # Ignores what ctx.wait returns: closed at its next yield instead.
    while True:
        yield "tick"
        ctx.wait(0.1)


def watched(make_items) -> Tuple[Callable, threading.Event]:
    """A source that yields what ``make_items`` does, and an Event set once it is closed."""
    closed = threading.Event()

    def source(ctx):
        try:
            yield from make_items(ctx)
        finally:
            closed.set()

    return source, closed


@pytest.mark.parametrize("make_items", [idle_source, ticking_source])
def test_disconnect_closes_source_quietly(serve, make_items, capfd):
    source, closed = watched(make_items)

    with serve(source, heartbeat=0.2) as port:
        client = get(port)
        client.read_items(1)
        client.close()
        assert closed.wait(0.6 + 0.2)  # three heartbeats, and some slack
    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize("heartbeat", [15.0, 0.05])
def test_slow_reader_ends_within_send_timeout(serve, heartbeat, capfd):
    closed = threading.Event()
    big = "x" * (1 << 20)

    def source(ctx):
        try:
            while True:
                yield big
        finally:
            closed.set()

    with serve(source, send_timeout=0.5, heartbeat=heartbeat) as port:
        client = get(port, rcvbuf=4096)
        started = time.monotonic()
        assert closed.wait(3.0)
        assert time.monotonic() - started < 3.0
        client.close()
    assert capfd.readouterr() == ("", "")


def test_source_error_truncates_stream_and_is_raised():
    def source(ctx):
        yield "a"
        raise KeyError("boom")

    errors: List[BaseException] = []
    with raw_server(source, errors) as port:
        client = get(port)
        client.read_to_eof()
        client.close()
    assert client.events() == [Event("a")]
    assert not client.chunked.done
    assert [type(e) for e in errors] == [KeyError]


def test_source_error_reported_by_http_server(capfd):
    def source(ctx):
        yield "a"
        raise KeyError("boom")

    with http_server(source) as port:
        client = get(port)
        client.read_to_eof()
        client.close()
    assert not client.chunked.done
    assert "KeyError: 'boom'" in capfd.readouterr().err


def test_bad_item_is_a_source_error():
    errors: List[BaseException] = []
    with raw_server(finite("a", 42), errors) as port:
        client = get(port)
        client.read_to_eof()
        client.close()
    assert client.events() == [Event("a")] and not client.chunked.done
    assert len(errors) == 1 and "not int" in str(errors[0])


# --- two writers: events from the source's thread, heartbeats from the caller's


class Streaming:
    """stream_events() in a thread, on the server side of one loopback connection."""

    def __init__(self, client: Client, thread: threading.Thread, outcome: List[object]) -> None:
        self.client = client
        self.thread = thread
        self.outcome = outcome  # what stream_events returned or raised


@contextlib.contextmanager
def streaming(
    source, sndbuf: Optional[int] = None, rcvbuf: Optional[int] = None, tls=None, **options
) -> Iterator[Streaming]:
    """Connect a client to stream_events() on a server socket whose send buffer can be made small."""
    options = {"response_version": "1.1", "keep_alive": True, "extra_headers": [], "heartbeat": 15.0,
               "retry": None, "send_timeout": TIMEOUT, **options}  # fmt: skip
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(TIMEOUT)
    outcome: List[object] = []

    def serve_one() -> None:
        try:
            sock, _ = listener.accept()
            with sock:
                if sndbuf is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
                if tls is not None:
                    sock.settimeout(TIMEOUT)  # the handshake's
                    sock = tls[0].wrap_socket(sock, server_side=True)
                head = RequestHead("GET", "/events", "1.1", [("host", "127.0.0.1")])
                outcome.append(_streamer.stream_events(sock, head, b"", source, **options))
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=serve_one)
    thread.start()
    client = None
    try:
        # No request: stream_events is given its head (and unread bytes would make close() reset the connection).
        client = Client(listener.getsockname()[1], b"", rcvbuf, None if tls is None else tls[1])
        yield Streaming(client, thread, outcome)
    finally:
        if client is not None:
            client.close()
        thread.join()
        listener.close()


def racing_source(ctx):
    # With small socket buffers and a slow client, each event takes several
    # heartbeat intervals to write, and the pauses between events are about
    # one interval long: heartbeats fall due while events are being written.
    for n in range(4):
        yield f"{n} " + "x" * (1 << 18)
        ctx.wait(0.01 * (n % 3))


@pytest.mark.parametrize("over", ["tcp", "tls"])
def test_heartbeats_never_land_inside_an_event(over, request):
    tls = request.getfixturevalue("tls_contexts") if over == "tls" else None
    with streaming(racing_source, sndbuf=8192, rcvbuf=4096, tls=tls, heartbeat=0.01) as stream:
        stream.client.read_to_end(pause=0.001)
    assert stream.client.events() == [Event(f"{n} " + "x" * (1 << 18)) for n in range(4)]
    assert set(stream.client.items) - set(stream.client.events()) == {Comment("ping")}
    assert stream.outcome == [True]


def test_failed_event_write_ends_the_stream_with_heartbeats_off():
    source, closed = watched(ticking_source)

    with streaming(source, heartbeat=None) as stream:
        stream.client.read_items(1)
        stream.client.close()
        # Whichever finds the client gone first (a failed write of the
        # source's thread, or the look at the readable socket), the calling
        # thread must stop waiting too.
        assert closed.wait(TIMEOUT)
        stream.thread.join(TIMEOUT)
        assert stream.outcome == [False]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_source_ended_by_a_base_exception_is_cut_short():
    def source(ctx):
        yield "a"
        raise SystemExit  # not an Exception: the source's thread dies of it

    with streaming(source) as stream:
        stream.client.read_to_eof()
    assert stream.client.events() == [Event("a")] and not stream.client.chunked.done
    assert stream.outcome == [False]


def test_vanished_tls_client_found_by_a_failed_heartbeat(tls_contexts):
    source, closed = watched(idle_source)

    with streaming(source, tls=tls_contexts, heartbeat=0.1) as stream:
        stream.client.read_items(2)  # the event and a heartbeat
        stream.client.close()
        assert closed.wait(TIMEOUT)  # TLS sockets cannot be peeked at: a heartbeat write fails
        stream.thread.join(TIMEOUT)
        assert stream.outcome == [False]


def test_idle_check_finds_a_vanished_client_with_heartbeats_off(serve):
    source, closed = watched(idle_source)

    with serve(source, heartbeat=None) as port:
        client = get(port)
        client.read_items(1)
        client.sock.settimeout(0.35)
        with pytest.raises(socket.timeout):
            client.sock.recv(65536)  # no heartbeat while idle
        client.close()
        assert closed.wait(TIMEOUT)


# --- the raw adapter's own request handling --------------------------------


def test_raw_malformed_head_gets_400_and_close():
    with raw_server(finite("a")) as port:
        client = Client(port, b"GET /events HTTP/1.1\r\nHost : x\r\n\r\n")
        client.read_to_eof()
        client.close()
    assert client.head[:2] == ("1.1", 400)
    assert client.events() == []


def test_raw_oversized_head_gets_431():
    with raw_server(finite("a"), max_head_size=100) as port:
        client = Client(port, b"GET /events HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 200 + b"\r\n\r\n")
        client.read_to_eof()
        client.close()
    assert client.head[:2] == ("1.1", 431)


def test_raw_client_gone_before_head_is_quiet(capfd):
    with raw_server(finite("a")) as port:
        Client(port, b"GET /ev").close()
        client = get(port)  # the server has moved on to the next connection
        client.read_to_end()
        client.close()
    assert client.events() == [Event("a")]
    assert capfd.readouterr() == ("", "")


# --- request bodies --------------------------------------------------------


def post(port: int, body: bytes, framing: str) -> Client:
    lines = ["POST /v1/chat/completions HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", framing, "", ""]
    return Client(port, "\r\n".join(lines).encode("ascii") + body)


def echo_body(ctx):
    yield ctx.body.decode("utf-8")


def test_request_body_given_to_source(serve):
    body = b'{"stream": true, "messages": []}'
    with serve(echo_body) as port:
        client = post(port, body, f"Content-Length: {len(body)}")
        client.read_items(1)
        client.close()
    assert client.events() == [Event(body.decode())]


def test_chunked_request_body_given_to_source(serve):
    with serve(echo_body) as port:
        client = post(port, b"5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n", "Transfer-Encoding: chunked")
        client.read_items(1)
        client.close()
    assert client.events() == [Event('{"a":1}')]


def test_request_body_over_max_body_size_gets_413(serve):
    with serve(echo_body, max_body_size=4) as port:
        client = post(port, b"12345", "Content-Length: 5")
        head = client.read_head()
        client.close()
    assert head.status == 413


def test_malformed_chunked_request_body_gets_400(serve):
    with serve(echo_body) as port:
        client = post(port, b"zz\r\n", "Transfer-Encoding: chunked")
        head = client.read_head()
        client.close()
    assert head.status == 400


def test_httpserver_body_read_first_is_not_read_again_and_extra_headers_are_sent():
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = read_body(self)
            send_event_stream(self, lambda ctx: [ctx.body.decode()], body=body.upper(), headers=[("X-Extra", "1")])

        def log_message(self, *args):
            pass

    with handler_server(Handler) as port:
        client = post(port, b'{"a":1}', "Content-Length: 7")
        client.read_to_end()
        first_head, first_events = client.head, client.events()
        client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # the same connection: the body was read exactly
        second_head = client.read_head()
        client.close()
    assert stream_headers(first_head) == [("x-extra", "1")] + EVENT_STREAM_HEADERS + [
        ("connection", "keep-alive"),
        ("transfer-encoding", "chunked"),
    ]
    assert first_events == [Event('{"A":1}')]
    assert second_head.status == 501  # the handler has no do_GET


def test_httpserver_read_body_malformed_closes_the_connection():
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            try:
                read_body(self)
            except RemoteProtocolError:
                self.send_error(400)

        def log_message(self, *args):
            pass

    with handler_server(Handler) as port:
        client = post(port, b"zz\r\n", "Transfer-Encoding: chunked")
        client.read_to_eof()
        client.close()
    assert client.head.status == 400
    assert header_value(client.head.headers, "connection") == "close"
