"""MockServer: the mock OpenAI-compatible server, started and stopped from Python.

Theory of operation: a ``ThreadingHTTPServer`` accepts in a thread of its
own and serves each connection in another (HTTP/1.1, so connections are
kept). :meth:`MockServer.close` must end every one of those threads, even
an endless ``/events`` stream or an idle kept-alive connection: it sets
``stopping`` (every stream waits through :meth:`wait`, which watches it,
so sources end at their next wait), stops accepting, shuts down the
sockets still open (which wakes handlers blocked reading the next
request), and then joins every handler thread and the accepting one.
"""

import collections
import http.server
import socket
import sys
import threading
import time
from typing import Deque, Dict, List, NamedTuple, Optional, Set, TextIO

from ..adapters.httpserver import DEFAULT_REQUEST_TIMEOUT, StreamContext
from .handler import MockHandler
from .options import MockOptions

__all__ = ["MockServer", "RecordedRequest"]

# A source sleeping through a long pause looks at `stopping` this often.
_STOP_CHECK_INTERVAL = 0.05

# Requests remembered for MockServer.requests; older ones are forgotten.
_RECORD_LIMIT = 1000


class RecordedRequest(NamedTuple):
    """A request the server received: method, target (path and query), headers (names lowercased)."""

    method: str
    target: str
    headers: Dict[str, str]


class MockServer:
    """The mock server on ``host``:``port`` (0: a free port), configured by ``options``.

    Use it as a context manager, or call :meth:`start` and :meth:`close`.
    ``url`` is its base URL (``http://127.0.0.1:PORT``); clients of the
    OpenAI API take ``url + "/v1"`` as their base URL. ``log`` (e.g.
    ``sys.stderr``) gets one line per request; None keeps it quiet. Each
    request, head and body, must be in within ``request_timeout`` seconds
    of its connection starting to wait for it (None: no bound), or the
    client is disconnected: slow or idle clients cannot hold its threads.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        options: MockOptions = MockOptions(),
        log: Optional[TextIO] = None,
        request_timeout: Optional[float] = DEFAULT_REQUEST_TIMEOUT,
    ) -> None:
        self.options = options
        self.request_timeout = request_timeout
        self.stopping = threading.Event()
        self._log = log
        self._httpd = _HTTPServer(host, port, self)
        self._thread: Optional[threading.Thread] = None
        self._records: Deque[RecordedRequest] = collections.deque(maxlen=_RECORD_LIMIT)
        self._lock = threading.Lock()
        address = self._httpd.server_address
        self.host: str = address[0]
        self.port: int = address[1]
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{shown}:{self.port}"

    def start(self) -> "MockServer":
        """Start accepting connections in a background thread; return self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="sse_core mock server"
            )
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop: end every stream, close every connection, join every thread."""
        self.stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.close_connections()
        self._httpd.server_close()  # joins the handler threads

    def __enter__(self) -> "MockServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def requests(self) -> List[RecordedRequest]:
        """The requests received so far, oldest first (the last 1000)."""
        with self._lock:
            return list(self._records)

    def wait(self, ctx: StreamContext, seconds: float) -> bool:
        """Sleep up to ``seconds`` in a stream; True at once when its client left or the server is stopping."""
        end = time.monotonic() + seconds
        while not self.stopping.is_set():
            remaining = end - time.monotonic()
            if remaining <= 0:
                return ctx.disconnected
            if ctx.wait(min(remaining, _STOP_CHECK_INTERVAL)):
                return True
        return True

    def record(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        """Remember a request (called by the handler)."""
        headers = {name.lower(): value for name, value in handler.headers.items()}
        with self._lock:
            self._records.append(RecordedRequest(handler.command, handler.path, headers))

    def log(self, message: str, client: str) -> None:
        """Write one line about a request to ``log``, if any (called by the handler)."""
        if self._log is not None:
            self._log.write(f"{client} - {message}\n")
            self._log.flush()


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the handler threads
    # socketserver's listen backlog of 5 makes clients wait seconds for a
    # connection while hundreds of others are being accepted (the kernel
    # caps it at net.core.somaxconn).
    request_queue_size = 1024

    def __init__(self, host: str, port: int, mock: MockServer) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.mock = mock
        self._open: Set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__((host, port), MockHandler)

    # The handler finds what it needs on its server.
    @property
    def options(self) -> MockOptions:
        return self.mock.options

    @property
    def stopping(self) -> threading.Event:
        return self.mock.stopping

    @property
    def request_timeout(self) -> Optional[float]:
        return self.mock.request_timeout

    def wait(self, ctx: StreamContext, seconds: float) -> bool:
        return self.mock.wait(ctx, seconds)

    def record(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        self.mock.record(handler)

    def log(self, message: str, client: str) -> None:
        self.mock.log(message, client)

    def process_request(self, request, client_address):  # type: ignore[no-untyped-def]
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):  # type: ignore[no-untyped-def]
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut down every open connection, waking its handler (called once accepting has stopped)."""
        with self._open_lock:
            connections = list(self._open)
        for sock in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed by its handler
                pass

    def handle_error(self, request, client_address):  # type: ignore[no-untyped-def]
        # A client that goes away mid-answer is no server error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)
