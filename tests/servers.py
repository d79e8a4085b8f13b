"""Loopback servers running the server adapters, and what their tests share."""

import contextlib
import http.server
import socket
import threading
import time
from typing import Iterator, List, Optional

import pytest

from sse_core.adapters.httpserver import StrictRequestHandler, send_event_stream
from sse_core.adapters.rawsocket import serve_event_stream


# The head fields every event stream response carries, names lowercased.
EVENT_STREAM_HEADERS = [
    ("content-type", "text/event-stream; charset=utf-8"),
    ("cache-control", "no-cache, no-transform"),
    ("x-accel-buffering", "no"),
]


@pytest.fixture(autouse=True)
def no_thread_left():
    """Fail a test that leaves a thread running (a module imports it to use it)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 10.0
    while set(threading.enumerate()) - before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert set(threading.enumerate()) - before == set()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = False  # so that server_close() joins the handler threads


@contextlib.contextmanager
def http_server(source, protocol_version: str = "HTTP/1.1", **options) -> Iterator[int]:
    """Serve GET and POST with send_event_stream; yield the port."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            send_event_stream(self, source, **options)

        do_POST = do_GET

        def log_message(self, *args):
            pass

    Handler.protocol_version = protocol_version
    with handler_server(Handler) as port:
        yield port


@contextlib.contextmanager
def strict_server(source, **options) -> Iterator[int]:
    """As http_server, with a StrictRequestHandler; its request bounds are taken out of ``options``."""
    bounds = {name: options.pop(name) for name in ("request_timeout", "max_head_size", "max_body_size") if name in options}

    class Handler(StrictRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            send_event_stream(self, source, **options)

        do_POST = do_GET

        def log_message(self, *args):
            pass

    for name, value in bounds.items():
        setattr(Handler, name, value)
    with handler_server(Handler) as port:
        yield port


@contextlib.contextmanager
def handler_server(handler_class) -> Iterator[int]:
    """Serve ``handler_class`` (a BaseHTTPRequestHandler) on 127.0.0.1 in a thread; yield the port."""
    server = _Server(("127.0.0.1", 0), handler_class)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def raw_server(source, errors: Optional[List[BaseException]] = None, **options) -> Iterator[int]:
    """Serve connections one at a time with serve_event_stream; collect what it raises; yield the port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.05)
    stop = threading.Event()

    def accept_loop():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                continue
            try:
                serve_event_stream(conn, source, **options)
            except Exception as exc:
                (errors if errors is not None else []).append(exc)

    thread = threading.Thread(target=accept_loop)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()
