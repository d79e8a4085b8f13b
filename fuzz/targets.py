"""Fuzz targets for sse_core: plain functions of one ``bytes`` argument.

Each target returns None when its invariant holds and raises AssertionError
when it does not; any other exception escaping a target is a bug as well.
They need nothing but sse_core, so any driver can call them: the hypothesis
runner next to this file, a coverage-guided fuzzer, or a Python shell
replaying a finding.

The targets check that buffers stay bounded through public figures: the
SSE decoder's ``pending_size`` and ``data_size``, the chunked decoder's and
the head readers' ``buffered``.
"""

import io
import json
import os
import re
import sys
from typing import Callable, Dict, List, Optional, Tuple, Union

# Run as ``python fuzz/<runner>.py`` from the repo root, sys.path[0] is fuzz/;
# put the repo root first so the sse_core under test is this checkout's.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import sse_core  # noqa: E402
import sse_core.cli as _cli  # noqa: E402  (the command line, run in-process)
from sse_core import _body, _http11  # noqa: E402

__all__ = [
    "check_decoder",
    "check_decoder_long",
    "check_chunked",
    "check_roundtrip",
    "check_request_head",
    "check_response_head",
    "check_parse_cli",
    "TARGETS",
]

# Small bounds, so that short fuzz inputs reach them.
DECODER_MAX_LINE_SIZE = 64
DECODER_MAX_EVENT_SIZE = 256
# check_decoder_long: each of the first LONG_MAX_RUNS 0xFF bytes of the
# stream becomes a run of LONG_RUN_SIZE bytes, so that two runs make a value
# of 64 KiB, which the decoder holds as a view instead of copying it; four
# runs and a field name reach the line bound, eight the event bound.
LONG_RUN_SIZE = 32767
LONG_MAX_RUNS = 16
LONG_MAX_LINE_SIZE = 1 << 17
LONG_MAX_EVENT_SIZE = 1 << 18
CHUNKED_MAX_LINE_SIZE = 32
CHUNKED_MAX_TRAILER_SIZE = 64
HEAD_MAX_SIZES = (48, 512)  # control bit 2 picks one: a bound a short input hits, and room for a real head
CLI_MAX_LINE_SIZE = DECODER_MAX_LINE_SIZE
CLI_MAX_EVENT_SIZE = DECODER_MAX_EVENT_SIZE

_LINE_BREAK = re.compile(r"\r\n|\r|\n")

# An error, described by what must not depend on how the input was split:
# its type and, for LimitExceeded, which bound it names (not the size reached,
# which does).
_ErrorKey = Optional[Tuple[str, Optional[str]]]


def _error_key(exc: Optional[BaseException]) -> _ErrorKey:
    if exc is None:
        return None
    return type(exc).__name__, getattr(exc, "limit", None)


# --- Splitting one input into reads --------------------------------------


def _control(data: bytes) -> Tuple[int, bytes]:
    """Split an input into its control byte and the stream it controls."""
    return (data[0], data[1:]) if data else (0, b"")


def _bytewise(stream: bytes) -> List[bytes]:
    return [stream[i : i + 1] for i in range(len(stream))]


def _reads(control: int, stream: bytes) -> List[bytes]:
    """Cut ``stream`` into reads, in a pattern the control byte picks.

    Bits 0-1 choose the pattern and bits 4-7 (``param``, 0 to 15) tune it;
    bits 2-3 are left to the targets for their own options. Everything is
    derived from the input, so a printed failing input replays exactly.
    """
    pattern = control & 3
    param = control >> 4
    if pattern == 0:  # equal reads of 2 to 17 bytes
        size = param + 2
        return [stream[i : i + size] for i in range(0, len(stream), size)]
    if pattern == 1:
        # A read ends after every line-end byte, colon, space and BOM byte:
        # a CR at the end of one read and its LF at the start of the next, a
        # "data:" and its space apart, a BOM in pieces.
        reads = []
        start = 0
        for i, byte in enumerate(stream):
            if byte in b"\r\n: \xef\xbb":
                reads.append(stream[start : i + 1])
                start = i + 1
        reads.append(stream[start:])
        return reads
    if pattern == 2:
        # Read lengths of 0 to 7 taken from the bytes themselves; 0 is a
        # feed(b""). There are at most len(stream) of them, then the rest.
        reads = []
        pos = 0
        for byte in stream:
            if pos >= len(stream):
                break
            size = (byte + param) % 8
            reads.append(stream[pos : pos + size])
            pos += size
        reads.append(stream[pos:])
        return reads
    # Two reads, cut at param/15 of the way.
    cut = len(stream) * param // 15
    return [stream[:cut], stream[cut:]]


