"""What one response means, decided without I/O: refused or not, its events, how it ended.

A client driver (the blocking ``_response``, an asyncio one) connects,
reads and waits; it asks this module what a status and a head mean, and
reports each read's outcome to an :class:`EventReader`, which says which
events to deliver and when and why the stream is over. No socket, thread
or clock is used here, so every driver ends a stream the same way for the
same reason.
"""

import enum
from typing import List, NamedTuple, Optional, Tuple, Type

from .._http11 import header_value
from ..decoder import SSEDecoder
from ..errors import LimitExceeded, SSEError
from ..events import Event
from ._explain import explain_body

__all__ = [
    "EndReason",
    "ResponseError",
    "HTTPStatusError",
    "ContentTypeError",
    "Refusal",
    "check_response",
    "EventReader",
    "DEFAULT_MAX_ERROR_BODY",
]

# LLM APIs explain a refusal in a JSON body of a few hundred bytes; 64 KiB
# keeps all of any such explanation and bounds what an error can make us hold.
DEFAULT_MAX_ERROR_BODY = 64 * 1024

NO_CONTENT = 204


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


class Refusal(NamedTuple):
    """A response refused: the error to raise once the driver has read the start of its body."""

    error_class: Type[ResponseError]
    message: str


def check_response(
    status: int, reason: str, headers: List[Tuple[str, str]], *, reconnecting: bool = False
) -> Optional[Refusal]:
    """Return why a response carries no event stream, or None if it carries one.

    A one-shot stream takes any 2xx; a reconnecting EventSource takes 200
    only, as browsers do. 204 passes either way: it carries nothing (and
    stops an EventSource). The Content-Type must be ``text/event-stream``,
    parameters aside.
    """
    if status == NO_CONTENT:
        return None
    if not (status == 200 if reconnecting else 200 <= status < 300):
        return Refusal(HTTPStatusError, f"HTTP {status} {reason}")
    content_type = header_value(headers, "content-type")
    if (content_type or "").split(";")[0].strip(" \t").lower() != "text/event-stream":
        return Refusal(ContentTypeError, f"expected text/event-stream, got {content_type!r}")
    return None


class EventReader:
    """The events of one response body, and why it ended.

    The driver reports how each read ended: :meth:`receive` for body bytes
    (None at the end of the body), :meth:`timed_out` and :meth:`failed`.
    ``receive`` returns the events to deliver (not the done marker, nor what
    follows it). Once the stream is over, ``end_reason`` is set, ``error``
    holds the exception behind it if any, and the driver closes the
    connection.
    """

    def __init__(self, decoder: SSEDecoder, done_marker: Optional[str]) -> None:
        self.end_reason: Optional[EndReason] = None
        self.error: Optional[BaseException] = None
        self._decoder = decoder
        self._done_marker = done_marker

    @property
    def last_event_id(self) -> str:
        return self._decoder.last_event_id

    @property
    def retry(self) -> Optional[int]:
        return self._decoder.retry

    def receive(self, data: Optional[bytes]) -> List[Event]:
        """Take a read's body bytes, or None at the end of the body; return the events to deliver."""
        if data is None:
            # An event still open at the end of the body was cut off.
            self._end(EndReason.TRUNCATED if self._decoder.unterminated else EndReason.CLOSED)
            return []
        decoder = self._decoder
        events: List[Event] = []
        try:
            events = decoder.feed(data)  # type: ignore[assignment]  # no comments asked for
        except LimitExceeded as exc:
            self._end(EndReason.LIMIT_EXCEEDED, exc)
        else:
            # A fault found after the events returned is held in ``error``:
            # it ends the stream now, whatever the next read brings.
            if decoder.error is not None:
                self._end(EndReason.LIMIT_EXCEEDED, decoder.error)
        marker = self._done_marker
        if marker is not None:
            for event in events:
                if event.data == marker:
                    self._end(EndReason.DONE)  # it came before any fault in the same read
                    return events[: events.index(event)]  # the first equal event is this one
        return events

    def timed_out(self, error: Optional[BaseException], *, total: bool) -> None:
        """A read waited its whole timeout; ``total`` when ``Timeouts.total`` set that timeout."""
        self._end(EndReason.TOTAL_TIMEOUT if total else EndReason.IDLE_TIMEOUT, error)

    def failed(self, error: BaseException) -> None:
        """A read raised: OSError or RemoteProtocolError (LimitExceeded for a chunk line over its bound)."""
        self._end(EndReason.LIMIT_EXCEEDED if isinstance(error, LimitExceeded) else EndReason.TRUNCATED, error)

    def _end(self, reason: EndReason, error: Optional[BaseException] = None) -> None:
        self.end_reason = reason
        self.error = error
