"""serve_event_stream(): a whole event-stream exchange on a socket you accepted."""

import http
import socket
from typing import Optional

from .._http11 import DEFAULT_MAX_HEAD_SIZE, encode_response_head
from ..errors import RemoteProtocolError
from ._io import close_gracefully
from ._server_request import DEFAULT_MAX_BODY_SIZE, DEFAULT_REQUEST_TIMEOUT, receive_request
from ._streamer import Item, Source, StreamContext, stream_events

__all__ = ["serve_event_stream", "StreamContext", "Item", "Source", "DEFAULT_MAX_BODY_SIZE", "DEFAULT_REQUEST_TIMEOUT"]


def serve_event_stream(
    sock: socket.socket,
    source: Source,
    *,
    heartbeat: Optional[float] = 15.0,
    retry: Optional[int] = None,
    send_timeout: Optional[float] = 30.0,
    request_timeout: Optional[float] = DEFAULT_REQUEST_TIMEOUT,
    max_head_size: Optional[int] = DEFAULT_MAX_HEAD_SIZE,
    max_body_size: Optional[int] = DEFAULT_MAX_BODY_SIZE,
) -> None:
    """Read the request from ``sock``, stream the response, close ``sock``.

    For code that owns its sockets. ``source``, ``heartbeat``, ``retry``
    and ``send_timeout`` are as for
    :func:`sse_core.adapters.httpserver.send_event_stream`. The request,
    head and body, must be in within ``request_timeout`` seconds, or the
    socket is closed without an answer; ``Expect: 100-continue`` is
    answered with ``100 Continue``. The body is given to the source as
    ``ctx.body``. A request to refuse gets its status and no stream: 400
    when malformed or ambiguous, 431 past ``max_head_size``, 413 past
    ``max_body_size``, 501 for a transfer coding other than chunked. The
    response says ``Connection: close``: HTTP/1.1 clients get a
    chunked body, whose last chunk tells a complete stream from a cut one,
    HTTP/1.0 clients a body that ends when the socket closes. An exception
    raised by the source is raised again here, after the socket is closed.
    """
    try:
        try:
            request = receive_request(
                sock,
                sock.recv,
                timeout=request_timeout,
                max_head_size=max_head_size,
                max_body_size=max_body_size,
                continue_version="1.1",
            )
        except RemoteProtocolError as exc:
            _refuse(sock, exc.error_status_hint)
            return
        except OSError:  # reset, or request_timeout passed: nothing to answer
            return
        if request is not None:
            stream_events(
                sock,
                request.head,
                request.body,
                source,
                response_version="1.1",
                keep_alive=False,
                extra_headers=[],
                heartbeat=heartbeat,
                retry=retry,
                send_timeout=send_timeout,
            )
    finally:
        close_gracefully(sock)


def _refuse(sock: socket.socket, status: int) -> None:
    headers = [("Content-Length", "0"), ("Connection", "close")]
    try:
        sock.sendall(encode_response_head(status, http.HTTPStatus(status).phrase, headers))
    except OSError:
        pass
