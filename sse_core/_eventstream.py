"""The server's side of an event stream, sans I/O: head fields, item -> bytes, heartbeat, last chunk.

Two objects, so that a server that frames its own responses and one that
does not share the same rules:

- :class:`EventStreamWriter` says what every event stream carries whatever
  the HTTP version: the response head fields, the ``retry`` sent first,
  each item and heartbeat as SSE bytes. An ASGI application (whose server
  does its own framing, and may speak HTTP/2) needs only this.
- :class:`HTTP1Framing` says how those bytes travel on an HTTP/1.x
  connection: chunked when both sides speak HTTP/1.1 (so the last chunk
  tells a complete stream from a cut one, and the connection can carry
  another request), else delimited by closing the connection; the
  ``Connection`` and ``Transfer-Encoding`` fields; no body for ``HEAD``;
  no keep-alive after bytes the client sent during the stream.

Neither holds a socket, a thread or a clock: a driver calls them and moves
the bytes (adding a ``Date`` field of its own, since the core reads no clock).
"""

from typing import Dict, List, Optional, Sequence, Tuple, Union

from ._http11 import encode_response_head
from .chunked import encode_chunk, encode_last_chunk
from .encoder import encode
from .errors import LocalProtocolError
from .events import Event

__all__ = ["Item", "EventStreamWriter", "HTTP1Framing", "event_stream_fields", "encode_item", "HEARTBEAT"]

# What a source may yield: an Event, encode() keyword arguments, or the data.
Item = Union[Event, Dict[str, object], str]

# A comment: clients ignore it. It keeps idle proxies from closing the
# connection, and its write finds a client that vanished without a word.
HEARTBEAT = encode(comment="ping")

# no-transform keeps proxies from compressing or rewriting the stream (a
# compressing proxy buffers it); X-Accel-Buffering: no turns off nginx's
# response buffering for this response alone.
_STANDARD_FIELDS = [
    ("Content-Type", "text/event-stream; charset=utf-8"),
    ("Cache-Control", "no-cache, no-transform"),
    ("X-Accel-Buffering", "no"),
]

# Fields that describe the connection or the framing: the framing (or an
# ASGI server) sets them, and HTTP/2 forbids the connection-specific ones
# (RFC 9113 8.2.2), so a caller's extra fields may not.
_FRAMING_FIELDS = frozenset(
    ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade", "content-length"]
)

_ENCODE_KEYWORDS = frozenset(["data", "event", "id", "retry", "comment"])


def _as_is(data: bytes) -> bytes:
    return data


def event_stream_fields(headers: Sequence[Tuple[str, str]] = ()) -> List[Tuple[str, str]]:
    """The head fields of an event-stream response: ``headers`` (the caller's), then the standard ones.

    No connection-specific field, so they are valid on any HTTP version.
    Raises LocalProtocolError when ``headers`` holds a field the framing
    owns (``Connection``, ``Transfer-Encoding``, ``Content-Length``...).
    """
    for name, _ in headers:
        if isinstance(name, str) and name.lower() in _FRAMING_FIELDS:
            raise LocalProtocolError(f"the {name} field is set by the framing, not by the caller")
    return [*headers, *_STANDARD_FIELDS]


def encode_item(item: Item) -> bytes:
    """Encode what a source yielded: an Event, a dict of :func:`~sse_core.encode` keyword arguments, or the data.

    An Event's type ``"message"`` and empty ``id`` are left out: they are
    what a client assumes and Event's default, not a request to reset the
    client's last event ID (yield ``{"data": ..., "id": ""}`` for that).
    Raises LocalProtocolError for anything else, or what encode() refuses.
    """
    if isinstance(item, Event):
        event = None if item.event == "message" else item.event
        return encode(item.data, event=event, id=item.id or None, retry=item.retry)
    if isinstance(item, dict):
        unknown = set(item) - _ENCODE_KEYWORDS
        if unknown:
            raise LocalProtocolError(f"unknown encode() keywords {sorted(map(str, unknown))}")
        return encode(**item)  # type: ignore[arg-type]
    if isinstance(item, str):
        return encode(item)
    raise LocalProtocolError(f"a source must yield Event, dict or str, not {type(item).__name__}")


