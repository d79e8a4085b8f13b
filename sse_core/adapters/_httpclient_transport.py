"""The same exchange as ``_socket_transport``, done by ``http.client``.

http.client de-chunks the body and ``read1`` returns what one ``recv``
brought, so nothing waits for a buffer to fill. Where the standard library
is lenient or unbounded, :class:`_ResponseSocket` (what the response reads
from) and :class:`_FinalResponse` step in, so that both transports give the
same verdicts:

- the bytes of the response head also pass through sse_core's
  :class:`~sse_core._body.ResponseReader`, which raises for what
  http.client would accept (a malformed field line, a head cut short,
  both Transfer-Encoding and Content-Length) and stops a flood of interim
  responses at ``max_interim_responses``;
- every ``recv`` is bounded by ``Timeouts.total`` as well as the read's own
  timeout, however many ``recv`` calls http.client makes for one read;
- the trailer section is read through a
  :class:`~sse_core.chunked.ChunkedDecoder`, within its bound, instead of
  line after line without end.

Chunk-size lines are still read by http.client, with ``int(line, 16)``
(which takes ``0x`` and ``_``, and sizes of any length) within its own bound
of 64 KiB a line, and the two bytes after chunk data are not checked: on
such input the body bytes can differ from the socket transport's.
"""

import functools
import http.client
import io
import socket
import ssl
from typing import Optional

from .._body import NEED_DATA, ResponseReader, response_has_body
from .._http11 import DEFAULT_MAX_HEAD_SIZE, ResponseHead
from ..chunked import DEFAULT_MAX_TRAILER_SIZE, ChunkedDecoder
from ..errors import RemoteProtocolError
from ._io import READ_SIZE
from ._request import Request
from ._socket_transport import shutdown
from ._timeouts import Deadline

__all__ = ["HTTPClientTransport"]


class _ResponseSocket(io.RawIOBase):
    # What http.client reads the response from, in place of the file it
    # makes of the socket: the same recv calls, each bounded in time, with
    # the head checked on the way.

    def __init__(self, sock: socket.socket, reader: ResponseReader) -> None:
        super().__init__()
        self._sock = sock
        self._head: Optional[ResponseReader] = reader  # None once the final head is in
        self.deadline: Optional[Deadline] = None
        self.timeout: Optional[float] = None  # the timeout of the read in progress
        # The file http.client made of the socket, unread: while it is open,
        # closing the connection leaves the socket open for the response,
        # as it does without this class.
        self.socket_file: Optional[io.IOBase] = None

    def close(self) -> None:
        if self.socket_file is not None:
            self.socket_file.close()
        super().close()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        deadline = self.deadline
        timeout = self.timeout
        if deadline is not None:
            # Bytes that keep coming never let a socket timeout fire.
            if deadline.expired():
                raise socket.timeout("Timeouts.total ran out")
            remaining = deadline.read_timeout()[0]
            if timeout is None or (remaining is not None and remaining < timeout):
                timeout = remaining
        self._sock.settimeout(timeout)
        size = self._sock.recv_into(buffer)
        if self._head is not None:
            self._check_head(bytes(memoryview(buffer)[:size]))
        return size

    def _check_head(self, data: bytes) -> None:
        reader = self._head
        assert reader is not None
        reader.feed(data)
        if reader.next_event() is not NEED_DATA:  # raises for what sse_core refuses
            self._head = None


