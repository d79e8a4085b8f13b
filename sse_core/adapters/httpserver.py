"""send_event_stream(): answer an ``http.server`` request with an event stream.

``http.server`` parses request heads leniently: it drops a field line it
cannot parse (``Transfer-Encoding : chunked``) and reads the rest of the
head as the body, keeps obs-folds and NULs, and takes any number of
``Host`` fields; and it puts no time limit on a request. Handlers derived
from :class:`StrictRequestHandler` read each request with sse_core's own
reader instead, under ``request_timeout``. For a plain
``BaseHTTPRequestHandler``, :func:`send_event_stream` and :func:`read_body`
pass the head ``http.server`` parsed through the same reader, so the same
requests are refused (the head's read time cannot be bounded there).
"""

import http.client
import http.server
from typing import Optional, Sequence, Tuple

from .._http11 import DEFAULT_MAX_HEAD_SIZE, RequestHead, RequestHeadReader, header_value
from ..errors import RemoteProtocolError
from ._io import close_gracefully
from ._server_request import DEFAULT_MAX_BODY_SIZE, DEFAULT_REQUEST_TIMEOUT, ReceivedRequest, receive_request
from ._streamer import Item, Source, StreamContext, stream_events

__all__ = [
    "send_event_stream",
    "read_body",
    "StrictRequestHandler",
    "StreamContext",
    "Item",
    "Source",
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_REQUEST_TIMEOUT",
]


class StrictRequestHandler(http.server.BaseHTTPRequestHandler):
    """A ``BaseHTTPRequestHandler`` that reads each request, head and body, with sse_core's reader.

    Derive from it instead of ``BaseHTTPRequestHandler``: ``do_GET`` and
    the like are called as usual, with ``command``, ``path``,
    ``request_version`` and ``headers`` set, the parsed head in
    ``request_head`` and the body already read into ``request_body``.
    A request is refused before any ``do_*`` runs, and the connection
    closed, when it is malformed or ambiguous (400, e.g. a blank before a
    colon, an obs-fold, a NUL, no or two ``Host`` fields, both framings, a
    bad chunk), too large (431 past ``max_head_size``, 413 past
    ``max_body_size``), framed with a transfer coding other than chunked
    (501) or of another HTTP version (505): see :meth:`refuse_request`.
    A client that takes longer than ``request_timeout`` seconds (None: no
    bound) to send a whole request is disconnected without an answer; the
    bound also closes a kept-alive connection idle that long.
    ``Expect: 100-continue`` is answered with ``100 Continue`` before the
    body is read, when ``protocol_version`` is HTTP/1.1.
    """

    request_timeout: Optional[float] = DEFAULT_REQUEST_TIMEOUT
    max_head_size: Optional[int] = DEFAULT_MAX_HEAD_SIZE
    max_body_size: Optional[int] = DEFAULT_MAX_BODY_SIZE
    request_body = b""
    request_head: RequestHead
    # Bytes received after the previous request on this connection: the
    # start of the next one (a pipelining client sends it early).
    _received_ahead = b""

    def handle_one_request(self) -> None:
        """Read one request with sse_core's reader and call its ``do_*`` method (or refuse it)."""
        # What http.server's own answers look at, until a request is read.
        self.close_connection = True
        self.command = None  # type: ignore[assignment]
        self.request_version = "HTTP/1.0"
        self.requestline = ""
        self.request_body = b""
        try:
            request = receive_request(
                self.connection,
                self.rfile.read1,
                buffered=self._received_ahead,
                timeout=self.request_timeout,
                max_head_size=self.max_head_size,
                max_body_size=self.max_body_size,
                continue_version="1.1" if self.protocol_version >= "HTTP/1.1" else None,
            )
        except RemoteProtocolError as exc:
            self.close_connection = True
            # The reason, for the log: peer bytes in it are shown as repr() does.
            self.log_error("request refused: %s", exc)
            try:
                self.refuse_request(exc)
            except OSError:  # the client has gone (e.g. it closed mid-head)
                pass
            return
        except OSError:  # reset, or request_timeout passed: nothing to answer
            return
        if request is None:  # the client closed between requests
            return
        self._take(request)
        method = getattr(self, "do_" + request.head.method, None)
        if method is None:
            self.send_error(501, f"Unsupported method ({request.head.method!r})")
            return
        method()
        self.wfile.flush()

    def finish(self) -> None:
        """Flush, then close the connection without resetting it (see ``close_gracefully``)."""
        super().finish()
        # socketserver closes the socket after this; shut down and drained
        # here, that close no longer discards a response the client has
        # not read yet.
        close_gracefully(self.connection)

    def refuse_request(self, exc: RemoteProtocolError) -> None:
        """Answer a request that cannot be served; ``exc.error_status_hint`` is the status.

        The default sends ``http.server``'s error page; override it to
        answer in your own format. The connection is closed afterwards.
        """
        self.send_error(exc.error_status_hint)

    def _take(self, request: ReceivedRequest) -> None:
        head = request.head
        self._received_ahead = request.unused
        self.request_head = head
        self.request_body = request.body
        self.command, self.path = head.method, head.target
        self.request_version = f"HTTP/{head.version}"
        self.requestline = f"{head.method} {head.target} {self.request_version}"
        self.raw_requestline = self.requestline.encode("latin-1") + b"\r\n"
        self.headers = http.client.HTTPMessage()
        for name, value in head.headers:
            self.headers[name] = value
        self.close_connection = not _keeps_alive(head, self.protocol_version)


