"""One response: open it over a transport, check it, and iterate its events."""

import enum
import socket
import ssl
import threading
from typing import Iterator, List, NoReturn, Optional, Tuple, Type, Union

from .._http11 import DEFAULT_MAX_HEAD_SIZE, header_value
from ..decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE, SSEDecoder
from ..errors import LimitExceeded, LocalProtocolError, RemoteProtocolError, SSEError
from ..events import Event
from ._explain import explain_body
from ._httpclient_transport import HTTPClientTransport
from ._request import Request
from ._socket_transport import SocketTransport
from ._timeouts import Deadline, Timeouts

__all__ = [
    "EndReason",
    "ResponseError",
    "HTTPStatusError",
    "ContentTypeError",
    "Response",
    "open_response",
    "check_event_stream",
    "fail",
    "DEFAULT_MAX_ERROR_BODY",
]

Transport = Union[SocketTransport, HTTPClientTransport]
_TRANSPORTS = {"socket": SocketTransport, "http.client": HTTPClientTransport}

# LLM APIs explain a refusal in a JSON body of a few hundred bytes; 64 KiB
# keeps all of any such explanation and bounds what an error can make us hold.
DEFAULT_MAX_ERROR_BODY = 64 * 1024


class EndReason(enum.Enum):
    """Why iterating a response stopped."""

    DONE = "done"  #: the done marker event (``data: [DONE]``) arrived
    CLOSED = "closed"  #: the body ended cleanly, at an event boundary
    TRUNCATED = "truncated"  #: the body or the connection broke off mid-way
    IDLE_TIMEOUT = "idle_timeout"  #: no byte came for ``Timeouts.idle`` seconds
    TOTAL_TIMEOUT = "total_timeout"  #: ``Timeouts.total`` ran out
    LIMIT_EXCEEDED = "limit_exceeded"  #: a line, event or chunk line passed its bound


class ResponseError(SSEError):
    """A response that carries no event stream.

    ``status`` and ``headers`` (``(name, value)`` pairs, names lowercased)
    are the response's; ``body`` is the start of its body, at most
    ``max_error_body`` bytes (APIs explain themselves there, often in JSON).
    ``str()`` ends with that explanation: an OpenAI-style error's message,
    another JSON body pretty-printed, or the text, trimmed.
    """

    def __init__(self, message: str, status: int, headers: List[Tuple[str, str]], body: bytes) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers
        self.body = body

    def __reduce__(self):  # keep the exception picklable despite the custom __init__
        return (type(self), (self.args[0], self.status, self.headers, self.body))

    def __str__(self) -> str:
        message, explanation = str(self.args[0]), explain_body(self.body)
        if not explanation:
            return message
        # Pretty-printed JSON starts on a line of its own.
        return message + ("\n" if "\n" in explanation else ": ") + explanation


class HTTPStatusError(ResponseError):
    """The status is not one that carries events (not 2xx, or not 200 for EventSource)."""


class ContentTypeError(ResponseError):
    """The response is not ``text/event-stream``."""


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
        decoder: SSEDecoder,
        done_marker: Optional[str],
    ) -> None:
        self.url = request.url
        self.status = status
        self.reason = reason
        self.headers = headers
        self.end_reason: Optional[EndReason] = None
        self.error: Optional[BaseException] = None
        self._transport = transport
        self._deadline = deadline
        self._decoder = decoder
        self._done_marker = done_marker
        # Held by the thread reading; close() from another thread then only
        # aborts, and the reading thread closes once its read returns.
        self._reading = threading.RLock()

    @property
    def last_event_id(self) -> str:
        return self._decoder.last_event_id

    @property
    def retry(self) -> Optional[int]:
        return self._decoder.retry

    def __iter__(self) -> Iterator[Event]:
        while self.end_reason is None:
            for event in self._read_events():
                if self._done_marker is not None and event.data == self._done_marker:
                    self._end(EndReason.DONE)
                    return
                yield event

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

    def _read_events(self) -> List[Event]:
        """Do one read; return the events it completes, ending the response if need be."""
        if self._deadline.expired():
            self._end(EndReason.TOTAL_TIMEOUT)
            return []
        timeout, total_bound = self._deadline.read_timeout()
        with self._reading:
            try:
                data = self._transport.read(timeout)
            except socket.timeout as exc:
                self._end(EndReason.TOTAL_TIMEOUT if total_bound else EndReason.IDLE_TIMEOUT, exc)
                return []
            except LimitExceeded as exc:
                self._end(EndReason.LIMIT_EXCEEDED, exc)
                return []
            except (OSError, RemoteProtocolError) as exc:
                self._end(EndReason.TRUNCATED, exc)
                return []
            if data is None:
                self._end(EndReason.CLOSED if not self._decoder.unterminated else EndReason.TRUNCATED)
                return []
            events: List[Event] = []
            try:
                events = self._decoder.feed(data)
                if events:
                    # The decoder returns the events before a limit it hit
                    # and raises at the next call: make that call now, so
                    # the limit is reported whatever the next read brings.
                    self._decoder.feed(b"")
            except LimitExceeded as exc:
                self._end(EndReason.LIMIT_EXCEEDED, exc)
            return events

    def _end(self, reason: EndReason, error: Optional[BaseException] = None) -> None:
        self.end_reason = reason
        self.error = error
        self.close()


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
        decoder=decoder,
        done_marker=done_marker,
    )


def fail(response: Response, error_class: Type[ResponseError], message: str, max_error_body: int) -> NoReturn:
    """Read the start of the body, close, and raise ``error_class``."""
    body = response._read_body(max_error_body)
    raise error_class(message, response.status, response.headers, body)


def check_event_stream(response: Response, max_error_body: int) -> None:
    """Raise ContentTypeError unless the response is ``text/event-stream``."""
    content_type = header_value(response.headers, "content-type")
    if (content_type or "").split(";")[0].strip(" \t").lower() != "text/event-stream":
        fail(response, ContentTypeError, f"expected text/event-stream, got {content_type!r}", max_error_body)