# --- check_decoder --------------------------------------------------------

_DecoderResult = Tuple[List[Union[sse_core.Event, sse_core.Comment]], str, Optional[int], _ErrorKey]


def _check_decoder_buffers(decoder: sse_core.SSEDecoder, max_line_size: int, max_event_size: int) -> None:
    # The size of the incomplete line feed() holds and the running size of
    # the event's data buffer.
    pending = decoder.pending_size
    assert pending <= max_line_size, f"buffered line of {pending} bytes"
    size = decoder.data_size
    assert size <= max_event_size, f"data buffer of {size} bytes"


def _decode(
    reads: List[bytes],
    comments: bool,
    dispatch_unterminated: bool,
    max_line_size: int = DECODER_MAX_LINE_SIZE,
    max_event_size: int = DECODER_MAX_EVENT_SIZE,
) -> _DecoderResult:
    decoder = sse_core.SSEDecoder(
        max_line_size=max_line_size,
        max_event_size=max_event_size,
        comments=comments,
        dispatch_unterminated=dispatch_unterminated,
    )
    output: List[Union[sse_core.Event, sse_core.Comment]] = []
    error: Optional[sse_core.SSEError] = None
    try:
        for read in reads:
            output += decoder.feed(read)
            _check_decoder_buffers(decoder, max_line_size, max_event_size)
        output += decoder.close()
    except sse_core.SSEError as exc:
        error = exc
    if error is None:
        assert decoder.close() == [], "a second close() returned events"
        _assert_raises(sse_core.LocalProtocolError, "feed() after close()", lambda: decoder.feed(b""))
    else:
        # A failed decoder shows its fault, and keeps raising it, whatever it is asked.
        assert decoder.error is error, f"error is {decoder.error!r}, not the {error!r} raised"
        _assert_raises(type(error), "feed() after an error", lambda: decoder.feed(b""))
        _assert_raises(type(error), "close() after an error", decoder.close)
    return output, decoder.last_event_id, decoder.retry, _error_key(error)


def check_decoder(data: bytes) -> None:
    """SSEDecoder: only SSEError escapes; any split gives the same result; buffers stay bounded.

    The first byte is a control byte (see ``_reads``; bit 2 turns on
    ``comments``, bit 3 ``dispatch_unterminated``); the rest is the stream,
    fed to a decoder with max_line_size=64 and max_event_size=256, then
    closed. Fed whole, one byte at a time, and in the reads the control byte
    picks, it gives the same events (and comments), ``last_event_id``,
    ``retry`` and error (type, and the bound for LimitExceeded). After every
    feed the buffered incomplete line is at most max_line_size and the data
    buffer at most max_event_size. A failed decoder raises on every later
    call; a closed one returns [] from close() and refuses feed().
    """
    control, stream = _control(data)
    options = bool(control & 4), bool(control & 8)
    whole = _decode([stream], *options)
    for name, reads in (("byte by byte", _bytewise(stream)), ("split", _reads(control, stream))):
        got = _decode(reads, *options)
        assert got == whole, f"fed {name} {reads!r}:\n  {got!r}\nfed whole:\n  {whole!r}"


_LONG_RUN = b"x" * (LONG_RUN_SIZE - 2) + "\u00e9".encode("utf-8")