class EventStreamWriter:
    """What one event stream sends, before any HTTP framing.

    ``fields`` are the response head fields (see :func:`event_stream_fields`);
    :meth:`start` gives the bytes that open the body (``retry``, in
    milliseconds, when given), :meth:`item` each item's bytes and
    :meth:`heartbeat` a heartbeat's.
    """

    def __init__(self, *, retry: Optional[int] = None, headers: Sequence[Tuple[str, str]] = ()) -> None:
        self.fields = event_stream_fields(headers)
        self._start = b"" if retry is None else encode(retry=retry)

    def start(self) -> bytes:
        """The first bytes of the body: ``retry`` when given, else ``b""``."""
        return self._start

    item = staticmethod(encode_item)  # an item's bytes; no extra call per event

    @staticmethod
    def heartbeat() -> bytes:
        """A heartbeat's bytes, a ``: ping`` comment."""
        return HEARTBEAT


class HTTP1Framing:
    """How an event-stream response travels on an HTTP/1.x connection.

    The body is chunked when ``request_version`` and ``response_version``
    are both ``"1.1"``, else it ends when the connection closes; the
    connection is kept for another request only if chunked and
    ``keep_alive``. ``HEAD`` gets the head alone. Call :meth:`head` once,
    then :meth:`frame` for each piece of the body and :meth:`end` once when
    the stream is complete; a stream cut short simply stops (the client sees
    the last chunk missing, or an EOF). Calls out of that order raise
    LocalProtocolError.
    """

    def __init__(
        self, request_method: str, request_version: str, *, response_version: str = "1.1", keep_alive: bool = True
    ) -> None:
        self.chunked = request_version == "1.1" and response_version == "1.1"
        self.keep_alive = keep_alive and self.chunked
        self.has_body = request_method != "HEAD"
        self.response_version = response_version
        self._state = "head"

    def head(self, fields: Sequence[Tuple[str, str]]) -> bytes:
        """The ``200 OK`` head with ``fields`` and the framing's own."""
        self._expect("head")
        headers = [*fields, ("Connection", "keep-alive" if self.keep_alive else "close")]
        if self.chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        data = encode_response_head(200, "OK", headers, self.response_version)
        self._state = "body" if self.has_body else "done"
        if self.has_body:
            # frame() runs once per event: while the body is open, the
            # instance's own attribute is the bare framing function.
            self.frame = encode_chunk if self.chunked else _as_is  # type: ignore[method-assign]
        return data

    def frame(self, data: bytes) -> bytes:
        """``data`` as it goes on the wire: a chunk, or as is (``b""`` stays ``b""``)."""
        # Reached only outside the body: inside it, head() put the bare
        # framing function in this method's place.
        raise self._out_of_order("body")

    def drop_received(self, data: bytes) -> None:
        """Note bytes the client sent while the body is being sent: they are dropped.

        A client may pipeline its next request, but it cannot be answered
        before an endless stream ends, and a server that must watch the
        connection for EOF has to read past it: the connection is then not
        kept for another request (a client retries an unanswered one on a
        new connection, RFC 9112 9.3.1).
        """
        if data:
            self.keep_alive = False

    def end(self) -> bytes:
        """The bytes that end a complete body: the last chunk, or ``b""`` (then the connection closes)."""
        self._expect("body")
        self._state = "done"
        del self.frame
        return encode_last_chunk() if self.chunked else b""

    def _expect(self, state: str) -> None:
        if self._state != state:
            raise self._out_of_order(state)

    def _out_of_order(self, state: str) -> LocalProtocolError:
        return LocalProtocolError(f"event-stream response: expected {state!r}, but it is at {self._state!r}")
