"""HTTP/1.1 message bodies and whole messages (RFC 9112 sections 6 and 7), sans-IO.

Theory of operation
-------------------
A body is delimited in one of three ways, and each has a reader here with
the same small interface (``feed(data) -> bytes``, ``close()``, ``done``,
``trailers``, ``unused``, ``error``, ``buffered``):
:class:`ContentLengthReader` counts down a length, :class:`UntilCloseReader`
takes everything until the end of input, and the chunked coding is
:class:`~sse_core.chunked.ChunkedDecoder`.

A message reader puts a head reader and one of those together, the way h11
does: the driver passes each read to ``feed()``, then calls
``next_event()`` until it returns :data:`NEED_DATA`, and only then waits on
the socket again. The events are the head (:class:`~sse_core._http11.ResponseHead`
or :class:`~sse_core._http11.RequestHead`), :class:`Data` with body bytes,
and :class:`EndOfMessage`. End of input is ``feed(b"")`` or ``close()``.

That loop is what makes a framing fault impossible to miss. A body reader
returns the bytes decoded before a fault and keeps the fault for later, so
that nothing received is lost; the message reader raises it from the very
next ``next_event()``, which the driver makes before it waits for more
bytes. A driver cannot forget to poke the decoder again: asking for the
next event is the poke.

The framing rules, in one place each: which responses have no body and how
Transfer-Encoding and Content-Length choose a reader are in the two message
readers below; the fields themselves are parsed by ``_http11``.

Every error is a :class:`~sse_core.errors.RemoteProtocolError` whose
``error_status_hint`` says what a server answers: 400 for malformed framing
(a chunk-size line over its bound included), 413 for a body over
``max_body_size``, 431 for a head or trailer section over its bound, 501
for a transfer coding other than chunked, 505 for an HTTP version other
than 1.0 and 1.1. After an error, every later ``next_event()`` raises it
again.
"""

from typing import Callable, Generic, List, NamedTuple, Optional, Tuple, TypeVar, Union

from ._http11 import (
    DEFAULT_MAX_HEAD_SIZE,
    RequestHead,
    RequestHeadReader,
    ResponseHead,
    ResponseHeadReader,
    content_length,
    header_value,
    transfer_codings,
)
from .chunked import DEFAULT_MAX_LINE_SIZE, DEFAULT_MAX_TRAILER_SIZE, ChunkedDecoder
from .errors import LimitExceeded, LocalProtocolError, RemoteProtocolError

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MAX_CHUNK_LINE_SIZE",
    "DEFAULT_MAX_INTERIM_RESPONSES",
    "NEED_DATA",
    "Data",
    "EndOfMessage",
    "ConnectionClosed",
    "ContentLengthReader",
    "UntilCloseReader",
    "ResponseReader",
    "RequestReader",
    "response_has_body",
]

# A request body here is a prompt or a small JSON document; 1 MiB is ample
# for those (nginx's client_max_body_size defaults to 1 MiB as well) and
# bounds what one client can make a server hold.
DEFAULT_MAX_BODY_SIZE = 1024 * 1024

# The chunked decoder's own default, under the message readers' name for it.
DEFAULT_MAX_CHUNK_LINE_SIZE = DEFAULT_MAX_LINE_SIZE

# RFC 9110 sets no number, and real servers send one 100 Continue, perhaps a
# 103 Early Hints, or a 102 Processing every few seconds during a long
# request. Go's client stopped at 5 and had to raise it for 103s; 50 leaves
# room for all of these, and stops a peer that would keep us reading 1xx
# heads forever.
DEFAULT_MAX_INTERIM_RESPONSES = 50


class _Sentinel:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


NEED_DATA = _Sentinel("NEED_DATA")
"""What ``next_event()`` returns when it needs more input: feed a read, or close."""


class Data(NamedTuple):
    """Body bytes in the order received; how a body is cut into Data events depends on the reads."""

    data: bytes