def _lengthen(reads: List[bytes]) -> List[bytes]:
    """Turn the first LONG_MAX_RUNS 0xFF bytes across ``reads`` into runs, read by read."""
    runs_left = LONG_MAX_RUNS
    out = []
    for read in reads:
        pieces = read.split(b"\xff", runs_left)
        runs_left -= len(pieces) - 1
        out.append(_LONG_RUN.join(pieces))
    return out


def check_decoder_long(data: bytes) -> None:
    """SSEDecoder with values of 64 KiB and more: as check_decoder, on long lines.

    The control byte and its bits are read as in check_decoder. In the rest,
    each of the first 16 0xFF bytes stands for a run of 32,767 bytes (ASCII
    ending in a two-byte character), and the decoder has max_line_size=128
    KiB and max_event_size=256 KiB. The reads compared with feeding the
    stream whole: the unexpanded stream cut byte by byte and as the control
    byte picks, each read then expanded (so a run arrives in one read), and
    the expanded stream in 1460-byte reads, which cut runs and characters.
    """
    control, stream = _control(data)
    options = bool(control & 4), bool(control & 8)
    limits = LONG_MAX_LINE_SIZE, LONG_MAX_EVENT_SIZE
    whole_stream = _lengthen([stream])[0]
    whole = _decode([whole_stream], *options, *limits)
    segments = [whole_stream[i : i + 1460] for i in range(0, len(whole_stream), 1460)]
    for name, reads in (
        ("byte by byte", _lengthen(_bytewise(stream))),
        ("split", _lengthen(_reads(control, stream))),
        ("in 1460-byte reads", segments),
    ):
        got = _decode(reads, *options, *limits)
        assert got == whole, f"fed {name} {_shown(reads)}:\n  {_shown(got)}\nfed whole:\n  {_shown(whole)}"


# --- check_chunked --------------------------------------------------------

_ChunkedResult = Tuple[bytes, bool, List[Tuple[bytes, bytes]], bytes, _ErrorKey]


def _check_chunked_buffer(decoder: sse_core.ChunkedDecoder) -> None:
    # buffered is the incomplete size line, or the trailer section so far
    # (which trailers, once it has a line, show it is).
    buffered = decoder.buffered
    bound = max(CHUNKED_MAX_LINE_SIZE, CHUNKED_MAX_TRAILER_SIZE)
    if decoder.trailers or decoder.done:
        bound = CHUNKED_MAX_TRAILER_SIZE
    assert buffered <= bound, f"{buffered} bytes of framing buffered, bound {bound}"


def _dechunk(reads: List[bytes]) -> _ChunkedResult:
    decoder = sse_core.ChunkedDecoder(
        max_line_size=CHUNKED_MAX_LINE_SIZE, max_trailer_size=CHUNKED_MAX_TRAILER_SIZE
    )
    body: List[bytes] = []
    error: Optional[sse_core.SSEError] = None
    try:
        for read in reads:
            body.append(decoder.feed(read))
            _check_chunked_buffer(decoder)
        decoder.close()
    except sse_core.SSEError as exc:
        error = exc
    if error is None:
        assert decoder.done, "close() accepted an unfinished body"
        _assert_raises(sse_core.LocalProtocolError, "feed() after close()", lambda: decoder.feed(b""))
    else:
        _assert_raises(type(error), "feed() after an error", lambda: decoder.feed(b""))
        _assert_raises(type(error), "close() after an error", decoder.close)
    return b"".join(body), decoder.done, decoder.trailers, decoder.unused, _error_key(error)


