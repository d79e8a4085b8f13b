"""How the server adapters read a request: the same strict verdicts, a deadline, 100 Continue.

Each case runs over real loopback sockets, with raw request bytes, against
a plain ``http.server`` handler calling ``send_event_stream``, a
``StrictRequestHandler`` and the raw socket adapter.
"""

import contextlib
import resource
import selectors
import socket
import time
from typing import Callable, Tuple

import pytest

from sse_core._http11 import ResponseHead, ResponseHeadReader, header_value
from sse_core.mock import MockServer

from .servers import http_server, no_thread_left, raw_server, strict_server  # noqa: F401 (a fixture)

TIMEOUT = 5.0
# A short request_timeout, and the slack allowed past it.
BOUND = 0.3
SLACK = 1.5

SERVERS = {"httpserver": http_server, "strict": strict_server, "rawsocket": raw_server}


@pytest.fixture(params=sorted(SERVERS))
def serve(request) -> Callable:
    return SERVERS[request.param]


@pytest.fixture(params=["strict", "rawsocket"])
def serve_bounding_heads(request) -> Callable:
    """The servers that read the head themselves, so can bound its time (http.server reads it for a plain handler)."""
    return SERVERS[request.param]


def echo_body(ctx):
    yield ctx.body.decode("latin-1") or "(no body)"


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)


def read_to_eof(sock: socket.socket) -> bytes:
    received = b""
    while True:
        data = sock.recv(65536)
        if not data:
            return received
        received += data


def refused(serve: Callable, request: bytes) -> ResponseHead:
    """Send ``request``; check that it got one answer with Connection: close, then EOF; return the answer's head."""
    with serve(echo_body) as port:
        with connect(port) as sock:
            sock.sendall(request)
            received = read_to_eof(sock)
    reader = ResponseHeadReader()
    head = reader.feed(received)
    assert head is not None, received
    assert header_value(head.headers, "connection") == "close"
    # Nothing after the answer's body: the rest of the request was not read as another request.
    assert len(reader.unused) == int(header_value(head.headers, "content-length") or "0"), received
    return head


def request(*lines: str, body: bytes = b"") -> bytes:
    return "\r\n".join([*lines, "", ""]).encode("latin-1") + body


# --- verdicts ----------------------------------------------------------------


def test_blank_before_colon_is_refused_not_read_as_a_second_request(serve):
    smuggled = b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    head = refused(serve, request("POST /events HTTP/1.1", "Host: x", "Transfer-Encoding : chunked", body=smuggled))
    assert head.status == 400


def test_obs_fold_is_refused(serve):
    assert refused(serve, request("GET /events HTTP/1.1", "Host: x", "X-Folded: a", " b")).status == 400


def test_nul_in_a_field_value_is_refused(serve):
    assert refused(serve, request("GET /events HTTP/1.1", "Host: x", "X-Nul: a\x00b")).status == 400


def test_http11_request_without_host_is_refused(serve):
    assert refused(serve, request("GET /events HTTP/1.1", "Accept: text/event-stream")).status == 400


def test_two_host_fields_are_refused(serve):
    assert refused(serve, request("GET /events HTTP/1.1", "Host: x", "Host: y")).status == 400


def test_transfer_coding_other_than_chunked_gets_501(serve):
    body = b"3\r\nabc\r\n0\r\n\r\n"
    head = refused(serve, request("POST /events HTTP/1.1", "Host: x", "Transfer-Encoding: gzip, chunked", body=body))
    assert head.status == 501


def test_bad_chunk_after_a_good_one_then_silence_gets_400_at_once(serve):
    # The client keeps the connection open: the fault must be answered
    # without waiting for more bytes or for request_timeout.
    with serve(echo_body) as port:
        with connect(port) as sock:
            body = b"2\r\nhi\r\nzz\r\n"
            sock.sendall(request("POST /events HTTP/1.1", "Host: x", "Transfer-Encoding: chunked", body=body))
            sock.settimeout(1.0)
            received = sock.recv(65536)
    assert received.startswith(b"HTTP/1.1 400 ")


def test_chunk_size_line_over_its_bound_gets_400_not_431(serve):
    body = b"1" * 5000  # past the 4 KiB bound, with no line end yet
    head = refused(serve, request("POST /events HTTP/1.1", "Host: x", "Transfer-Encoding: chunked", body=body))
    assert head.status == 400


# --- the deadline --------------------------------------------------------------


def trickle_until_closed(sock: socket.socket, interval: float = 0.05) -> Tuple[float, bytes]:
    """Send one byte of a header value every ``interval`` until the server closes; return when, and what it sent."""
    started = time.monotonic()
    received = b""
    sock.settimeout(interval)
    while time.monotonic() - started < BOUND + SLACK:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            try:
                sock.sendall(b"a")
            except OSError:  # reset by the server's close
                break
            continue
        except OSError:
            break
        if not data:
            break
        received += data
    return time.monotonic() - started, received


