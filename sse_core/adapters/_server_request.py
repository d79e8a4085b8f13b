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

from .._body import DEFAULT_MAX_BODY_SIZE, NEED_DATA, ConnectionClosed, Data, EndOfMessage, RequestReader
from .._http11 import RequestHead, encode_response_head
from ._io import READ_SIZE

__all__ = ["DEFAULT_REQUEST_TIMEOUT", "DEFAULT_MAX_BODY_SIZE", "ReceivedRequest", "receive_request"]

# Seconds from the first wait for a request until its head and body are
# in. Apache's mod_reqtimeout allows 20 to 40 s for a head, nginx 60 s per
# read; a legitimate request (a chat prompt, kilobytes) takes milliseconds,
# while each slow client holds a thread of a threaded server.
DEFAULT_REQUEST_TIMEOUT = 30.0


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

    def wait_until_deadline() -> None:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("the request took longer than request_timeout")
            sock.settimeout(remaining)

    reader = RequestReader(max_head_size=max_head_size, max_body_size=max_body_size)
    if buffered:
        reader.feed(buffered)
    head: Optional[RequestHead] = None
    body = bytearray()
    continue_sent = False
    try:
        while True:
            event = reader.next_event()
            if isinstance(event, RequestHead):
                head = event
            elif isinstance(event, Data):
                body += event.data
            elif isinstance(event, EndOfMessage):
                assert head is not None
                return ReceivedRequest(head, bytes(body), reader.unused)
            elif isinstance(event, ConnectionClosed):
                return None
            else:
                assert event is NEED_DATA
                if continue_version is not None and reader.expects_continue and not continue_sent:
                    wait_until_deadline()
                    sock.sendall(encode_response_head(100, "Continue", [], continue_version))
                    continue_sent = True
                wait_until_deadline()
                reader.feed(read(READ_SIZE))
    finally:
        sock.settimeout(previous_timeout)