def check_chunked(data: bytes) -> None:
    """ChunkedDecoder: only SSEError escapes; any split gives the same result; buffers stay bounded.

    The first byte is a control byte (see ``_reads``); the rest is fed to a
    decoder with max_line_size=32 and max_trailer_size=64, then closed. Fed
    whole, one byte at a time, and in the reads the control byte picks, it
    gives the same body bytes, ``done``, ``trailers``, ``unused`` and error
    (type, and the bound for LimitExceeded). After every feed the buffered
    size line is at most max_line_size, and the trailer section buffered so
    far at most max_trailer_size. A failed decoder raises on every later
    call; close() without an error means ``done``.
    """
    control, stream = _control(data)
    whole = _dechunk([stream])
    for name, reads in (("byte by byte", _bytewise(stream)), ("split", _reads(control, stream))):
        got = _dechunk(reads)
        assert got == whole, f"fed {name} {reads!r}:\n  {got!r}\nfed whole:\n  {whole!r}"


# --- check_roundtrip ------------------------------------------------------

_FIELD_NAMES = ("data", "event", "id", "retry", "comment")


def _messages(data: bytes) -> List[Dict[str, Union[str, int]]]:
    """Read ``data`` as a list of encode() keyword arguments.

    The bytes are decoded as UTF-8 (errors replaced) and cut at U+001E into
    messages. A message is cut at U+001F into parts: the first part, if not
    empty, is ``data``; each later non-empty part names its field by its
    first character, the rest being the value: d, e, i, r, c for data,
    event, id, retry, comment, and any other by its code point mod 5 in that
    order (a repeated field: the last wins). A ``retry`` value is the number
    its first 8 UTF-8 bytes make, big-endian. So b"hi\x1fex\x1e\x1fi1" is
    [{"data": "hi", "event": "x"}, {"id": "1"}].
    """
    messages: List[Dict[str, Union[str, int]]] = []
    for record in data.decode("utf-8", "replace").split("\x1e"):
        parts = record.split("\x1f")
        fields: Dict[str, Union[str, int]] = {}
        if parts[0]:
            fields["data"] = parts[0]
        for part in parts[1:]:
            if part:
                index = "deirc".find(part[0])
                fields[_FIELD_NAMES[index if index >= 0 else ord(part[0]) % 5]] = part[1:]
        if "retry" in fields:
            fields["retry"] = int.from_bytes(str(fields["retry"]).encode("utf-8")[:8], "big")
        messages.append(fields)
    return messages


def _refused(name: str, value: Union[str, int]) -> bool:
    """Whether encode() must refuse this field, whatever comes with it."""
    if name == "event":
        return "\r" in str(value) or "\n" in str(value)
    if name == "id":
        return "\r" in str(value) or "\n" in str(value) or "\0" in str(value)
    if name == "retry":  # decoders ignore a longer retry
        return not 0 <= int(value) <= sse_core.MAX_RETRY
    return False