def _keeps_alive(head: RequestHead, protocol_version: str) -> bool:
    # http.server's own rule, so that a handler keeps its connections as
    # before: HTTP/1.1 on both sides unless "close"; HTTP/1.0 only when the
    # client asks for keep-alive and the handler speaks HTTP/1.1.
    if protocol_version < "HTTP/1.1":
        return False
    options = {item.strip(" \t").lower() for item in (header_value(head.headers, "connection") or "").split(",")}
    if "close" in options:
        return False
    return head.version == "1.1" or "keep-alive" in options


def send_event_stream(
    handler: http.server.BaseHTTPRequestHandler,
    source: Source,
    *,
    heartbeat: Optional[float] = 15.0,
    retry: Optional[int] = None,
    send_timeout: Optional[float] = 30.0,
    max_body_size: Optional[int] = DEFAULT_MAX_BODY_SIZE,
    request_timeout: Optional[float] = DEFAULT_REQUEST_TIMEOUT,
    body: Optional[bytes] = None,
    headers: Sequence[Tuple[str, str]] = (),
) -> None:
    """Answer the request ``handler`` is serving with an event stream; return when it ends.

    Call it from ``do_GET`` or ``do_POST`` instead of ``send_response``,
    without reading the request body: it is read here (see
    :func:`read_body`) and given to the source as ``ctx.body``. A request
    to refuse gets its status (400 malformed, 413 past ``max_body_size``,
    501 an unknown transfer coding) and the connection closes; one whose
    body takes longer than ``request_timeout`` seconds is disconnected.
    A :class:`StrictRequestHandler` has read the whole request already,
    under its own bounds. ``source`` is
    called with a :class:`StreamContext` and returns an iterable of items:
    an :class:`~sse_core.Event` (an event type of ``"message"`` and an empty
    ``id`` are left out), a ``dict`` of :func:`~sse_core.encode` keyword
    arguments, or a ``str`` (the data). It runs in a thread of its own; an
    idle source should wait with ``ctx.wait(seconds)``, which returns True
    at once when the client has gone away. A handler that must see the
    body before choosing its answer (e.g. to refuse bad JSON with a 400)
    reads it with :func:`read_body` and passes it as ``body``; then it is
    not read again. ``headers`` are extra response header fields (e.g.
    CORS), sent along with the standard ones.

    The body is chunked when both the request and the handler's
    ``protocol_version`` are HTTP/1.1 (then the connection stays open for
    the next request after a complete stream); otherwise the connection
    closes after it. ``retry`` (milliseconds) is sent first when given; a
    ``: ping`` comment goes out after ``heartbeat`` idle seconds (None: never).
    Each write that takes longer than ``send_timeout`` seconds ends the
    stream, as a client that goes away does: quietly.

    An exception raised by the source ends the stream without its last
    chunk, so the client sees it cut short, and is raised again here, once
    the source is closed, for ``http.server`` to report as usual.
    """
    try:
        request_head = _request_head(handler)
        if body is None:
            body = read_body(handler, max_body_size, request_timeout=request_timeout)
    except RemoteProtocolError as exc:
        handler.send_error(exc.error_status_hint)  # with Connection: close
        return
    except OSError:  # reset, or request_timeout passed
        handler.close_connection = True
        return
    keep_alive = not handler.close_connection  # read_body() sets it when the body did not end exactly
    handler.close_connection = True  # unless the stream ends whole
    handler.wfile.flush()
    sock = handler.connection
    timeout = sock.gettimeout()
    handler.log_request(200)
    try:
        handler.close_connection = not stream_events(
            sock,
            request_head,
            body,
            source,
            response_version="1.1" if handler.protocol_version == "HTTP/1.1" else "1.0",
            keep_alive=keep_alive,
            extra_headers=[("Server", handler.version_string()), *headers],
            heartbeat=heartbeat,
            retry=retry,
            send_timeout=send_timeout,
        )
    finally:
        try:
            sock.settimeout(timeout)  # the handler's own, for the next request
        except OSError:
            pass