class EndOfMessage(NamedTuple):
    """The body is complete; ``trailers`` are the chunked trailer fields, ``(name, value)`` bytes, names lowercased."""

    trailers: List[Tuple[bytes, bytes]]


class ConnectionClosed(NamedTuple):
    """The client closed the connection before sending any byte of a request."""


# --- body readers ---------------------------------------------------------


class _BodyReader:
    # The part of the interface the length and until-close readers share;
    # ChunkedDecoder has the same one.
    def __init__(self) -> None:
        self.trailers: List[Tuple[bytes, bytes]] = []  # only chunked bodies have any
        self._unused = bytearray()
        self._error: Optional[RemoteProtocolError] = None
        self._closed = False

    @property
    def done(self) -> bool:
        """Whether the body is complete."""
        raise NotImplementedError

    @property
    def unused(self) -> bytes:
        """The bytes received after the end of the body."""
        return bytes(self._unused)

    @property
    def error(self) -> Optional[RemoteProtocolError]:
        """The fault found in the input (here only a body cut short), or None."""
        return self._error

    @property
    def buffered(self) -> int:
        """Bytes held back from the caller: always 0, these bodies need no framing."""
        return 0

    def _check_feed(self) -> None:
        if self._error is not None:
            raise self._error
        if self._closed:
            raise LocalProtocolError("feed() called after close()")


class ContentLengthReader(_BodyReader):
    """A body of exactly ``length`` bytes (RFC 9112 section 6.3, Content-Length).

    ``feed`` returns the body bytes in ``data``; what follows the body goes
    to ``unused``. ``close`` raises RemoteProtocolError when bytes are still due.
    """

    def __init__(self, length: int) -> None:
        super().__init__()
        self.remaining = length  # body bytes still due

    @property
    def done(self) -> bool:
        return self.remaining == 0

    def feed(self, data: bytes) -> bytes:
        """Return the part of ``data`` that belongs to the body."""
        self._check_feed()
        remaining = self.remaining
        if len(data) <= remaining:
            self.remaining = remaining - len(data)
            return data
        self._unused += data[remaining:]
        self.remaining = 0
        return data[:remaining]

    def close(self) -> None:
        """Mark the end of input; raise RemoteProtocolError if the body is cut short."""
        if self._error is not None:
            raise self._error
        self._closed = True
        if self.remaining:
            self._error = RemoteProtocolError(f"connection closed with {self.remaining} body bytes still due")
            raise self._error


class UntilCloseReader(_BodyReader):
    """A body that runs until the end of input (RFC 9112 section 6.3, a response with neither framing)."""

    @property
    def done(self) -> bool:
        return self._closed

    def feed(self, data: bytes) -> bytes:
        """Return ``data``: all of it is body."""
        self._check_feed()
        return data

    def close(self) -> None:
        """Mark the end of input, which ends the body."""
        self._closed = True


_Body = Union[ContentLengthReader, UntilCloseReader, ChunkedDecoder]


# --- message readers ------------------------------------------------------

_Head = TypeVar("_Head", RequestHead, ResponseHead)