def check_roundtrip(data: bytes) -> None:
    """Decoding what encode() wrote gives the messages back; so does de-chunking encode_chunk().

    ``data`` becomes a list of messages (see ``_messages``). A field encode()
    must refuse (a CR or LF in ``event`` or ``id``, a NUL in ``id``, a
    ``retry`` above MAX_RETRY) and an empty message are checked to raise
    LocalProtocolError, then dropped. The rest is encoded, and an SSEDecoder
    (comments on) returns exactly: each comment line, and for each message
    with ``data`` an Event whose data has every CRLF and CR turned into LF,
    whose type is ``event`` or "message", whose id is the last id sent so
    far, and whose retry is the message's own. Its ``last_event_id`` and
    ``retry`` are the last sent.

    The encoded messages, one encode_chunk() each, then encode_last_chunk()
    with the (event, id) pairs it accepts as trailers, de-chunk to the same
    bytes, with those trailers (names lowercased) and nothing unused.
    """
    encoded: List[bytes] = []
    expected: List[Union[sse_core.Event, sse_core.Comment]] = []
    trailers: List[Tuple[bytes, bytes]] = []
    last_id = ""
    last_retry: Optional[int] = None
    for fields in _messages(data):
        for name, value in list(fields.items()):
            if _refused(name, value):
                _assert_raises(
                    sse_core.LocalProtocolError,
                    f"encode({name}={value!r})",
                    lambda: sse_core.encode(**{name: value}),  # type: ignore[arg-type]
                )
                del fields[name]
        if not fields:
            _assert_raises(sse_core.LocalProtocolError, "encode()", sse_core.encode)
            continue
        encoded.append(sse_core.encode(**fields))  # type: ignore[arg-type]

        comment = fields.get("comment")
        if isinstance(comment, str):
            expected += [sse_core.Comment(line) for line in _LINE_BREAK.split(comment)]
        event_id = fields.get("id")
        if isinstance(event_id, str):
            last_id = event_id
        retry = fields.get("retry")
        if isinstance(retry, int):
            last_retry = retry
        else:
            retry = None
        event_data = fields.get("data")
        if isinstance(event_data, str):
            event_type = str(fields.get("event") or "message")
            event_data = _LINE_BREAK.sub("\n", event_data)
            expected.append(sse_core.Event(event_data, event_type, last_id, retry))
        if isinstance(fields.get("event"), str) and isinstance(event_id, str):
            pair = (str(fields["event"]).encode("utf-8"), event_id.encode("utf-8"))
            try:
                sse_core.encode_last_chunk([pair])
            except sse_core.LocalProtocolError:
                pass
            else:
                trailers.append(pair)

    stream = b"".join(encoded)
    decoder = sse_core.SSEDecoder(comments=True)
    got = decoder.feed(stream) + decoder.close()
    assert got == expected, f"decoded {stream!r}:\n  {got!r}\nexpected:\n  {expected!r}"
    assert decoder.last_event_id == last_id, f"last_event_id {decoder.last_event_id!r}, not {last_id!r}"
    assert decoder.retry == last_retry, f"retry {decoder.retry!r}, not {last_retry!r}"

    wire = b"".join(sse_core.encode_chunk(part) for part in encoded)
    wire += sse_core.encode_last_chunk(trailers)
    dechunker = sse_core.ChunkedDecoder(max_trailer_size=None)
    body = dechunker.feed(wire)
    dechunker.close()
    assert body == stream, f"de-chunked {wire!r}:\n  {body!r}\nexpected:\n  {stream!r}"
    assert dechunker.done and dechunker.unused == b"", f"done={dechunker.done}, unused={dechunker.unused!r}"
    want = [(name.lower(), value) for name, value in trailers]
    assert dechunker.trailers == want, f"trailers {dechunker.trailers!r}, not {want!r}"


# --- check_request_head, check_response_head -------------------------------

_Head = Union[_http11.RequestHead, _http11.ResponseHead]
_HeadResult = Tuple[Optional[_Head], bytes, _ErrorKey]
_HeadReader = Callable[..., Union[_http11.RequestHeadReader, _http11.ResponseHeadReader]]


def _check_head_buffer(reader: Union[_http11.RequestHeadReader, _http11.ResponseHeadReader], limit: int) -> None:
    # The unfinished head the reader holds (emptied once the head is
    # complete or an error is raised).
    buffered = reader.buffered
    assert buffered <= limit, f"buffered head of {buffered} bytes, max_head_size={limit}"


def _read_head(make: _HeadReader, reads: List[bytes], limit: int) -> _HeadResult:
    reader = make(max_head_size=limit)
    head: Optional[_Head] = None
    error: Optional[sse_core.SSEError] = None
    try:
        for read in reads:
            got = reader.feed(read)
            _check_head_buffer(reader, limit)
            assert head is None or got is head, f"feed() after the head returned {got!r}, not {head!r}"
            head = got
        reader.close()
    except sse_core.SSEError as exc:
        error = exc
    if error is None:
        reader.close()  # a second close() is quiet too
        _assert_raises(sse_core.LocalProtocolError, "feed() after close()", lambda: reader.feed(b""))
    else:
        # The documented errors only: the peer's bytes, never the caller.
        assert isinstance(error, sse_core.RemoteProtocolError), f"raised {error!r}, not RemoteProtocolError"
        if isinstance(error, sse_core.LimitExceeded):
            assert (error.limit, error.maximum) == ("max_head_size", limit), f"raised {error!r}"
            assert error.size > limit, f"raised {error!r} at or below the bound"
        assert head is None, f"raised {error!r} after returning {head!r}"
        _assert_raises(type(error), "feed() after an error", lambda: reader.feed(b""))
        _assert_raises(type(error), "close() after an error", reader.close)
    return head, reader.unused, _error_key(error)


