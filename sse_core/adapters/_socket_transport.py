"""Our own HTTP/1.1 client exchange over ``socket`` (and ``ssl`` for https).

Connecting and TLS are here; every protocol question (the head, interim
responses, which framing, the body's bytes, its end and its faults) is
answered by :class:`~sse_core._body.ResponseReader`, which this loop feeds.
"""

import socket
import ssl
from typing import Optional

from .._body import NEED_DATA, Data, ResponseReader
from .._http11 import DEFAULT_MAX_HEAD_SIZE, ResponseHead
from ._io import READ_SIZE
from ._request import Request
from ._timeouts import Deadline

__all__ = ["SocketTransport", "shutdown"]


class SocketTransport:
    """One request and its response on a fresh connection.

    ``read`` does at most one ``recv``, so the caller's timeout bounds each
    wait for bytes, and returns the body bytes it decoded (possibly none,
    when it only received framing) or None at the end of the body. A body
    cut short or malformed raises RemoteProtocolError, a fault behind bytes
    already returned at the next call, before it waits for more.
    """

    def __init__(
        self,
        request: Request,
        *,
        ssl_context: Optional[ssl.SSLContext] = None,
        max_head_size: Optional[int] = DEFAULT_MAX_HEAD_SIZE,
    ) -> None:
        self.request = request
        self.ssl_context = ssl_context
        self._sock: Optional[socket.socket] = None
        self._reader = ResponseReader(request.method, max_head_size=max_head_size)

    def connect(self, timeout: Optional[float]) -> None:
        request = self.request
        sock = socket.create_connection((request.host, request.port), timeout=timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if request.scheme == "https":
                context = self.ssl_context or ssl.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=request.host)
        except BaseException:
            sock.close()
            raise
        self._sock = sock

    def exchange(self, deadline: Deadline) -> ResponseHead:
        """Send the request and return the final response head (1xx skipped).

        ``Timeouts.total`` bounds the whole wait, however the head trickles
        in; running out raises ``socket.timeout``.
        """
        sock = self._connected()
        sock.settimeout(deadline.read_timeout()[0])
        sock.sendall(self.request.head + self.request.body)
        while True:
            event = self._reader.next_event()
            if isinstance(event, ResponseHead):
                return event
            # Bytes that keep coming never let a socket timeout fire.
            if deadline.expired():
                raise socket.timeout("Timeouts.total ran out before the response head")
            self._receive(deadline.read_timeout()[0])

    def read(self, timeout: Optional[float]) -> Optional[bytes]:
        # Ask the reader first: an event, or a fault, may be waiting in
        # what the last recv brought.
        event = self._reader.next_event()
        if event is NEED_DATA:
            self._receive(timeout)
            event = self._reader.next_event()
            if event is NEED_DATA:
                return b""
        return event.data if isinstance(event, Data) else None

    def _receive(self, timeout: Optional[float]) -> None:
        sock = self._connected()
        sock.settimeout(timeout)
        self._reader.feed(sock.recv(READ_SIZE))  # b"" at EOF tells the reader the input ended

    def _connected(self) -> socket.socket:
        if self._sock is None:
            raise RuntimeError("connect() first")
        return self._sock

    def abort(self) -> None:
        """Wake a read blocked in another thread; the reader then sees the end."""
        shutdown(self._sock)

    def close(self) -> None:
        self.abort()
        if self._sock is not None:
            self._sock.close()


def shutdown(sock: Optional[socket.socket]) -> None:
    """Shut ``sock`` down both ways, so that a read blocked on it returns."""
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already disconnected
