"""Hypothesis strategies for SSE parsers, encoders and chunked decoders.

Every strategy builds valid input directly (or breaks it on purpose in one
known place) instead of filtering random bytes, and draws related values
together, so a failure shrinks to a few bytes. Where a strategy promises an
answer (the events of a stream, the payload of a chunked body) the answer
comes from the strategy's own construction, following the WHATWG rules
("Interpreting an event stream") and RFC 9112 section 7.1, not from
running a parser.
"""

from typing import List, NamedTuple, Optional, Tuple

from hypothesis import strategies as st

from ..decoder import MAX_RETRY, MAX_RETRY_DIGITS
from ..events import Event

__all__ = [
    "EventStream",
    "ChunkedBody",
    "events",
    "line_endings",
    "streams",
    "splits",
    "malformed_streams",
    "chunked_bodies",
    "broken_chunked_bodies",
]

BOM = b"\xef\xbb\xbf"

# Characters parsers get wrong: the line breaks str.splitlines knows beyond
# CR and LF, NUL, a BOM in the middle, the separators of the field grammar,
# and one character of each UTF-8 length.
# The plainest first: that is where shrinking goes.
_TRICKY_CHARACTERS = [
    "a", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e",
    "\x00", "\ufeff", ":", " ", "\t", "\u00e9", "\u20ac", "\U0001d11e",
]


def _one_line_character(character: str) -> str:
    # Mapped rather than filtered, so every draw is usable.
    if character in "\r\n":
        return "x"
    if "\ud800" <= character <= "\udfff":  # a lone surrogate has no UTF-8 form
        return "\ufffd"
    return character


def _one_line_text(max_size: int = 12, *, nul: bool = True) -> st.SearchStrategy[str]:
    """Text without CR or LF (nor NUL unless ``nul``), rich in the characters parsers trip on."""
    alphabet = st.one_of(st.sampled_from(_TRICKY_CHARACTERS), st.characters().map(_one_line_character))
    if not nul:
        alphabet = alphabet.map(lambda character: "0" if character == "\0" else character)
    return st.text(alphabet, max_size=max_size)


def line_endings() -> st.SearchStrategy[bytes]:
    """One of the three line ends of the event-stream grammar: LF, CR, CRLF."""
    return st.sampled_from([b"\n", b"\r", b"\r\n"])


# ---------------------------------------------------------------- events()


def _retry_values() -> st.SearchStrategy[Optional[int]]:
    return st.one_of(
        st.none(),
        st.integers(0, 10_000),
        st.sampled_from([0, 1, MAX_RETRY]),
        st.integers(0, MAX_RETRY),
    )


def events(*, nul_ids: bool = True) -> st.SearchStrategy[Event]:
    """Event values as a server would send them.

    ``data`` is any text: every line break (LF, CR, CRLF, mixed) and the
    characters that must not break a line (U+2028, U+0085, VT, FF...).
    ``event`` and ``id`` have no CR or LF; ``event`` is never empty (a
    decoder reports an unnamed event as ``"message"``). ``id`` may be empty
    (which resets the last event ID) and, unless ``nul_ids=False``, may hold
    a NUL: such an id cannot be sent (``sse_core.encode`` refuses it, and a
    client would ignore it). ``retry`` is ``None`` or an int from 0 to
    ``MAX_RETRY``, all of which ``sse_core.encode`` accepts.
    """
    data_alphabet = st.one_of(
        st.sampled_from(["\n", "\r", "\r\n"] + _TRICKY_CHARACTERS),
        st.characters().map(_one_line_character),
    )
    data = st.lists(data_alphabet, max_size=20).map("".join)
    name = st.one_of(st.just("message"), _one_line_text().map(lambda text: text or "message"))
    ids = _one_line_text(nul=nul_ids)
    return st.builds(Event, data=data, event=name, id=ids, retry=_retry_values())


# ---------------------------------------------------------------- streams()


class EventStream(NamedTuple):
    """A valid ``text/event-stream`` body and what a conforming parser makes of it.

    ``events`` are the events it dispatches (the spec discards an
    unterminated last event); ``last_event_id`` and ``retry`` are the
    parser's state after the whole body: the last event ID string and the
    reconnection time (``None`` if never set).
    """

    body: bytes
    events: List[Event]
    last_event_id: str
    retry: Optional[int]