def _check_head(make: _HeadReader, data: bytes) -> Tuple[int, bytes, _HeadResult]:
    control, stream = _control(data)
    limit = HEAD_MAX_SIZES[(control >> 2) & 1]
    whole = _read_head(make, [stream], limit)
    for name, reads in (("byte by byte", _bytewise(stream)), ("split", _reads(control, stream))):
        got = _read_head(make, reads, limit)
        assert got == whole, f"fed {name} {reads!r}:\n  {got!r}\nfed whole:\n  {whole!r}"
    head, unused, error = whole
    if head is None:
        assert error is not None or stream == b"", "close() accepted an unfinished head"
    else:
        consumed = len(stream) - len(unused)
        assert 0 < consumed <= limit, f"a head of {consumed} bytes accepted, max_head_size={limit}"
        assert stream[consumed - 1 : consumed] == b"\n", f"the head ends at {stream[:consumed]!r}"
        assert stream[consumed:] == unused, f"unused {unused!r}, not what follows the head"
    return control, stream, whole


_MessageReader = Union[_body.RequestReader, _body.ResponseReader]


def _check_message(reader: _MessageReader, wire: bytes, head: _Head) -> None:
    # The message reader given the same head and then the end of input: the
    # head again (a response's interim head is skipped instead), then the
    # end of the message, or RemoteProtocolError from the body's framing.
    reader.feed(wire)
    reader.close()
    events: list = []
    try:
        while not events or not isinstance(events[-1], _body.EndOfMessage):
            event = reader.next_event()
            assert event is not _body.NEED_DATA, f"NEED_DATA after the end of input, after {events!r}"
            events.append(event)
    except sse_core.SSEError as exc:
        assert isinstance(exc, sse_core.RemoteProtocolError), f"the message reader raised {exc!r}"
    if events:
        assert events[0] == head, f"the message reader read {events[0]!r}, not {head!r}"
        assert all(isinstance(event, _body.EndOfMessage) for event in events[1:]), f"events {events!r}"


def _reparsed(make: _HeadReader, encode: Callable[[], bytes]) -> Optional[_Head]:
    # The head as encoded again and parsed again; None when the encoder
    # refuses it (the parser takes obs-text the encoders do not write).
    try:
        wire = encode()
    except sse_core.LocalProtocolError:
        return None
    reader = make(max_head_size=None)
    head = reader.feed(wire)
    assert head is not None and reader.unused == b"", f"{wire!r} is not one whole head"
    return head


def check_request_head(data: bytes) -> None:
    """RequestHeadReader: any bytes parse or raise RemoteProtocolError, however split; the head stays bounded.

    The first byte is a control byte (see ``_reads``; bit 2 picks
    max_head_size 48 or 512); the rest is fed to a RequestHeadReader, then
    closed. Fed whole, one byte at a time and in the reads the control byte
    picks, it gives the same head, ``unused`` and error (type, and the bound
    for LimitExceeded). Only RemoteProtocolError (LimitExceeded for
    ``max_head_size``, past it) escapes; after it every call raises it
    again, and after a quiet close() feed() raises LocalProtocolError. The
    unfinished head buffered after each feed (``buffered``) is at most
    max_head_size, and so is a head accepted; ``unused`` is exactly the
    bytes after the head's final LF. A RequestReader given the complete
    head and the end of input reads the same head, then ends the message
    or raises RemoteProtocolError, and an HTTP/1.1 head that
    encode_request_head() accepts parses back the same.
    """
    make = _http11.RequestHeadReader
    _, stream, (head, unused, _) = _check_head(make, data)
    if isinstance(head, _http11.RequestHead):
        request = head
        limit = HEAD_MAX_SIZES[(_control(data)[0] >> 2) & 1]
        _check_message(_body.RequestReader(max_head_size=limit), stream[: len(stream) - len(unused)], request)
        if request.version == "1.1":  # encode_request_head() writes HTTP/1.1 only
            again = _reparsed(
                make, lambda: _http11.encode_request_head(request.method, request.target, request.headers)
            )
            assert again in (None, request), f"{request!r} encoded and parsed again is {again!r}"