class _MessageReader(Generic[_Head]):
    # The head -> body -> end sequence both message readers share. Each
    # subclass says what a head means: _on_head returns the reader of the
    # body that follows it, or None for an interim response to skip.
    _head_reader_class: Callable[..., Union[RequestHeadReader, ResponseHeadReader]]

    def __init__(
        self,
        *,
        max_head_size: Optional[int],
        max_chunk_line_size: Optional[int],
        max_trailer_size: Optional[int],
    ) -> None:
        self.max_head_size = max_head_size
        self.max_chunk_line_size = max_chunk_line_size
        self.max_trailer_size = max_trailer_size
        # Reads fed and not yet handed to the head or body reader; a driver
        # that calls next_event() after each feed() keeps it to one.
        self._pending: List[bytes] = []
        self._eof = False
        self._head_reader = self._head_reader_class(max_head_size=max_head_size)
        self._body: Optional[_Body] = None
        self._end: Optional[EndOfMessage] = None
        self._error: Optional[RemoteProtocolError] = None
        self._deferred: Optional[RemoteProtocolError] = None

    @property
    def error(self) -> Optional[RemoteProtocolError]:
        """The fault ``next_event()`` raised, or None."""
        return self._error

    @property
    def buffered(self) -> int:
        """Bytes held of an incomplete head, chunk-size line or trailer section (reads not yet looked at aside)."""
        if self._body is None:
            return self._head_reader.buffered
        return self._body.buffered

    @property
    def unused(self) -> bytes:
        """The bytes received after the end of the message (empty until it ends)."""
        return b"" if self._end is None or self._body is None else self._body.unused

    def feed(self, data: bytes) -> None:
        """Add ``data`` received from the peer; ``b""`` marks the end of input, as ``close()`` does."""
        if self._eof:
            raise LocalProtocolError("feed() called after the end of input")
        if not data:
            self._eof = True
        elif self._end is not None and self._body is not None:
            self._body.feed(data)  # past the end: into unused
        else:
            self._pending.append(data)

    def close(self) -> None:
        """Mark the end of input; ``next_event()`` then ends the message or raises if it is cut short."""
        self._eof = True

    def _next_event(self) -> Union[_Head, Data, EndOfMessage, ConnectionClosed, _Sentinel]:
        if self._error is not None:
            raise self._error
        if self._end is not None:
            return self._end
        try:
            if self._body is None:
                return self._head_event()
            return self._body_event()
        except LimitExceeded as exc:
            # The chunked decoder names its bound after its own keyword.
            if exc.limit == "max_line_size":
                renamed = LimitExceeded(
                    "max_chunk_line_size", exc.maximum, exc.size, error_status_hint=exc.error_status_hint
                )
                self._fail(renamed)
                raise renamed from exc
            self._fail(exc)
            raise
        except RemoteProtocolError as exc:
            self._fail(exc)
            raise

    def _fail(self, exc: RemoteProtocolError) -> None:
        self._error = exc
        self._pending = []

    def _head_event(self) -> Union[_Head, ConnectionClosed, _Sentinel]:
        pending = self._pending
        while True:
            if pending:
                head = self._head_reader.feed(pending.pop(0))
            elif self._eof:
                self._head_reader.close()  # raises when part of a head came
                return self._closed_before_head()
            else:
                return NEED_DATA
            if head is None:
                continue
            rest = self._head_reader.unused
            if rest:
                pending.insert(0, rest)
            body = self._on_head(head)
            if body is None:  # an interim response: read the next head
                self._head_reader = self._head_reader_class(max_head_size=self.max_head_size)
                continue
            self._body = body
            return head

    def _body_event(self) -> Union[Data, EndOfMessage, _Sentinel]:
        body = self._body
        assert body is not None
        pending = self._pending
        while True:
            # A fault found behind bytes already returned surfaces here, on
            # the driver's next call, before it waits for more input.
            if body.error is not None:
                raise body.error
            if self._deferred is not None:
                raise self._deferred
            if body.done:
                for data in pending:
                    body.feed(data)  # past the end: into unused
                pending.clear()
                self._end = EndOfMessage(body.trailers)
                return self._end
            if pending:
                data = self._check_body(body.feed(pending.pop(0)))
                if data:
                    return Data(data)
            elif self._eof:
                body.close()  # raises unless the body is complete
            else:
                return NEED_DATA

    def _chunked(self) -> ChunkedDecoder:
        return ChunkedDecoder(max_line_size=self.max_chunk_line_size, max_trailer_size=self.max_trailer_size)

    def _on_head(self, head: _Head) -> Optional[_Body]:
        raise NotImplementedError

    def _check_body(self, data: bytes) -> bytes:
        # Return what may be passed on of ``data``; a fault behind it is
        # kept in _deferred, as the chunked decoder keeps its own.
        return data

    def _closed_before_head(self) -> Union[ConnectionClosed, _Sentinel]:
        raise NotImplementedError


