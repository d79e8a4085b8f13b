"""How the server adapters notice a client that has gone, over real loopback sockets.

A closed or reset connection turns the socket readable: the adapters wait
on that, not on a timer, so ``ctx.wait`` returns within 100 ms of the
client going, heartbeats on or off (issue 15); bytes a client sends during
a stream are no sign of life (issue 19, finding 8); and thousands of
clients leaving at once neither linger nor starve a new one.
"""

import contextlib
import http.server
import os
import socket
import struct
import threading
import time
from typing import Callable, Iterator, List, Optional, Tuple

import pytest

from sse_core._http11 import RequestHead
from sse_core.adapters import _streamer
from sse_core.adapters.httpserver import send_event_stream

from .servers import handler_server, http_server, no_thread_left, raw_server  # noqa: F401 (a fixture)
from .test_adapter_server import TIMEOUT, Client, get, streaming

try:
    import resource
except ImportError:  # not on Windows
    resource = None  # type: ignore[assignment]

SERVERS = {"httpserver": http_server, "rawsocket": raw_server}


@pytest.fixture(params=sorted(SERVERS))
def serve(request) -> Callable:
    return SERVERS[request.param]


class WaitingSource:
    """Yields one event, then waits in ``ctx.wait``; notes when the wait returned and when its finally ran."""

    def __init__(self) -> None:
        self.waited = threading.Event()
        self.wait_returned_at = 0.0
        self.closed = threading.Event()

    def __call__(self, ctx):
        try:
            yield "hi"
            ctx.wait(TIMEOUT * 2)
            self.wait_returned_at = time.monotonic()
            self.waited.set()
        finally:
            self.closed.set()


def leave(client: Client, how: str) -> None:
    if how == "reset":
        # An abortive close: the client's kernel sends RST, not FIN.
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()


def open_fds() -> Optional[int]:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:  # no /proc: threads are counted alone
        return None


def settles(measure: Callable[[], object], expected: object, seconds: float) -> bool:
    """Whether ``measure()`` comes back to ``expected`` within ``seconds`` (things wind down in other threads)."""
    deadline = time.monotonic() + seconds
    while measure() != expected:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


# --- one client ------------------------------------------------------------


@pytest.mark.parametrize("how", ["close", "reset"])
@pytest.mark.parametrize("heartbeat", [15.0, None])
def test_wait_returns_within_100ms_of_the_client_going(serve, heartbeat, how):
    source = WaitingSource()
    with serve(source, heartbeat=heartbeat) as port:
        client = get(port)
        client.read_items(1)
        left_at = time.monotonic()
        leave(client, how)
        assert source.waited.wait(TIMEOUT)
        assert source.wait_returned_at - left_at < 0.1
        assert source.closed.wait(TIMEOUT)


def test_wait_returns_within_100ms_of_a_tls_client_going(tls_contexts):
    source = WaitingSource()
    with streaming(source, tls=tls_contexts, heartbeat=None) as stream:
        stream.client.read_items(1)
        left_at = time.monotonic()
        stream.client.close()
        assert source.waited.wait(TIMEOUT)
        assert source.wait_returned_at - left_at < 0.1
        stream.thread.join(TIMEOUT)
    assert stream.outcome == [False]


def test_stray_byte_then_close_leaves_no_thread_or_socket(serve):
    # Issue 19, finding 8: with heartbeats off, the byte was taken for a
    # live client, and the stream's two threads and socket stayed forever.
    source = WaitingSource()
    with serve(source, heartbeat=None) as port:
        threads, fds = threading.active_count(), open_fds()
        client = get(port)
        client.read_items(1)
        client.sock.sendall(b"x")
        client.close()
        assert source.closed.wait(1.0)
        assert settles(threading.active_count, threads, 1.0)
        assert settles(open_fds, fds, 1.0)


def test_tls_client_sending_bytes_then_closing_is_found_gone(tls_contexts):
    # The TLS socket is read (under the write lock), not peeked at: the
    # bytes are dropped, and the close behind them ends the stream.
    source = WaitingSource()
    with streaming(source, tls=tls_contexts, heartbeat=None) as stream:
        stream.client.read_items(1)
        stream.client.sock.sendall(b"x")
        stream.client.close()
        assert source.closed.wait(1.0)
        stream.thread.join(TIMEOUT)
    assert stream.outcome == [False]


def fionread(sock: socket.socket) -> int:
    """How many received bytes ``sock`` holds unread."""
    import fcntl
    import termios

    return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]


