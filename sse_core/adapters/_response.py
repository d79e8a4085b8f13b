"""One response over a transport: open it, then read its events until the policy says it ended.

What a status, a head or a read means is ``_response_policy``'s; this
module only connects, reads, times the reads and closes.
"""

import socket
import ssl
import threading
from typing import Iterator, List, NoReturn, Optional, Tuple, Type, Union

from .._http11 import DEFAULT_MAX_HEAD_SIZE
from ..decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE, SSEDecoder
from ..errors import LocalProtocolError, RemoteProtocolError
from ..events import Event
from ._httpclient_transport import HTTPClientTransport
from ._request import Request
from ._response_policy import EndReason, EventReader, Refusal
from ._socket_transport import SocketTransport
from ._timeouts import Deadline, Timeouts

__all__ = ["Response", "open_response", "fail"]

Transport = Union[SocketTransport, HTTPClientTransport]
_TRANSPORTS = {"socket": SocketTransport, "http.client": HTTPClientTransport}


class Response:
    """An open response; iterate it for :class:`~sse_core.Event` objects.

    Each event is yielded as soon as its closing empty line arrives. Once
    the head is in, iterating never raises: however the body ends, the loop
    ends, ``end_reason`` says why (an :class:`EndReason`) and ``error``
    holds the exception behind it, if any (a socket timeout, OSError,
    RemoteProtocolError or LimitExceeded). The connection is closed at the
    end, by ``close()`` or by leaving the ``with`` block; ``end_reason``
    stays None if the body was not read to an end.

    ``last_event_id`` and ``retry`` are the decoder's, for reconnecting.
    """

    def __init__(
        self,
        request: Request,
        transport: Transport,
        deadline: Deadline,
        *,
        status: int,
        reason: str,
        headers: List[Tuple[str, str]],
        reader: EventReader,
    ) -> None:
        self.url = request.url
        self.status = status
        self.reason = reason
        self.headers = headers
        self._transport = transport
        self._deadline = deadline
        self._reader = reader
        # Held by the thread reading; close() from another thread then only
        # aborts, and the reading thread closes once its read returns.
        self._reading = threading.RLock()

    @property
    def end_reason(self) -> Optional[EndReason]:
        return self._reader.end_reason

    @property
    def error(self) -> Optional[BaseException]:
        return self._reader.error

    @property
    def last_event_id(self) -> str:
        return self._reader.last_event_id

    @property
    def retry(self) -> Optional[int]:
        return self._reader.retry

    def __iter__(self) -> Iterator[Event]:
        reader = self._reader
        while reader.end_reason is None:
            yield from self._read_events(reader)

    def __enter__(self) -> "Response":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection; safe to call more than once, from another thread too."""
        self._transport.abort()
        if self._reading.acquire(blocking=False):
            try:
                self._transport.close()
            finally:
                self._reading.release()

    def _read_body(self, limit: int) -> bytes:
        """Return up to ``limit`` bytes of the raw body (to explain an error), then close."""
        pieces: List[bytes] = []
        size = 0
        try:
            while size < limit and not self._deadline.expired():
                data = self._transport.read(self._deadline.read_timeout()[0])
                if data is None:
                    break
                pieces.append(data)
                size += len(data)
        except (OSError, RemoteProtocolError):
            pass  # an explanation cut short is still worth showing
        self.close()
        return b"".join(pieces)[:limit]

    def _read_events(self, reader: EventReader) -> List[Event]:
        """Do one read and report it to ``reader``; close if that ended the stream."""
        deadline = self._deadline
        with self._reading:
            if deadline.expired():
                reader.timed_out(None, total=True)
                events: List[Event] = []
            else:
                timeout, total_bound = deadline.read_timeout()
                try:
                    events = reader.receive(self._transport.read(timeout))
                except socket.timeout as exc:
                    reader.timed_out(exc, total=total_bound)
                    events = []
                except (OSError, RemoteProtocolError) as exc:
                    reader.failed(exc)
                    events = []
            if reader.end_reason is not None:
                self.close()
        return events


def open_response(
    request: Request,
    *,
    transport: str = "socket",
    timeouts: Timeouts = Timeouts(),
    ssl_context: Optional[ssl.SSLContext] = None,
    done_marker: Optional[str] = "[DONE]",
    last_event_id: str = "",
    max_line_size: Optional[int] = DEFAULT_MAX_LINE_SIZE,
    max_event_size: Optional[int] = DEFAULT_MAX_EVENT_SIZE,
    max_head_size: Optional[int] = DEFAULT_MAX_HEAD_SIZE,
) -> Response:
    """Connect, send ``request`` and return the response, its status unchecked."""
    try:
        transport_class: Type[Transport] = _TRANSPORTS[transport]  # type: ignore[assignment]
    except KeyError:
        raise LocalProtocolError(f"unknown transport {transport!r} (use {' or '.join(_TRANSPORTS)})") from None
    deadline = Deadline(timeouts)
    connection = transport_class(request, ssl_context=ssl_context, max_head_size=max_head_size)
    try:
        connection.connect(deadline.connect_timeout())
        head = connection.exchange(deadline)
    except BaseException:
        connection.close()
        raise
    decoder = SSEDecoder(last_event_id=last_event_id, max_line_size=max_line_size, max_event_size=max_event_size)
    return Response(
        request,
        connection,
        deadline,
        status=head.status,
        reason=head.reason,
        headers=head.headers,
        reader=EventReader(decoder, done_marker),
    )


def fail(response: Response, refusal: Refusal, max_error_body: int) -> NoReturn:
    """Read the start of the body, close, and raise the refusal's error."""
    body = response._read_body(max_error_body)
    raise refusal.error_class(refusal.message, response.status, response.headers, body)