class _Line(NamedTuple):
    content: bytes
    # What the line does to a parser, computed when it is built: one of
    # "data", "event", "id", "retry" with its effective value, or "ignore".
    effect: str
    value: object


# Field names that are none of the four, though close to them. The last
# starts with U+FEFF, which at the very start of a stream would be taken
# for the BOM: streams() puts a real BOM in front of such a stream.
_UNKNOWN_FIELDS = ["Data", "DATA", "data ", " data", "Id", "ID", "Event", "retry\0", "foo", "\ufeffdata"]

_INVALID_RETRIES = [
    "+5", " 5", "5 ", "-1", "1_000", "5.0", "0x10", "1e3", "", "\u0665", "\uff15",
    "1" * (MAX_RETRY_DIGITS + 1), "9" * 40,
]


@st.composite
def _separator_and_value(draw, value: str) -> Tuple[bytes, str]:
    """Write ``value`` after a field name; return the bytes and the value a parser reads.

    The spec removes one space after the colon, so ``:`` + `` x`` reads ``x``.
    """
    if draw(st.booleans()):
        return b": " + value.encode(), value
    read = value[1:] if value.startswith(" ") else value
    return b":" + value.encode(), read


@st.composite
def _field_line(draw) -> _Line:
    # "data" thrice: most lines of a real stream are data lines.
    kinds = ["data", "data", "data", "event", "id", "retry", "bad retry", "comment", "unknown", "bare"]
    kind = draw(st.sampled_from(kinds))
    if kind == "data":
        raw, value = draw(_separator_and_value(draw(_one_line_text())))
        return _Line(b"data" + raw, "data", value)
    if kind == "event":
        raw, value = draw(_separator_and_value(draw(_one_line_text())))
        return _Line(b"event" + raw, "event", value)
    if kind == "id":
        text = draw(_one_line_text(nul=False))
        if draw(st.booleans()):
            text = text + "\0" + draw(_one_line_text(4))
        raw, value = draw(_separator_and_value(text))
        if "\0" in value:
            return _Line(b"id" + raw, "ignore", None)  # an id with NUL is ignored
        return _Line(b"id" + raw, "id", value)
    if kind == "retry":
        zeros = "0" * draw(st.integers(0, 3))
        number = draw(st.one_of(st.integers(0, 10_000), st.integers(0, MAX_RETRY)))
        text = zeros + str(number) if number else zeros or "0"
        separator = b": " if draw(st.booleans()) else b":"
        return _Line(b"retry" + separator + text.encode(), "retry", int(text))
    if kind == "bad retry":
        text = draw(st.sampled_from(_INVALID_RETRIES))
        if text.startswith(" "):
            return _Line(b"retry: " + text.encode(), "ignore", None)  # two spaces: one stays
        separator = b": " if draw(st.booleans()) else b":"
        return _Line(b"retry" + separator + text.encode(), "ignore", None)
    if kind == "comment":
        return _Line(b":" + draw(_one_line_text()).encode(), "ignore", None)
    if kind == "unknown":
        other_name = _one_line_text(6).map(lambda text: "x" + text.replace(":", ""))
        name = draw(st.one_of(st.sampled_from(_UNKNOWN_FIELDS), other_name))
        if draw(st.booleans()):
            return _Line(name.encode(), "ignore", None)
        return _Line(name.encode() + b":" + draw(_one_line_text()).encode(), "ignore", None)
    # A known field name alone on its line: the value is the empty string.
    name = draw(st.sampled_from(["data", "event", "id", "retry"]))
    effect = "ignore" if name == "retry" else name
    return _Line(name.encode(), effect, "")


class _Parser:
    """The interpretation state the spec defines, advanced line by line as
    the strategy builds lines (never by parsing bytes)."""

    def __init__(self) -> None:
        self.data: List[str] = []
        self.event_type = ""
        self.id_buffer = ""
        self.block_retry: Optional[int] = None
        self.last_event_id = ""
        self.retry: Optional[int] = None
        self.events: List[Event] = []

    def apply(self, line: _Line) -> None:
        if line.effect == "data":
            self.data.append(line.value)  # type: ignore[arg-type]
        elif line.effect == "event":
            self.event_type = line.value  # type: ignore[assignment]
        elif line.effect == "id":
            self.id_buffer = line.value  # type: ignore[assignment]
        elif line.effect == "retry":
            self.retry = self.block_retry = line.value  # type: ignore[assignment]

    def dispatch(self) -> None:
        self.last_event_id = self.id_buffer
        if self.data:
            data = "\n".join(self.data)
            self.events.append(Event(data, self.event_type or "message", self.last_event_id, self.block_retry))
        self.data = []
        self.event_type = ""
        self.block_retry = None