@contextlib.contextmanager
def stream_with_server_socket(source) -> Iterator[Tuple[Client, List[socket.socket], List[object]]]:
    """stream_events() on one keep-alive loopback connection; the server's socket is shown, to look at its queue."""
    listener = socket.create_server(("127.0.0.1", 0))
    server_sockets: List[socket.socket] = []
    outcome: List[object] = []
    accepted = threading.Event()

    def serve_one() -> None:
        sock, _ = listener.accept()
        with sock:
            server_sockets.append(sock)
            accepted.set()
            head = RequestHead("GET", "/events", "1.1", [("host", "127.0.0.1")])
            outcome.append(_streamer.stream_events(
                sock, head, b"", source, response_version="1.1", keep_alive=True, extra_headers=[],
                heartbeat=None, retry=None, send_timeout=TIMEOUT,
            ))  # fmt: skip

    thread = threading.Thread(target=serve_one)
    thread.start()
    client = Client(listener.getsockname()[1], b"")
    try:
        assert accepted.wait(TIMEOUT)
        yield client, server_sockets, outcome
    finally:
        client.close()
        thread.join(TIMEOUT)
        listener.close()


@pytest.mark.skipif(not os.path.exists("/proc/self/fd"), reason="FIONREAD as Linux has it")
def test_bytes_sent_during_a_stream_are_dropped_and_the_connection_not_reused():
    # A pipelined next request cannot be answered before an endless stream
    # ends; the server reads such bytes (so an EOF behind them is seen), the
    # stream goes on, and then the connection is not reused.
    go_on = threading.Event()

    def source(ctx):
        yield "a"
        go_on.wait(TIMEOUT)
        yield "b"

    with stream_with_server_socket(source) as (client, server_sockets, outcome):
        client.read_items(1)
        client.sock.sendall(b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
        assert settles(lambda: fionread(server_sockets[0]), 0, TIMEOUT)  # read by the server
        go_on.set()
        client.read_to_end()
    assert [event.data for event in client.events()] == ["a", "b"]
    assert outcome == [False]


# --- many clients ----------------------------------------------------------


CLIENTS = 2000


def raise_limit(name: str, needed: int) -> Callable[[], None]:
    """Raise resource limit ``name`` to ``needed`` if it is lower (skip the test if it cannot be); return the undo."""
    if resource is None:
        pytest.skip("no resource module")
    limit = getattr(resource, name)
    soft, hard = resource.getrlimit(limit)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return lambda: None
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"{name} hard limit {hard} < {needed}")
    resource.setrlimit(limit, (needed, hard))
    return lambda: resource.setrlimit(limit, (soft, hard))


class _ManyClientsServer(http.server.ThreadingHTTPServer):
    request_queue_size = CLIENTS  # the listen backlog: they connect all at once
    daemon_threads = False  # so that server_close() joins the handler threads


def test_new_client_gets_its_first_event_within_1s_after_2000_clients_leave_at_once():
    undo_files = raise_limit("RLIMIT_NOFILE", 2 * CLIENTS + 500)  # both ends of each connection, in this process
    undo_threads = raise_limit("RLIMIT_NPROC", 2 * CLIENTS + 500) if hasattr(resource, "RLIMIT_NPROC") else None
    closed = threading.Semaphore(0)

    def source(ctx):
        try:
            yield "hi"
            ctx.wait(TIMEOUT * 2)
        finally:
            closed.release()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            send_event_stream(self, source if self.path == "/events" else lambda ctx: ["new"])

        def log_message(self, *args):
            pass

    server = _ManyClientsServer(("127.0.0.1", 0), Handler)
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    serving.start()
    port = server.server_address[1]
    clients: List[Client] = []
    try:
        for _ in range(CLIENTS):
            clients.append(get(port))
        for client in clients:
            client.read_items(1)
        left_at = time.monotonic()
        for client in clients:
            client.close()
        newcomer = Client(port, b"GET /new HTTP/1.1\r\nHost: x\r\n\r\n")
        newcomer.read_items(1)
        first_event_after = time.monotonic() - left_at
        newcomer.close()
        released = all(closed.acquire(timeout=max(0.0, left_at + 3.0 - time.monotonic())) for _ in range(CLIENTS))
        assert first_event_after < 1.0
        assert released  # before readiness waits: 15 s, the heartbeat interval
    finally:
        for client in clients:
            client.close()
        server.shutdown()
        server.server_close()
        serving.join()
        undo_files()
        if undo_threads is not None:
            undo_threads()