class ResponseReader(_MessageReader[ResponseHead]):
    """Reads one response to a request made with ``request_method``.

    ``next_event()`` returns, in order, the final :class:`ResponseHead`
    (interim 1xx responses are skipped; 101 is final), :class:`Data`
    events, and :class:`EndOfMessage`, which every later call returns
    again; :data:`NEED_DATA` whenever it needs input. No body follows a
    response to HEAD, a 1xx, 204 or 304. Transfer-Encoding whose final
    coding is chunked means chunked, any other Transfer-Encoding or neither
    framing means the body runs until the end of input, and Content-Length
    counts it down; both at once, or a malformed value, is an error.

    Limits (``None`` disables one): ``max_head_size`` per head,
    ``max_interim_responses`` before the final head, ``max_chunk_line_size``
    and ``max_trailer_size`` as in
    :class:`~sse_core.chunked.ChunkedDecoder`. Going past one raises
    :class:`~sse_core.errors.LimitExceeded`; any other malformed input, or
    an end of input before the message ends (an until-close body aside),
    raises :class:`~sse_core.errors.RemoteProtocolError`.
    """

    _head_reader_class = ResponseHeadReader

    def __init__(
        self,
        request_method: str,
        *,
        max_head_size: Optional[int] = DEFAULT_MAX_HEAD_SIZE,
        max_interim_responses: Optional[int] = DEFAULT_MAX_INTERIM_RESPONSES,
        max_chunk_line_size: Optional[int] = DEFAULT_MAX_CHUNK_LINE_SIZE,
        max_trailer_size: Optional[int] = DEFAULT_MAX_TRAILER_SIZE,
    ) -> None:
        super().__init__(
            max_head_size=max_head_size, max_chunk_line_size=max_chunk_line_size, max_trailer_size=max_trailer_size
        )
        self.request_method = request_method
        self.max_interim_responses = max_interim_responses
        self.interim_responses = 0  # 1xx heads skipped so far

    def next_event(self) -> Union[ResponseHead, Data, EndOfMessage, _Sentinel]:
        """Return the next event, or :data:`NEED_DATA`; raise RemoteProtocolError for a malformed message."""
        return self._next_event()  # type: ignore[return-value]  # never ConnectionClosed

    def _on_head(self, head: ResponseHead) -> Optional[_Body]:
        status = head.status
        # Interim responses precede the final one (RFC 9110 section 15.2);
        # 101 is final, the connection then speaks another protocol.
        if 100 <= status < 200 and status != 101:
            self.interim_responses += 1
            limit = self.max_interim_responses
            if limit is not None and self.interim_responses > limit:
                raise LimitExceeded("max_interim_responses", limit, self.interim_responses)
            return None
        if not response_has_body(self.request_method, status):
            return ContentLengthReader(0)
        codings = transfer_codings(head.headers)
        if codings is not None:
            return self._chunked() if codings[-1] == "chunked" else UntilCloseReader()
        length = content_length(head.headers)
        return UntilCloseReader() if length is None else ContentLengthReader(length)

    def _closed_before_head(self) -> _Sentinel:
        raise RemoteProtocolError("connection closed before the response head")


def response_has_body(request_method: str, status: int) -> bool:
    """Whether a response with ``status`` to ``request_method`` has a body (RFC 9112 section 6.3).

    None follows a response to HEAD, a 1xx, 204 or 304, whatever its
    framing fields say.
    """
    return not (request_method == "HEAD" or status < 200 or status in (204, 304))