class _Writer:
    """Joins lines with line ends, one style for the stream or one per line."""

    def __init__(self, draw, style: Optional[bytes]) -> None:
        self.draw = draw
        self.style = style
        self.parts: List[bytes] = []

    def end_line(self, content: bytes) -> None:
        if self.style is not None:
            ending = self.style
        elif not content and self.parts and self.parts[-1] == b"\r":
            # A bare LF right after a CR line end would join it into one
            # CRLF: this blank line needs a line end of its own.
            ending = self.draw(st.sampled_from([b"\r", b"\r\n"]))
        else:
            ending = self.draw(line_endings())
        self.parts += [content, ending]


@st.composite
def streams(draw, *, max_blocks: int = 8) -> EventStream:
    """A valid event stream together with the events a conforming parser produces.

    The body is built from up to ``max_blocks`` blocks, each a few lines
    and a blank line: data lines (values with U+2028, NUL, colons, leading
    spaces...), ``event``, ``id`` (sometimes with a NUL, which is ignored)
    and ``retry`` lines (valid, or invalid like ``+5``, `` 5``, ``1_000``,
    non-ASCII digits, 19 digits: ignored), comments, unknown fields, field
    names without a colon, and blocks with no data (which dispatch
    nothing). It may start with a BOM, use one line-end style or mix them
    per line, and end with an unterminated event (which the spec discards).
    The body is always valid UTF-8; the result is an :class:`EventStream`.
    """
    style = draw(st.one_of(st.none(), line_endings()))
    writer = _Writer(draw, style)
    parser = _Parser()
    for _ in range(draw(st.integers(0, max_blocks))):
        for line in draw(st.lists(_field_line(), max_size=5)):
            parser.apply(line)
            writer.end_line(line.content)
        writer.end_line(b"")
        parser.dispatch()
    if draw(st.booleans()):
        # An unterminated last event: complete lines (which still change
        # the reconnection time), then perhaps a line without its end.
        for line in draw(st.lists(_field_line(), min_size=1, max_size=3)):
            parser.apply(line)
            writer.end_line(line.content)
        if draw(st.booleans()):
            writer.parts.append(draw(_field_line()).content)
    body = b"".join(writer.parts)
    # A stream starting with a BOM loses it, so one starting with the BOM's
    # character already (a "\ufeffdata" line) gets a BOM of its own.
    if draw(st.booleans()) or body.startswith(BOM):
        body = BOM + body
    return EventStream(body, parser.events, parser.last_event_id, parser.retry)


# ---------------------------------------------------------------- splits()


def _tricky_cuts(data: bytes) -> List[List[int]]:
    """Offsets where a read boundary trips parsers, in three groups: between
    the CR and LF of a CRLF, inside a leading BOM, and before any other
    UTF-8 continuation byte (inside a multi-byte character)."""
    crlf, bom, multibyte = [], [], []
    for offset in range(1, len(data)):
        byte = data[offset]
        if byte == 0x0A and data[offset - 1] == 0x0D:
            crlf.append(offset)
        elif byte & 0xC0 == 0x80:
            (bom if offset < len(BOM) and data.startswith(BOM) else multibyte).append(offset)
    return [crlf, bom, multibyte]


@st.composite
def splits(draw, data: bytes) -> List[bytes]:
    """Reads ``data`` could arrive in: a list of chunks whose join is ``data``.

    About half the boundaries are drawn where parsers break (inside a CRLF,
    inside a multi-byte UTF-8 character or the BOM), a few anywhere, and
    some reads are empty. It shrinks towards ``[data]``.
    """
    cuts = set()
    # One draw per group, CRLFs first, so that shrinking the characters of
    # a stream leaves the choices made for its line ends where they were.
    for group in _tricky_cuts(data):
        chosen = draw(st.lists(st.booleans(), min_size=len(group), max_size=len(group)))
        cuts.update(offset for offset, take in zip(group, chosen) if take)
    cuts.update(draw(st.lists(st.integers(0, len(data)), max_size=4)))
    # An offset listed twice makes an empty read there.
    empty_reads = draw(st.lists(st.integers(0, len(data)), max_size=2))
    edges = [0] + sorted(list(cuts) + empty_reads) + [len(data)]
    return [data[start:stop] for start, stop in zip(edges, edges[1:])]