def read_body(
    handler: http.server.BaseHTTPRequestHandler,
    max_body_size: Optional[int] = DEFAULT_MAX_BODY_SIZE,
    *,
    request_timeout: Optional[float] = DEFAULT_REQUEST_TIMEOUT,
) -> bytes:
    """Return the body of the request ``handler`` is serving (Content-Length or chunked).

    A :class:`StrictRequestHandler` has read it already: it is returned.
    Otherwise the head ``http.server`` parsed goes through sse_core's
    request reader, which raises RemoteProtocolError for a request to
    refuse (its ``error_status_hint`` is the status: 400 for a malformed
    head or body, 413 past ``max_body_size``, 501 for a transfer coding
    other than chunked), and the body is read within ``request_timeout``
    seconds (``socket.timeout`` past it). After an error, or when a
    chunked body was read past its end, ``handler.close_connection`` is
    set, as the connection cannot carry another request.
    """
    if isinstance(handler, StrictRequestHandler):
        return handler.request_body
    closes = handler.close_connection  # as http.server decided from the head
    handler.close_connection = True  # unless the body ends exactly
    request = receive_request(
        handler.connection,
        handler.rfile.read1,
        buffered=_head_as_received(handler),
        timeout=request_timeout,
        max_head_size=None,  # http.server has bounded it
        max_body_size=max_body_size,
        continue_version=None,  # http.server has answered Expect itself
    )
    assert request is not None  # the head was buffered
    if not request.unused:
        handler.close_connection = closes
    return request.body


def _head_as_received(handler: http.server.BaseHTTPRequestHandler) -> bytes:
    """The head http.server parsed, as bytes again, for sse_core's reader to judge."""
    # A line http.server could not parse as a field ends its header section
    # there: the rest went to the payload, and would be read as a body.
    if handler.headers.defects or handler.headers.get_payload():
        raise RemoteProtocolError("malformed header section")
    # Names and values come back as received (latin-1): an obs-fold keeps
    # its line break, a NUL stays a NUL, so the reader sees and refuses them.
    lines = [handler.raw_requestline.rstrip(b"\r\n")]
    lines += [f"{name}:{value}".encode("latin-1") for name, value in handler.headers.items()]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _request_head(handler: http.server.BaseHTTPRequestHandler) -> RequestHead:
    """The request's head as sse_core reads it; RemoteProtocolError for one to refuse."""
    if isinstance(handler, StrictRequestHandler):
        return handler.request_head
    head = RequestHeadReader(max_head_size=None).feed(_head_as_received(handler))
    assert head is not None  # the head is whole
    return head
