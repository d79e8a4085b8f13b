"""Our own HTTP/1.1 client exchange over ``socket`` (and ``ssl`` for https).

Parsing is sse_core's: ``_http11`` for the head and its framing rules,
:class:`~sse_core.ChunkedDecoder` for a chunked body.
"""

import socket
import ssl
from typing import Optional

from .._http11 import DEFAULT_MAX_HEAD_SIZE, ResponseHead, ResponseHeadReader, response_body_framing
from ..chunked import ChunkedDecoder
from ..errors import RemoteProtocolError
from ._request import Request
from ._timeouts import Deadline

__all__ = ["SocketTransport", "shutdown"]

_READ_SIZE = 65536


class SocketTransport:
    """One request and its response on a fresh connection.

    ``read`` does at most one ``recv``, so the caller's timeout bounds each
    wait for bytes, and returns the body bytes it decoded (possibly none,
    when it only received framing) or None at the end of the body. A body
    cut short raises RemoteProtocolError.
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
        self.max_head_size = max_head_size
        self._sock: Optional[socket.socket] = None
        self._framing = "none"
        self._remaining: Optional[int] = None  # Content-Length bytes still due
        self._chunked: Optional[ChunkedDecoder] = None
        self._unread = b""  # body bytes that arrived with the head

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
        """Send the request and return the final response head (1xx skipped)."""
        sock = self._connected()
        sock.settimeout(deadline.read_timeout()[0])
        sock.sendall(self.request.head + self.request.body)
        data = b""
        while True:
            reader = ResponseHeadReader(max_head_size=self.max_head_size)
            head = reader.feed(data) if data else None
            while head is None:
                sock.settimeout(deadline.read_timeout()[0])
                data = sock.recv(_READ_SIZE)
                if not data:
                    reader.close()
                    raise RemoteProtocolError("connection closed before the response head")
                head = reader.feed(data)
            data = reader.unused
            # Interim responses precede the real one (RFC 9110 section 15.2);
            # 101 is final, and an error here since we never ask to upgrade.
            if not (100 <= head.status < 200 and head.status != 101):
                break
        self._framing, self._remaining = response_body_framing(head, self.request.method)
        if self._framing == "chunked":
            self._chunked = ChunkedDecoder()
        self._unread = data
        return head

    def read(self, timeout: Optional[float]) -> Optional[bytes]:
        if self._framing == "none" or self._remaining == 0:
            return None
        if self._chunked is not None and self._chunked.done:
            return None
        if self._unread:
            data, self._unread = self._unread, b""
        else:
            sock = self._connected()
            sock.settimeout(timeout)
            data = sock.recv(_READ_SIZE)
        if self._chunked is not None:
            if not data:
                self._chunked.close()  # raises unless the body was complete
                return None
            return self._chunked.feed(data)
        if self._remaining is None:
            return data or None
        if not data:
            raise RemoteProtocolError(f"connection closed with {self._remaining} body bytes still due")
        data = data[: self._remaining]
        self._remaining -= len(data)
        return data

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