# ---------------------------------------------------------------- malformed_streams()

# Byte sequences that are not UTF-8: a lone continuation byte, a truncated
# sequence, an overlong encoding, an encoded surrogate, a code point past
# U+10FFFF, bytes never used, and a BOM cut short.
_INVALID_UTF8 = [
    b"\x80", b"\xbf", b"\xc3", b"\xe2\x82", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
    b"\xff", b"\xfe", b"\xef\xbb",
]
_MALFORMED_TOKENS = _INVALID_UTF8 + [
    b"\r", b"\n", b"\r\n", b"\r\r", b"\n\r", b"\0", BOM, b"data", b"data:", b"data: ", b"id:", b"id: \0",
    b"event:", b"retry:", b"retry: 5", b":", b" ", b"x",
]


@st.composite
def malformed_streams(draw, *, max_line: int = 2048) -> bytes:
    """Byte streams no server should send, which a parser must still survive.

    They mix invalid UTF-8 (which becomes U+FFFD), lone CRs, CR-LF-CR runs,
    NULs, several BOMs, field fragments and overlong lines (runs of up to
    ``max_line`` bytes without a line end). The guarantee: a conforming
    parser decodes every one of them without an error, exactly as
    ``SSEDecoder`` with default limits does; with ``max_line_size`` or
    ``max_event_size`` set below ``max_line``, ``SSEDecoder`` may raise
    :class:`~sse_core.LimitExceeded` and nothing else.
    """
    token = st.one_of(
        st.sampled_from(_MALFORMED_TOKENS),
        st.binary(max_size=4),
        st.integers(1, max_line).map(lambda size: b"a" * size),
    )
    return b"".join(draw(st.lists(token, max_size=20)))


# ---------------------------------------------------------------- chunked_bodies()


class ChunkedBody(NamedTuple):
    """A chunked message body and what decoding it gives.

    ``payload`` is the decoded body; ``trailers`` the trailer fields, as
    ``(name, value)`` pairs with the name lowercased and the value's
    surrounding blanks stripped.
    """

    body: bytes
    payload: bytes
    trailers: List[Tuple[bytes, bytes]]


_TCHARS = b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_BLANKS = st.sampled_from([b"", b" ", b"\t", b" \t "])


def _token(max_size: int = 6) -> st.SearchStrategy[bytes]:
    return st.lists(st.sampled_from(list(_TCHARS)), min_size=1, max_size=max_size).map(bytes)


@st.composite
def _quoted_string(draw) -> bytes:
    # qdtext, plus quoted-pairs for the quote and the backslash.
    plain = [byte for byte in range(0x20, 0x7F) if byte not in b'"\\'] + [0x09, 0x80, 0xFF]
    character = st.one_of(st.sampled_from(plain).map(lambda byte: bytes([byte])), st.sampled_from([b'\\"', b"\\\\"]))
    parts = draw(st.lists(character, max_size=5))
    return b'"' + b"".join(parts) + b'"'


@st.composite
def _chunk_extensions(draw) -> bytes:
    parts = []
    for _ in range(draw(st.integers(0, 2))):
        part = draw(_BLANKS) + b";" + draw(_BLANKS) + draw(_token())
        if draw(st.booleans()):
            part += draw(_BLANKS) + b"=" + draw(_BLANKS) + draw(st.one_of(_token(), _quoted_string()))
        parts.append(part)
    return b"".join(parts)


@st.composite
def _size_line(draw, size: int) -> bytes:
    digits = b"%x" % size if size else b""
    if draw(st.booleans()):
        digits = digits.upper()
    digits = b"0" * draw(st.integers(0 if size else 1, 3)) + digits
    return digits + draw(_chunk_extensions()) + b"\r\n"


@st.composite
def _trailer_field(draw) -> Tuple[bytes, bytes, bytes]:
    """A trailer line with its CRLF, and the (name, value) a decoder reports."""
    name = draw(_token())
    visible = st.sampled_from([byte for byte in range(0x21, 0x7F)] + [0x80, 0xFF]).map(lambda b: bytes([b]))
    words = draw(st.lists(st.lists(visible, min_size=1, max_size=4).map(b"".join), max_size=3))
    value = b" ".join(words)
    line = name + b":" + draw(_BLANKS) + value + draw(_BLANKS) + b"\r\n"
    return line, name.lower(), value