class _FinalResponse(http.client.HTTPResponse):
    def __init__(self, sock: socket.socket, *args: object, source: _ResponseSocket, **kwargs: object) -> None:
        super().__init__(sock, *args, **kwargs)  # type: ignore[arg-type]
        source.socket_file = self.fp
        self.fp = io.BufferedReader(source, READ_SIZE)

    # http.client skips 100 Continue only and would return 103 Early Hints
    # as the response. Reporting every interim status as 100 makes begin()
    # skip them all, as RFC 9110 section 15.2 asks; 101 stays final. The
    # head check counts them and stops a flood.
    def _read_status(self):  # type: ignore[no-untyped-def]
        version, status, reason = super()._read_status()  # type: ignore[misc]
        if 100 < status < 200 and status != 101:
            status = http.client.CONTINUE
        return version, status, reason

    # http.client reads trailer lines until an empty one, with no bound on
    # their number, and takes EOF for the end: read them as the socket
    # transport does instead.
    def _read_and_discard_trailer(self) -> None:
        trailer = ChunkedDecoder()
        trailer.feed(b"0\r\n")
        while not trailer.done:
            line = self.fp.readline(DEFAULT_MAX_TRAILER_SIZE + 1)
            if not line:
                trailer.close()  # raises: the body ended early
            trailer.feed(line)


class HTTPClientTransport:
    """One request and its response over ``http.client``; see SocketTransport for the contract."""

    def __init__(
        self,
        request: Request,
        *,
        ssl_context: Optional[ssl.SSLContext] = None,
        max_head_size: Optional[int] = DEFAULT_MAX_HEAD_SIZE,
    ) -> None:
        # max_head_size bounds the head check; http.client also enforces
        # its own bounds (65536 bytes a line, 100 header fields).
        self.request = request
        self.ssl_context = ssl_context
        self.max_head_size = max_head_size
        self._conn: Optional[http.client.HTTPConnection] = None
        # Kept apart from conn.sock: http.client drops that reference when
        # the response will close the connection.
        self._sock: Optional[socket.socket] = None
        self._source: Optional[_ResponseSocket] = None
        self._response: Optional[http.client.HTTPResponse] = None
        self._has_body = True  # set by exchange(): false for HEAD, 1xx, 204, 304

    def connect(self, timeout: Optional[float]) -> None:
        request = self.request
        conn: http.client.HTTPConnection
        if request.scheme == "https":
            context = self.ssl_context or ssl.create_default_context()
            conn = http.client.HTTPSConnection(request.host, request.port, timeout=timeout, context=context)
        else:
            conn = http.client.HTTPConnection(request.host, request.port, timeout=timeout)
        self._conn = conn
        conn.connect()
        self._sock = conn.sock
        reader = ResponseReader(request.method, max_head_size=self.max_head_size)
        self._source = _ResponseSocket(conn.sock, reader)
        conn.response_class = functools.partial(_FinalResponse, source=self._source)  # type: ignore[assignment]

    def exchange(self, deadline: Deadline) -> ResponseHead:
        conn, sock, source = self._conn, self._sock, self._source
        if conn is None or sock is None or source is None:
            raise RuntimeError("connect() first")
        request = self.request
        sock.settimeout(deadline.read_timeout()[0])
        # The head was validated by encode_request_head; http.client adds
        # nothing of its own (no Host, no Accept-Encoding).
        conn.putrequest(request.method, request.target, skip_host=True, skip_accept_encoding=True)
        for name, value in request.headers:
            conn.putheader(name, value)
        conn.endheaders(request.body or None)
        source.deadline = deadline
        try:
            response = conn.getresponse()
        except http.client.HTTPException as exc:
            raise RemoteProtocolError(f"bad response head: {exc!r}") from exc
        self._response = response
        # http.client reads a chunked body even after a 204 or 304: the
        # core's rule says there is none.
        self._has_body = response_has_body(request.method, response.status)
        version = "1.1" if response.version == 11 else "1.0"
        headers = [(name.lower(), value) for name, value in response.getheaders()]
        return ResponseHead(version, response.status, response.reason, headers)

    def read(self, timeout: Optional[float]) -> Optional[bytes]:
        response, source = self._response, self._source
        if response is None or source is None:
            raise RuntimeError("exchange() first")
        if not self._has_body:
            return None
        source.timeout = timeout
        try:
            data = response.read1(READ_SIZE)
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
