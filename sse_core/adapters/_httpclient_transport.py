"""The same exchange as ``_socket_transport``, done by ``http.client``.

http.client de-chunks the body and ``read1`` returns what one ``recv``
brought, so nothing waits for a buffer to fill. Its parsing is the
stdlib's, more lenient than sse_core's: a head cut short by the peer passes
as complete, chunk lines are read with ``int(line, 16)``, and the response
head is read under one socket timeout (so ``Timeouts.total`` can be
overrun by a peer that trickles its head).
"""

import http.client
import socket
import ssl
from typing import Optional

from .._http11 import ResponseHead, response_body_framing
from ..errors import RemoteProtocolError
from ._request import Request
from ._socket_transport import shutdown
from ._timeouts import Deadline

__all__ = ["HTTPClientTransport"]

_READ_SIZE = 65536


class _FinalResponse(http.client.HTTPResponse):
    # http.client skips 100 Continue only and would return 103 Early Hints
    # as the response. Reporting every interim status as 100 makes begin()
    # skip them all, as RFC 9110 section 15.2 asks; 101 stays final.
    def _read_status(self):  # type: ignore[no-untyped-def]
        version, status, reason = super()._read_status()  # type: ignore[misc]
        if 100 < status < 200 and status != 101:
            status = http.client.CONTINUE
        return version, status, reason


class HTTPClientTransport:
    """One request and its response over ``http.client``; see SocketTransport for the contract."""

    def __init__(
        self,
        request: Request,
        *,
        ssl_context: Optional[ssl.SSLContext] = None,
        max_head_size: Optional[int] = None,
    ) -> None:
        # max_head_size is accepted for a uniform signature; http.client
        # enforces its own bounds (65536 bytes a line, 100 header fields).
        self.request = request
        self.ssl_context = ssl_context
        self._conn: Optional[http.client.HTTPConnection] = None
        # Kept apart from conn.sock: http.client drops that reference when
        # the response will close the connection, and read timeouts are set
        # on the socket before every read.
        self._sock: Optional[socket.socket] = None
        self._response: Optional[http.client.HTTPResponse] = None

    def connect(self, timeout: Optional[float]) -> None:
        request = self.request
        conn: http.client.HTTPConnection
        if request.scheme == "https":
            context = self.ssl_context or ssl.create_default_context()
            conn = http.client.HTTPSConnection(request.host, request.port, timeout=timeout, context=context)
        else:
            conn = http.client.HTTPConnection(request.host, request.port, timeout=timeout)
        conn.response_class = _FinalResponse
        self._conn = conn
        conn.connect()
        self._sock = conn.sock

    def exchange(self, deadline: Deadline) -> ResponseHead:
        conn, sock = self._conn, self._sock
        if conn is None or sock is None:
            raise RuntimeError("connect() first")
        request = self.request
        sock.settimeout(deadline.read_timeout()[0])
        # The head was validated by encode_request_head; http.client adds
        # nothing of its own (no Host, no Accept-Encoding).
        conn.putrequest(request.method, request.target, skip_host=True, skip_accept_encoding=True)
        for name, value in request.headers:
            conn.putheader(name, value)
        conn.endheaders(request.body or None)
        sock.settimeout(deadline.read_timeout()[0])
        try:
            response = conn.getresponse()
        except http.client.HTTPException as exc:
            raise RemoteProtocolError(f"bad response head: {exc!r}") from exc
        self._response = response
        version = "1.1" if response.version == 11 else "1.0"
        headers = [(name.lower(), value) for name, value in response.getheaders()]
        head = ResponseHead(version, response.status, response.reason, headers)
        # http.client lets Transfer-Encoding override Content-Length; refuse
        # that message exactly as the socket transport does.
        response_body_framing(head, request.method)
        return head

    def read(self, timeout: Optional[float]) -> Optional[bytes]:
        response, sock = self._response, self._sock
        if response is None or sock is None:
            raise RuntimeError("exchange() first")
        sock.settimeout(timeout)
        try:
            data = response.read1(_READ_SIZE)
        except http.client.IncompleteRead as exc:
            raise RemoteProtocolError("chunked body ended early") from exc
        except http.client.HTTPException as exc:
            raise RemoteProtocolError(f"bad response body: {exc!r}") from exc
        if data:
            return data
        # read1 returns b"" both at the end and when a Content-Length body is
        # cut short; only the remaining length tells them apart.
        if response.length:
            raise RemoteProtocolError(f"connection closed with {response.length} body bytes still due")
        return None

    def abort(self) -> None:
        """Wake a read blocked in another thread; the reader then sees the end."""
        shutdown(self._sock)

    def close(self) -> None:
        # Not while another thread reads: HTTPResponse.close() under a
        # running read1() breaks http.client's state (use abort() for that).
        self.abort()
        if self._response is not None:
            self._response.close()
        if self._conn is not None:
            self._conn.close()
        if self._sock is not None:
            self._sock.close()
