"""serve_event_stream(): a whole event-stream exchange on a socket you accepted."""

import socket
import time
from typing import Optional, Tuple

from .._http11 import DEFAULT_MAX_HEAD_SIZE, RequestHead, RequestHeadReader, encode_response_head
from ..errors import LimitExceeded, RemoteProtocolError
from ._streamer import DEFAULT_MAX_BODY_SIZE, Item, Source, StreamContext, read_request_body, stream_events

__all__ = ["serve_event_stream", "StreamContext", "Item", "Source", "DEFAULT_MAX_BODY_SIZE"]

_READ_SIZE = 65536


def serve_event_stream(
    sock: socket.socket,
    source: Source,
    *,
    heartbeat: Optional[float] = 15.0,
    retry: Optional[int] = None,
    send_timeout: Optional[float] = 30.0,
    max_head_size: Optional[int] = DEFAULT_MAX_HEAD_SIZE,
    max_body_size: Optional[int] = DEFAULT_MAX_BODY_SIZE,
) -> None:
    """Read the request head from ``sock``, stream the response, close ``sock``.

    For code that owns its sockets. ``source``, ``heartbeat``, ``retry``
    and ``send_timeout`` are as for
    :func:`sse_core.adapters.httpserver.send_event_stream`;
    ``send_timeout`` also bounds the wait for the whole request. The request
    body is read and given to the source as ``ctx.body``. A malformed
    request gets a 400 response (431 past ``max_head_size``, 413 past
    ``max_body_size``) and no stream. The response says ``Connection: close``: HTTP/1.1 clients get a
    chunked body, whose last chunk tells a complete stream from a cut one,
    HTTP/1.0 clients a body that ends when the socket closes. An exception
    raised by the source is raised again here, after the socket is closed.
    """
    try:
        request = _read_request(sock, send_timeout, max_head_size, max_body_size)
        if request is not None:
            stream_events(
                sock,
                *request,
                source,
                response_version="1.1",
                keep_alive=False,
                extra_headers=[],
                heartbeat=heartbeat,
                retry=retry,
                send_timeout=send_timeout,
            )
    finally:
        sock.close()


def _read_request(
    sock: socket.socket, timeout: Optional[float], max_head_size: Optional[int], max_body_size: Optional[int]
) -> Optional[Tuple[RequestHead, bytes]]:
    """The request head and body, or None after answering a bad one or losing the client."""
    reader = RequestHeadReader(max_head_size=max_head_size)
    deadline = None if timeout is None else time.monotonic() + timeout

    def receive(size: int) -> bytes:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("the request took longer than send_timeout")
            sock.settimeout(remaining)
        return sock.recv(size)

    head = None
    try:
        while head is None:
            data = receive(_READ_SIZE)
            if not data:
                return None
            head = reader.feed(data)
        return head, read_request_body(head, reader.unused, receive, max_body_size)[0]
    except LimitExceeded as exc:
        if exc.limit == "max_body_size":
            _refuse(sock, 413, "Content Too Large")
        else:
            _refuse(sock, 431, "Request Header Fields Too Large")
    except RemoteProtocolError:
        _refuse(sock, 400, "Bad Request")
    except OSError:
        pass
    return None


def _refuse(sock: socket.socket, status: int, reason: str) -> None:
    headers = [("Content-Length", "0"), ("Connection", "close")]
    try:
        sock.sendall(encode_response_head(status, reason, headers))
    except OSError:
        pass
