"""send_event_stream(): answer an ``http.server`` request with an event stream."""

import http.server
from typing import Optional, Sequence, Tuple

from .._http11 import RequestHead
from ..errors import LimitExceeded, RemoteProtocolError
from ._streamer import DEFAULT_MAX_BODY_SIZE, Item, Source, StreamContext, read_request_body, stream_events

__all__ = ["send_event_stream", "read_body", "StreamContext", "Item", "Source", "DEFAULT_MAX_BODY_SIZE"]


def send_event_stream(
    handler: http.server.BaseHTTPRequestHandler,
    source: Source,
    *,
    heartbeat: Optional[float] = 15.0,
    retry: Optional[int] = None,
    send_timeout: Optional[float] = 30.0,
    max_body_size: Optional[int] = DEFAULT_MAX_BODY_SIZE,
    body: Optional[bytes] = None,
    headers: Sequence[Tuple[str, str]] = (),
) -> None:
    """Answer the request ``handler`` is serving with an event stream; return when it ends.

    Call it from ``do_GET`` or ``do_POST`` instead of ``send_response``,
    without reading the request body: it is read here (Content-Length or
    chunked, up to ``max_body_size`` bytes) and given to the source as
    ``ctx.body``. A malformed body gets a 400 response, a larger one 413. ``source`` is
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
    if body is None:
        try:
            body = read_body(handler, max_body_size)
        except LimitExceeded:
            handler.send_error(413)
            return
        except RemoteProtocolError:
            handler.send_error(400)
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
            _request_head(handler),
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


def read_body(handler: http.server.BaseHTTPRequestHandler, max_body_size: Optional[int] = DEFAULT_MAX_BODY_SIZE) -> bytes:
    """Read the body of the request ``handler`` is serving (Content-Length or chunked).

    Raises LimitExceeded past ``max_body_size`` bytes and RemoteProtocolError
    for a malformed or cut-short body; then, or when a chunked body was read
    past its end, ``handler.close_connection`` is set, as the connection
    cannot carry another request.
    """
    try:
        body, exact = read_request_body(_request_head(handler), b"", handler.rfile.read1, max_body_size)
    except RemoteProtocolError:  # LimitExceeded included
        handler.close_connection = True
        raise
    if not exact:
        handler.close_connection = True
    return body


def _request_head(handler: http.server.BaseHTTPRequestHandler) -> RequestHead:
    return RequestHead(
        handler.command,
        handler.path,
        "1.1" if handler.request_version == "HTTP/1.1" else "1.0",
        [(name.lower(), value.strip(" \t")) for name, value in handler.headers.items()],
    )