class RequestReader(_MessageReader[RequestHead]):
    """Reads one request, for a server.

    ``next_event()`` returns, in order, the :class:`RequestHead`,
    :class:`Data` events and :class:`EndOfMessage` (which every later call
    returns again; ``unused`` then holds any bytes past the request), or
    :class:`ConnectionClosed` when the input ends before any byte came;
    :data:`NEED_DATA` whenever it needs input. The head follows
    :class:`~sse_core._http11.RequestHeadReader`'s rules. A body is framed
    by Content-Length or by Transfer-Encoding ``chunked``, alone: a final
    coding other than chunked is refused with 400, and any other coding
    with 501 (RFC 9112 section 6.1); both framings at once with 400.

    While ``expects_continue`` is True the client waits for ``100
    Continue`` before it sends the body: the driver sends it once, before
    waiting for more input.

    Limits (``None`` disables one): ``max_head_size``, ``max_body_size``
    (a Content-Length over it is refused as soon as the head is in, with
    413), ``max_chunk_line_size`` and ``max_trailer_size``.
    """

    _head_reader_class = RequestHeadReader

    def __init__(
        self,
        *,
        max_head_size: Optional[int] = DEFAULT_MAX_HEAD_SIZE,
        max_body_size: Optional[int] = DEFAULT_MAX_BODY_SIZE,
        max_chunk_line_size: Optional[int] = DEFAULT_MAX_CHUNK_LINE_SIZE,
        max_trailer_size: Optional[int] = DEFAULT_MAX_TRAILER_SIZE,
    ) -> None:
        super().__init__(
            max_head_size=max_head_size, max_chunk_line_size=max_chunk_line_size, max_trailer_size=max_trailer_size
        )
        self.max_body_size = max_body_size
        self.body_size = 0  # body bytes returned so far
        self._expect_continue = False

    @property
    def expects_continue(self) -> bool:
        """Whether the client asked for ``100 Continue`` and no byte of its body has come yet."""
        return self._expect_continue and self._end is None and self._error is None and not self._pending

    def next_event(self) -> Union[RequestHead, Data, EndOfMessage, ConnectionClosed, _Sentinel]:
        """Return the next event, or :data:`NEED_DATA`; raise RemoteProtocolError for a malformed request."""
        event = self._next_event()
        if self._expect_continue and isinstance(event, Data):
            self._expect_continue = False  # the client sent its body anyway
        return event

    def _on_head(self, head: RequestHead) -> _Body:
        body = self._request_body(head)
        # A server ignores the expectation in an HTTP/1.0 request (RFC 9110
        # section 10.1.1), and there is nothing to wait for without a body.
        expect = header_value(head.headers, "expect")
        self._expect_continue = (
            head.version == "1.1" and expect is not None and expect.lower() == "100-continue" and not body.done
        )
        return body

    def _request_body(self, head: RequestHead) -> _Body:
        codings = transfer_codings(head.headers)
        if codings is not None:
            # RFC 9112 section 6.3: without chunked last the length cannot
            # be known (400); section 6.1: a coding we do not implement is
            # 501, and chunked twice is forbidden (400).
            if codings[-1] != "chunked":
                raise RemoteProtocolError("request Transfer-Encoding does not end in chunked")
            others = codings[:-1]
            if "chunked" in others:
                raise RemoteProtocolError("chunked applied more than once")
            if others:
                raise RemoteProtocolError(
                    f"unsupported transfer coding {others[0][:100]!r}", error_status_hint=501
                )
            return self._chunked()
        length = content_length(head.headers) or 0
        limit = self.max_body_size
        if limit is not None and length > limit:
            raise LimitExceeded("max_body_size", limit, length, error_status_hint=413)
        return ContentLengthReader(length)

    def _check_body(self, data: bytes) -> bytes:
        # The bytes up to the bound are passed on and the fault raised next,
        # so that any split of the input gives the same events.
        size = self.body_size + len(data)
        limit = self.max_body_size
        if limit is not None and size > limit:
            exc = LimitExceeded("max_body_size", limit, size, error_status_hint=413)
            data = data[: limit - self.body_size]
            if not data:
                raise exc
            self._deferred = exc
        self.body_size += len(data)
        return data

    def _closed_before_head(self) -> ConnectionClosed:
        return ConnectionClosed()
