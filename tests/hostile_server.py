"""A loopback HTTP server that answers each request with scripted writes and pauses.

A script is a function ``(request, index) -> steps`` (``index`` counts
connections from 0), or a list of steps for every connection. A step is
bytes (one ``sendall``, sent at once: TCP_NODELAY is on), :class:`Pause`,
:class:`WaitFor`, ``HOLD`` (stay silent until the server stops), ``RESET``
(abort with a TCP RST) or ``AWAIT_CLIENT_CLOSE`` (record whether the client
closes within a few seconds). After the last step the server closes the
connection (a clean FIN). Every wait is bounded and :meth:`close` joins
every thread, so a broken client fails a test instead of hanging it.
"""

import socket
import ssl
import struct
import threading
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

__all__ = [
    "HostileServer",
    "ReceivedRequest",
    "Pause",
    "WaitFor",
    "HOLD",
    "RESET",
    "AWAIT_CLIENT_CLOSE",
    "response_head",
    "sse_head",
    "chunk",
    "LAST_CHUNK",
    "bytewise",
    "tls_server",
]

WAIT_LIMIT = 10.0  # seconds; no step ever waits longer


class Pause(NamedTuple):
    seconds: float


class WaitFor(NamedTuple):
    event: threading.Event
    timeout: float = WAIT_LIMIT


HOLD = "hold"
RESET = "reset"
AWAIT_CLIENT_CLOSE = "await-client-close"

Step = Union[bytes, Pause, WaitFor, str]


class ReceivedRequest(NamedTuple):
    method: str
    target: str
    headers: Dict[str, str]  # names lowercased; a repeated name keeps the last value
    body: bytes


Script = Union[Sequence[Step], Callable[[ReceivedRequest, int], Sequence[Step]]]


def response_head(status: int = 200, headers: Sequence[Tuple[str, str]] = (), reason: str = "X") -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def sse_head(framing: str = "chunked", length: int = 0, extra: Sequence[Tuple[str, str]] = ()) -> bytes:
    """A 200 text/event-stream head; framing "chunked", "length" or "close"."""
    headers = [("Content-Type", "text/event-stream; charset=utf-8"), *extra]
    if framing == "chunked":
        headers.append(("Transfer-Encoding", "chunked"))
    elif framing == "length":
        headers.append(("Content-Length", str(length)))
    else:
        headers.append(("Connection", "close"))
    return response_head(200, headers, "OK")


def chunk(data: bytes, extension: bytes = b"") -> bytes:
    return b"%x%s\r\n%s\r\n" % (len(data), extension, data)


LAST_CHUNK = b"0\r\n\r\n"


def bytewise(data: bytes) -> List[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


class HostileServer:
    """Serve ``script`` on 127.0.0.1 (port 0), over TLS if ``ssl_context`` is given."""

    def __init__(self, script: Script, *, ssl_context: Optional[ssl.SSLContext] = None) -> None:
        self.script = script
        self.ssl_context = ssl_context
        self.requests: List[ReceivedRequest] = []
        self.client_closed: List[bool] = []  # one per AWAIT_CLIENT_CLOSE step
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._threads: List[threading.Thread] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def __enter__(self) -> "HostileServer":
        self._acceptor.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.stopping.set()
        if self._acceptor.is_alive():
            # Closing a listening socket does not wake accept(); a connection does.
            socket.create_connection(("127.0.0.1", self.port), timeout=WAIT_LIMIT).close()
        self._acceptor.join(WAIT_LIMIT)
        self._listener.close()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(WAIT_LIMIT)
        alive = [thread for thread in threads if thread.is_alive()] + [self._acceptor] * self._acceptor.is_alive()
        assert not alive, "server threads still running"

    def _accept_loop(self) -> None:
        index = 0
        while True:
            conn, _ = self._listener.accept()
            if self.stopping.is_set():
                conn.close()
                return
            thread = threading.Thread(target=self._serve, args=(conn, index), daemon=True)
            index += 1
            with self._lock:
                self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket, index: int) -> None:
        conn.settimeout(WAIT_LIMIT)
        try:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.ssl_context is not None:
                conn = self.ssl_context.wrap_socket(conn, server_side=True)
            request = _read_request(conn)
            if request is None:
                return
            with self._lock:
                self.requests.append(request)
            steps = self.script(request, index) if callable(self.script) else self.script
            for step in steps:
                if not self._run(conn, step):
                    return
        except (OSError, ValueError):
            pass  # the client went away or failed the TLS handshake: its test says what it expects
        finally:
            conn.close()

    def _run(self, conn: socket.socket, step: Step) -> bool:
        """Perform one step; False when the connection is finished."""
        if isinstance(step, bytes):
            conn.sendall(step)
        elif isinstance(step, Pause):
            self.stopping.wait(step.seconds)
        elif isinstance(step, WaitFor):
            step.event.wait(step.timeout)
        elif step == HOLD:
            self.stopping.wait(WAIT_LIMIT)
        elif step == RESET:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        elif step == AWAIT_CLIENT_CLOSE:
            try:
                closed = conn.recv(1) == b""
            except OSError:
                closed = True
            self.client_closed.append(closed)
        else:
            raise ValueError(f"unknown step {step!r}")
        return True


def _read_request(conn: socket.socket) -> Optional[ReceivedRequest]:
    data = b""
    while b"\r\n\r\n" not in data:
        more = conn.recv(65536)
        if not more:
            return None
        data += more
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        more = conn.recv(65536)
        if not more:
            break
        body += more
    return ReceivedRequest(method, target, headers, body)


def tls_server(certificate: Tuple[str, str], script: Script) -> HostileServer:
    """A HostileServer over TLS with ``certificate``, a (cert path, key path) pair."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return HostileServer(script, ssl_context=context)