def check_response_head(data: bytes) -> None:
    """ResponseHeadReader: any bytes parse or raise RemoteProtocolError, however split; the head stays bounded.

    As check_request_head, for a ResponseHeadReader and a ResponseReader
    (control bit 3 picks the request method: HEAD or GET); a head that
    encode_response_head() accepts parses back the same.
    """
    make = _http11.ResponseHeadReader
    control, stream, (head, unused, _) = _check_head(make, data)
    if isinstance(head, _http11.ResponseHead):
        response = head
        method = "HEAD" if control & 8 else "GET"
        limit = HEAD_MAX_SIZES[(control >> 2) & 1]
        reader = _body.ResponseReader(method, max_head_size=limit)
        _check_message(reader, stream[: len(stream) - len(unused)], response)
        again = _reparsed(
            make,
            lambda: _http11.encode_response_head(response.status, response.reason, response.headers, response.version),
        )
        assert again in (None, response), f"{response!r} encoded and parsed again is {again!r}"


# --- check_parse_cli -------------------------------------------------------


class _PlannedReads(io.BytesIO):
    """An in-memory stdin buffer whose read1() returns the planned reads in turn."""

    def __init__(self, reads: List[bytes]) -> None:
        super().__init__(b"".join(reads))
        # An empty read1() means EOF to the command line: leave those out.
        self._sizes = [len(read) for read in reversed(reads) if read]

    def read1(self, size: Optional[int] = -1) -> bytes:
        if not self._sizes:
            return super().read1(size)
        planned = self._sizes.pop()
        if size is not None and 0 <= size < planned:
            self._sizes.append(planned - size)
            planned = size
        return super().read1(planned)


def _run_cli(argv: List[str], reads: List[bytes]) -> Tuple[int, bytes, str]:
    """Run ``main(argv)`` in-process on stdin ``reads``; return (status, stdout bytes, stderr text)."""
    # main() reads sys.stdin.buffer and writes sys.stdout.buffer: text
    # wrappers over BytesIO give it both; errors go to sys.stderr as text.
    stdin = io.TextIOWrapper(_PlannedReads(reads), encoding="utf-8")
    stdout_bytes = io.BytesIO()
    stdout = io.TextIOWrapper(stdout_bytes, encoding="utf-8")
    stderr = io.StringIO()
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr  # type: ignore[assignment]
    try:
        status = _cli.main(argv)
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    stdout.flush()
    written = stdout_bytes.getvalue()
    # Detached, a wrapper no longer closes its BytesIO when collected.
    stdin.detach()
    stdout.detach()
    return status, written, stderr.getvalue()


def _parse_directly(stream: bytes, comments: bool, dispatch_unterminated: bool) -> Tuple[List[Dict[str, object]], int]:
    """What ``parse --chunked`` must print for ``stream`` fed whole, and its exit status."""
    dechunker = sse_core.ChunkedDecoder()  # the command line's bounds: the defaults
    decoder = sse_core.SSEDecoder(
        max_line_size=CLI_MAX_LINE_SIZE,
        max_event_size=CLI_MAX_EVENT_SIZE,
        comments=comments,
        dispatch_unterminated=dispatch_unterminated,
    )
    items: List[Union[sse_core.Event, sse_core.Comment]] = []
    status = 0
    try:
        if stream:
            items += decoder.feed(dechunker.feed(stream))
        # Stop at the end of the body (unused bytes are not read) or of input.
        dechunker.close()
        items += decoder.close()
    except sse_core.SSEError:
        status = 1
    objects: List[Dict[str, object]] = []
    for item in items:
        if isinstance(item, sse_core.Event):
            objects.append({"event": item.event, "data": item.data, "id": item.id, "retry": item.retry})
        else:
            objects.append({"comment": item.text})
    return objects, status


