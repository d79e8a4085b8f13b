"""receive_request(): read one request, head and body, off a server's socket under a deadline.

Both server adapters read requests here. The core's request reader makes
every protocol decision (head rules, framing, limits, ``Expect``); this
loop only moves bytes, keeps the deadline and sends ``100 Continue`` when
the reader says the client waits for it. A request to refuse raises
RemoteProtocolError, whose ``error_status_hint`` is the status to answer.
"""

import socket
import time
from typing import Callable, NamedTuple, Optional

from .._http11 import RequestHead, RequestHeadReader, encode_response_head, header_value, request_body_framing
from ..chunked import ChunkedDecoder
from ..errors import LimitExceeded, RemoteProtocolError

__all__ = ["DEFAULT_REQUEST_TIMEOUT", "DEFAULT_MAX_BODY_SIZE", "ReceivedRequest", "receive_request"]

# Seconds from the first wait for a request until its head and body are
# in. Apache's mod_reqtimeout allows 20 to 40 s for a head, nginx 60 s per
# read; a legitimate request (a chat prompt, kilobytes) takes milliseconds,
# while each slow client holds a thread of a threaded server.
DEFAULT_REQUEST_TIMEOUT = 30.0

# A chat completion request with a long history is tens of KiB; a request
# body is held in memory whole, so the bound stays modest.
DEFAULT_MAX_BODY_SIZE = 1024 * 1024

_READ_SIZE = 65536


class ReceivedRequest(NamedTuple):
    """A request read whole: its head, its body (``b""`` if none), and the bytes received after it."""

    head: RequestHead
    body: bytes
    unused: bytes


def receive_request(
    sock: socket.socket,
    read: Callable[[int], bytes],
    *,
    buffered: bytes = b"",
    timeout: Optional[float],
    max_head_size: Optional[int],
    max_body_size: Optional[int],
    continue_version: Optional[str],
) -> Optional[ReceivedRequest]:
    """Read a request: ``buffered`` first, then ``read(n)`` (up to ``n`` bytes of ``sock``, ``b""`` at EOF).

    Returns None when the connection ends before the request's first byte.
    Raises RemoteProtocolError for a request to refuse with its
    ``error_status_hint``, and ``socket.timeout`` when the whole request is
    not in within ``timeout`` seconds (None: no bound); other OSErrors pass
    through. A client that sent ``Expect: 100-continue`` is sent
    ``100 Continue`` in HTTP/``continue_version`` before its body is read
    (None: never). ``sock``'s timeout is restored before returning.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    previous_timeout = sock.gettimeout()

    def receive(size: int) -> bytes:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("the request took longer than request_timeout")
            sock.settimeout(remaining)
        return read(size)

    try:
        reader = RequestHeadReader(max_head_size=max_head_size)
        head = reader.feed(buffered) if buffered else None
        while head is None:
            data = receive(_READ_SIZE)
            if not data:
                reader.close()  # raises when part of a head came
                return None
            head = reader.feed(data)
        body, unused = _read_body(head, reader.unused, receive, max_body_size, sock, continue_version)
        return ReceivedRequest(head, body, unused)
    finally:
        sock.settimeout(previous_timeout)


def _read_body(head, buffered, receive, max_body_size, sock, continue_version):  # interim, until the core reader lands
    kind, length = request_body_framing(head)
    if kind == "none":
        return b"", buffered
    if continue_version is not None and head.version == "1.1" and (header_value(head.headers, "expect") or "").lower() == "100-continue" and not buffered:
        sock.sendall(encode_response_head(100, "Continue", [], continue_version))
    if kind == "length":
        if max_body_size is not None and length > max_body_size:
            raise LimitExceeded("max_body_size", max_body_size, length)
        body = bytearray(buffered[:length])
        while len(body) < length:
            more = receive(min(length - len(body), _READ_SIZE))
            if not more:
                raise RemoteProtocolError("request body cut short")
            body += more
        return bytes(body), buffered[length:]
    decoder = ChunkedDecoder()
    body = bytearray(decoder.feed(buffered))
    while not decoder.done:
        if max_body_size is not None and len(body) > max_body_size:
            raise LimitExceeded("max_body_size", max_body_size, len(body))
        more = receive(_READ_SIZE)
        if not more:
            decoder.close()
        body += decoder.feed(more)
    if max_body_size is not None and len(body) > max_body_size:
        raise LimitExceeded("max_body_size", max_body_size, len(body))
    return bytes(body), decoder.unused