def test_slow_request_head_cut_off_at_request_timeout(serve_bounding_heads):
    with serve_bounding_heads(echo_body, request_timeout=BOUND) as port:
        with connect(port) as sock:
            sock.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            elapsed, received = trickle_until_closed(sock)
    assert BOUND <= elapsed < BOUND + SLACK
    assert received == b""  # closed without an answer


def test_slow_request_body_cut_off_at_request_timeout(serve):
    with serve(echo_body, request_timeout=BOUND) as port:
        with connect(port) as sock:
            sock.sendall(request("POST /events HTTP/1.1", "Host: x", "Content-Length: 1000"))
            elapsed, received = trickle_until_closed(sock)
    assert BOUND <= elapsed < BOUND + SLACK
    assert received == b""


def test_hundreds_of_slow_clients_are_all_released():
    count = 300
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = 4 * count  # both ends of each connection, and room for the rest
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))
    with MockServer(request_timeout=BOUND) as server, selectors.DefaultSelector() as selector:
        clients = []
        try:
            for _ in range(count):
                sock = connect(server.port)
                clients.append(sock)
                sock.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n")  # and never the rest
                selector.register(sock, selectors.EVENT_READ)
            started = time.monotonic()
            open_clients = set(clients)
            while open_clients and time.monotonic() - started < BOUND + 5.0:
                for key, _ in selector.select(timeout=0.5):
                    with contextlib.suppress(ConnectionResetError):
                        assert key.fileobj.recv(65536) == b""  # type: ignore[union-attr]
                    selector.unregister(key.fileobj)
                    open_clients.discard(key.fileobj)
            elapsed = time.monotonic() - started
            assert not open_clients, f"{len(open_clients)} of {count} slow clients still held after {elapsed:.1f} s"
            # The server still answers.
            with connect(server.port) as sock:
                sock.sendall(request("GET /v1/models HTTP/1.1", "Host: x", "Connection: close"))
                assert read_to_eof(sock).startswith(b"HTTP/1.1 200 ")
        finally:
            for sock in clients:
                sock.close()


# --- Expect: 100-continue --------------------------------------------------------


def test_expect_100_continue_is_answered_before_the_body(serve):
    body = b'{"prompt": "hi"}'
    continue_line = b"HTTP/1.1 100 Continue\r\n\r\n"
    with serve(echo_body) as port:
        with connect(port) as sock:
            head = ("POST /events HTTP/1.1", "Host: x", "Expect: 100-continue", f"Content-Length: {len(body)}")
            sock.sendall(request(*head, "Connection: close"))
            interim = b""
            while len(interim) < len(continue_line):  # the client waits for it before sending the body
                data = sock.recv(len(continue_line) - len(interim))
                assert data, interim
                interim += data
            assert interim == continue_line
            sock.sendall(body)
            received = read_to_eof(sock)
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b'data: {"prompt": "hi"}\n\n' in received


# --- StrictRequestHandler's connection --------------------------------------------


def test_strict_handler_keeps_the_connection_and_serves_pipelined_requests():
    first = request("POST /events HTTP/1.1", "Host: x", "Transfer-Encoding: chunked", body=b"1\r\na\r\n0\r\n\r\n")
    second = request("GET /events HTTP/1.1", "Host: x", "Connection: close")
    with strict_server(echo_body) as port:
        with connect(port) as sock:
            sock.sendall(first + second)  # the second arrives with the first's body
            received = read_to_eof(sock)
    assert received.count(b"HTTP/1.1 200 OK\r\n") == 2
    assert b"data: a\n\n" in received and b"data: (no body)\n\n" in received
    assert received.endswith(b"\r\n0\r\n\r\n")


# --- closing ------------------------------------------------------------------


def test_a_refusal_reaches_a_client_still_sending_its_body(serve_bounding_heads):
    # The server stops reading at the refusal; closing with the rest of the
    # body unread would reset the connection and destroy the 413 in flight.
    head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n".encode("latin-1")
    with serve_bounding_heads(echo_body) as port:
        with connect(port) as sock:
            sock.sendall(head)
            received = b""
            # Keep sending while the answer arrives, as an upload does.
            sock.setblocking(False)
            deadline = time.monotonic() + TIMEOUT
            with selectors.DefaultSelector() as selector:
                selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
                while time.monotonic() < deadline:
                    ready = selector.select(deadline - time.monotonic())
                    events = ready[0][1] if ready else 0
                    if events & selectors.EVENT_READ:
                        data = sock.recv(65536)
                        if not data:
                            break
                        received += data
                    elif events & selectors.EVENT_WRITE:
                        sock.send(b"x" * 65536)
    reader = ResponseHeadReader()
    answer = reader.feed(received)
    assert answer is not None and answer.status == 413, received[:200]


def test_bytes_after_a_request_do_not_cost_the_client_its_stream(serve_bounding_heads):
    # Pipelined bytes the server never reads: the stream and its last chunk
    # must still arrive whole, not be reset away when the socket closes.
    with serve_bounding_heads(echo_body) as port:
        with connect(port) as sock:
            sock.sendall(request("GET / HTTP/1.1", "Host: x", "Connection: close") + b"junk after the request")
            received = read_to_eof(sock)
    assert received.endswith(b"0\r\n\r\n"), received[-200:]