def check_parse_cli(data: bytes) -> None:
    """``python -m sse_core parse --chunked``, in-process: exit status 0 or 1, never an exception.

    Its stdout holds one JSON object per line, exactly the events (and
    comments) a ChunkedDecoder and an SSEDecoder fed the input directly
    give, those completed before a fault included; the status is 1 exactly
    when the direct decoders raise, and then stderr holds exactly one line,
    ``sse_core parse: error: ...``; on 0 stderr is empty.

    The first byte is a control byte: stdin's read1() returns the reads it
    picks (see ``_reads``; empty reads left out, since one means EOF); bit 2
    adds ``--comments``, bit 3 ``--dispatch-unterminated``. The rest is
    stdin, read with ``--max-line-size 64 --max-event-size 256`` so that
    short inputs reach those bounds; the chunked bounds are the defaults.
    """
    control, stream = _control(data)
    comments, dispatch_unterminated = bool(control & 4), bool(control & 8)
    argv = ["parse", "--chunked"]
    argv += ["--max-line-size", str(CLI_MAX_LINE_SIZE), "--max-event-size", str(CLI_MAX_EVENT_SIZE)]
    argv += ["--comments"] * comments + ["--dispatch-unterminated"] * dispatch_unterminated
    status, written, errors = _run_cli(argv, _reads(control, stream))

    assert status in (0, 1), f"exit status {status!r}"
    assert written == b"" or written.endswith(b"\n"), f"stdout ends without a line end: {written[-40:]!r}"
    got = [json.loads(line.decode("utf-8")) for line in written.split(b"\n")[:-1]]
    expected, expected_status = _parse_directly(stream, comments, dispatch_unterminated)
    assert (got, status) == (expected, expected_status), (
        f"printed {got!r}, status {status}; direct decoders give {expected!r}, status {expected_status}"
    )
    if status == 0:
        assert errors == "", f"status 0 with stderr {errors!r}"
    else:
        one_line = errors.endswith("\n") and errors.count("\n") == 1
        assert one_line and errors.startswith("sse_core parse: error: "), f"stderr {errors!r}"


# --- Helpers --------------------------------------------------------------


def _shown(value: object) -> str:
    """repr(value), with each long run of "x" (check_decoder_long's runs) as its length."""
    return re.sub(r"x{64,}", lambda match: f"<x * {len(match.group())}>", repr(value))


def _assert_raises(kind: type, what: str, call: Callable[[], object]) -> None:
    # Another SSEError is a failed check; any other exception is a bug and
    # propagates as it is.
    try:
        call()
    except sse_core.SSEError as exc:
        assert isinstance(exc, kind), f"{what} raised {exc!r}, not {kind.__name__}"
        return
    raise AssertionError(f"{what} did not raise {kind.__name__}")


TARGETS: Dict[str, Callable[[bytes], None]] = {
    "check_decoder": check_decoder,
    "check_decoder_long": check_decoder_long,
    "check_chunked": check_chunked,
    "check_roundtrip": check_roundtrip,
    "check_request_head": check_request_head,
    "check_response_head": check_response_head,
    "check_parse_cli": check_parse_cli,
}

# The adapter targets (loopback sockets) use the splitting above: imported
# last, once this module has defined it.
from adapter_targets import ADAPTER_TARGETS  # noqa: E402

TARGETS.update(ADAPTER_TARGETS)