@st.composite
def _valid_chunks(draw) -> Tuple[List[bytes], bytes]:
    """Encoded data chunks (no last chunk) and their payload."""
    pieces = draw(st.lists(st.binary(min_size=1, max_size=40), max_size=5))
    return [draw(_size_line(len(piece))) + piece + b"\r\n" for piece in pieces], b"".join(pieces)


@st.composite
def chunked_bodies(draw) -> ChunkedBody:
    """A valid chunked body (RFC 9112 section 7.1) with its payload and trailers.

    Chunk sizes are random, written in upper or lower case hex with leading
    zeros, with chunk extensions (tokens and quoted strings, blanks around
    ``;`` and ``=``), then the last chunk, trailer fields and the final CRLF.
    A strict decoder decodes it, split anywhere, to ``payload`` and is done.
    """
    chunks, payload = draw(_valid_chunks())
    trailers = draw(st.lists(_trailer_field(), max_size=3))
    body = b"".join(chunks) + draw(_size_line(0)) + b"".join(line for line, _, _ in trailers) + b"\r\n"
    return ChunkedBody(body, payload, [(name, value) for _, name, value in trailers])


_BAD_SIZE_LINES = [
    b"", b"g", b"0x5", b"+5", b"-1", b" 5", b"5 ", b"5;", b"5;=x", b'5;a="x', b"5 a", b"5,a",
    b"\x005", "\u0665".encode(), b"5;a=\x01", b"5;a b",
]


@st.composite
def broken_chunked_bodies(draw) -> bytes:
    """A chunked body with exactly one fault, after a valid beginning.

    The fault is one of: a malformed size line (``0x5``, ``+5``, blanks,
    a bad extension), a size of more than 16 significant hex digits, a size
    at the edge of a machine integer (2^31 to 2^64) that the body ends
    short of, chunk
    data not followed by CRLF, a line ended by a bare LF, a malformed or
    folded trailer line, or the body cut short anywhere. A strict decoder
    must raise ``RemoteProtocolError`` from ``feed()`` or ``close()``.
    """
    chunks, _ = draw(_valid_chunks())
    start = b"".join(chunks)
    fault = draw(st.sampled_from(["size", "overflow", "huge", "crlf", "bare lf", "trailer", "truncated"]))
    if fault == "size":
        return start + draw(st.sampled_from(_BAD_SIZE_LINES)) + b"\r\n" + b"x\r\n0\r\n\r\n"
    if fault == "overflow":
        digits = draw(st.sampled_from(list(b"123456789abcdefABCDEF")))
        return start + bytes([digits]) + b"0" * draw(st.integers(16, 40)) + b"\r\n"
    if fault == "huge":
        # Within 16 digits but at a machine integer's edge: the body ends
        # long before such a chunk could.
        size = draw(st.sampled_from([2**31 - 1, 2**31, 2**32, 2**63 - 1, 2**63, 2**64 - 1]))
        return start + b"%x\r\n" % size + draw(st.binary(max_size=10)) + draw(st.sampled_from([b"", b"\r\n0\r\n\r\n"]))
    if fault == "crlf":
        piece = draw(st.binary(min_size=1, max_size=10))
        # Anything but the CRLF: a fixed near miss or any other first byte.
        other_byte = st.integers(0, 255).map(lambda byte: bytes([byte if byte != 0x0D else 0x0A]))
        after = draw(st.one_of(st.sampled_from([b"x", b"\n", b"\rx", b"\n\r", b" \r\n"]), other_byte))
        return start + b"%x\r\n" % len(piece) + piece + after + b"0\r\n\r\n"
    if fault == "bare lf":
        where = draw(st.sampled_from(["size", "last", "trailer", "end"]))
        if where == "size":
            return start + b"1\nx\r\n0\r\n\r\n"
        if where == "last":
            return start + b"0\n\r\n"
        if where == "trailer":
            return start + b"0\r\na: b\n\r\n"
        return start + b"0\r\n\n"
    if fault == "trailer":
        bad = draw(st.sampled_from([b" folded: x", b"\tfolded", b"no colon", b"a b: c", b": x", b"a: \x01", b"a\0: b"]))
        return start + b"0\r\n" + bad + b"\r\n\r\n"
    whole = draw(chunked_bodies())
    body = start + whole.body
    return body[: draw(st.integers(0, len(body) - 1))]

