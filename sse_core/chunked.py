"""HTTP/1.1 chunked transfer coding (RFC 9112 section 7.1), strict and sans-IO."""

import re
from typing import List, Optional, Tuple

from ._abnf import FIELD_LINE, QUOTED_STRING, TCHAR, encode_field_line
from .errors import LimitExceeded, LocalProtocolError, RemoteProtocolError

__all__ = [
    "DEFAULT_MAX_LINE_SIZE",
    "DEFAULT_MAX_TRAILER_SIZE",
    "ChunkedDecoder",
    "encode_chunk",
    "encode_last_chunk",
]

# A size line is a few hex digits plus, rarely, a short extension; 4 KiB is
# far more than any legitimate server sends, and small enough that a peer
# cannot make us buffer much while we wait for its CRLF.
DEFAULT_MAX_LINE_SIZE = 4096

# h11 allows 16 KiB for a whole header block; a trailer section is a rarer
# and smaller header block, so the same bound leaves ample room.
DEFAULT_MAX_TRAILER_SIZE = 16 * 1024

# 16 hex digits already make a 64-bit size, bigger than any body that will
# ever finish; anything longer is an attack on int() or on our arithmetic.
_MAX_SIZE_DIGITS = 16

# chunk-size [ chunk-ext ], without the CRLF. Blanks, tokens, quoted
# strings and separators never match the same bytes, so a failing match
# backtracks in linear time.
_CHUNK_EXT = (
    rb"[ \t]*;[ \t]*" + TCHAR + rb"+"
    rb"(?:[ \t]*=[ \t]*(?:" + TCHAR + rb"+|" + QUOTED_STRING + rb"))?"
)
_SIZE_LINE = re.compile(rb"([0-9A-Fa-f]+)(?:" + _CHUNK_EXT + rb")*")
# The usual size line, whole in one read: a nonzero size without leading
# zeros or extensions, and CRLF. It is matched in place, in one step; any
# other line (the last chunk's too) goes through _read_line and _SIZE_LINE,
# which accept this one as well and give the same size.
_PLAIN_SIZE_LINE = re.compile(rb"([1-9A-Fa-f][0-9A-Fa-f]{0,%d})\r\n" % (_MAX_SIZE_DIGITS - 1))
# The longest line it matches: a max_line_size below this turns it off.
_PLAIN_SIZE_LINE_MAX = _MAX_SIZE_DIGITS + 2
# The CRLF after chunk data and the plain size line of the next chunk.
_CRLF_AND_PLAIN_SIZE_LINE = re.compile(b"\r\n" + _PLAIN_SIZE_LINE.pattern)

# Chunk data at least this big, whole chunk or the part of one in a read, is
# a memoryview until joined.
_VIEW_SIZE = 4096

# The decoder's states; each string also says where EOF came, for close().
_SIZE = "a chunk size line"
_DATA = "chunk data"
_DATA_END = "the CRLF after chunk data"
_TRAILER = "the trailer section"
_DONE = "done"


class ChunkedDecoder:
    """Incremental decoder of a chunked message body.

    Feed it the bytes after the response head; it returns the body bytes.
    ``done`` turns True once the last chunk, the trailer section and the
    final CRLF are in; ``trailers`` then holds ``(name, value)`` pairs
    (names lowercased) and ``unused`` whatever came after the body.

    ``max_line_size`` bounds a chunk size line, extensions and CRLF
    included; ``max_trailer_size`` bounds the trailer section, its closing
    CRLF included. ``None`` disables a bound. Going past one raises
    :class:`~sse_core.errors.LimitExceeded` (``error_status_hint`` 400 for
    a size line, which is part of the body, and 431 for the trailer
    section, which is header fields); any other malformed input raises
    :class:`~sse_core.errors.RemoteProtocolError`. A chunk size of up to
    16 hex digits (leading zeros aside) is taken as it is, however long
    the chunk it announces; longer ones are refused.
    """

    def __init__(
        self,
        *,
        max_line_size: Optional[int] = DEFAULT_MAX_LINE_SIZE,
        max_trailer_size: Optional[int] = DEFAULT_MAX_TRAILER_SIZE,
    ) -> None:
        self.max_line_size = max_line_size
        self.max_trailer_size = max_trailer_size
        self.done = False
        self.trailers: List[Tuple[bytes, bytes]] = []
        self._state = _SIZE
        self._remaining = 0  # bytes of chunk data still due
        self._crlf_seen = 0  # bytes of the CRLF after chunk data already seen
        # The incomplete size or trailer line. It never holds an LF, so only
        # new data is ever searched for one.
        self._buf = bytearray()
        self._trailer_size = 0  # bytes of complete trailer lines
        self._unused = bytearray()
        self._error: Optional[RemoteProtocolError] = None
        self._closed = False

    @property
    def unused(self) -> bytes:
        """The bytes received after the end of the chunked body."""
        return bytes(self._unused)

    @property
    def error(self) -> Optional[RemoteProtocolError]:
        """The fault found in the input, or None.

        ``feed`` returns the body bytes decoded before a fault and raises
        it on the next call; a driver that checks ``error`` after each
        ``feed`` sees the fault at once, without feeding again.
        """
        return self._error

    @property
    def buffered(self) -> int:
        """Bytes of framing held: the incomplete size or trailer line and the trailer lines received.

        At most ``max_line_size`` while a size line comes in, and
        ``max_trailer_size`` in the trailer section.
        """
        return len(self._buf) + self._trailer_size

    def feed(self, data: bytes) -> bytes:
        """Decode ``data`` and return the body bytes it completes.

        ``b""`` means more input is needed. Bytes fed once ``done`` is True
        go to ``unused``.
        """
        if self._error is not None:
            raise self._error
        if self._closed:
            raise LocalProtocolError("feed() called after close()")
        if self.done:
            self._unused += data
            return b""
        pieces: List[bytes] = []
        try:
            self._run(data, pieces)
        except RemoteProtocolError as exc:
            # Nothing is lost: body bytes decoded before the fault are
            # returned now, and the fault is raised by the next call.
            self._error = exc
            if not pieces:
                raise
        return b"".join(pieces)

    def close(self) -> None:
        """Mark the end of input; raise RemoteProtocolError if the body is cut short."""
        if self._error is not None:
            raise self._error
        self._closed = True
        if not self.done:
            self._error = RemoteProtocolError(f"chunked body ended early, in {self._state}")
            raise self._error

    def _run(self, data: bytes, pieces: List[bytes]) -> None:
        pos = 0
        end = len(data)
        while pos < end:
            state = self._state
            if state is _DATA:
                stop = min(end, pos + self._remaining)
                pieces.append(data[pos:stop] if stop - pos < _VIEW_SIZE else memoryview(data)[pos:stop])
                self._remaining -= stop - pos
                pos = stop
                if not self._remaining:
                    self._state = _DATA_END
                    if data.startswith(b"\r\n", pos):  # the usual case, in one step
                        pos += 2
                        self._state = _SIZE
            elif state is _DATA_END:
                # Checked byte by byte rather than read as a line, so junk
                # after chunk data fails at once instead of being buffered.
                expected = b"\r\n"[self._crlf_seen :]
                got = data[pos : pos + len(expected)]
                if not expected.startswith(got):
                    raise RemoteProtocolError("chunk data not followed by CRLF")
                pos += len(got)
                self._crlf_seen += len(got)
                if self._crlf_seen == 2:
                    self._crlf_seen = 0
                    self._state = _SIZE
            elif state is _SIZE:
                limit = self.max_line_size
                if not self._buf and (limit is None or limit >= _PLAIN_SIZE_LINE_MAX):
                    start = self._whole_chunks(data, pos, pieces)
                    if start != pos:
                        pos = start
                        continue
                line, pos = self._read_line(data, pos, "max_line_size", limit, 0, 400)
                if line is not None:
                    self._parse_size_line(line)
            elif state is _TRAILER:
                line, pos = self._read_line(
                    data, pos, "max_trailer_size", self.max_trailer_size, self._trailer_size, 431
                )
                if line is not None:
                    self._trailer_size += len(line) + 2
                    self._parse_trailer_line(line)
            else:
                self._unused += data[pos:]
                pos = end

    def _whole_chunks(self, data: bytes, pos: int, pieces: List[bytes]) -> int:
        """Take the chunks at ``pos`` that have a plain size line; return where they end.

        A chunk and its CRLF whole in ``data`` take one step each, in one
        loop: the usual read holds many. Of a chunk cut short by the end of
        ``data``, the part here is taken and the _DATA state takes the rest;
        a chunk not followed by CRLF is left to the _DATA state.
        """
        view = memoryview(data)  # one view, sliced for each big chunk
        end = len(data)
        match = _PLAIN_SIZE_LINE.match(data, pos)
        while match is not None:
            start = match.end()
            stop = start + int(match[1], 16)
            if stop > end:
                # Cut short, as the last chunk of a read usually is. Tested
                # before the match below, whose position must fit a C
                # ssize_t: a 16-digit size can reach 2**64 - 1.
                self._state = _DATA
                pieces.append(data[start:] if end - start < _VIEW_SIZE else view[start:])
                self._remaining = stop - end
                return end
            # The data's CRLF and the next chunk's size line, in one step;
            # with no plain size line next, the CRLF alone ends the loop.
            match = _CRLF_AND_PLAIN_SIZE_LINE.match(data, stop)
            if match is None and data[stop : stop + 2] != b"\r\n":
                # Not followed by CRLF, or not all of it here.
                self._state = _DATA
                self._remaining = stop - start
                return start
            # A big chunk is viewed, not copied: feed() joins the pieces,
            # and that one copy is enough.
            pieces.append(data[start:stop] if stop - start < _VIEW_SIZE else view[start:stop])
            pos = stop + 2
        return pos

    def _read_line(
        self, data: bytes, pos: int, limit_name: str, limit: Optional[int], base: int, status_hint: int
    ) -> Tuple[Optional[bytes], int]:
        """Return (the line without its CRLF or None, the new position).

        ``base`` is how much of the bounded unit came before this line.
        """
        buf = self._buf
        newline = data.find(b"\n", pos)
        stop = len(data) if newline < 0 else newline + 1
        size = base + len(buf) + stop - pos
        if limit is not None and size > limit:
            self._buf = bytearray()  # nothing more will be parsed: let it go
            raise LimitExceeded(limit_name, limit, size, error_status_hint=status_hint)
        if newline < 0:
            buf += data[pos:]
            return None, stop
        if buf:
            buf += data[pos:stop]
            line = bytes(buf)
            buf.clear()
        else:
            line = data[pos:stop]
        if not line.endswith(b"\r\n"):
            raise RemoteProtocolError("line not ended by CRLF")
        return line[:-2], stop

    def _parse_size_line(self, line: bytes) -> None:
        match = _SIZE_LINE.fullmatch(line)
        if match is None:
            raise RemoteProtocolError("malformed chunk size line")
        digits = match.group(1).lstrip(b"0")
        if len(digits) > _MAX_SIZE_DIGITS:
            raise RemoteProtocolError("chunk size too large")
        if digits:
            self._remaining = int(digits, 16)
            self._state = _DATA
        else:
            self._state = _TRAILER

    def _parse_trailer_line(self, line: bytes) -> None:
        if not line:
            self.done = True
            self._state = _DONE
            return
        if line[:1] in (b" ", b"\t"):
            raise RemoteProtocolError("obsolete line folding in trailer section")
        match = FIELD_LINE.fullmatch(line)
        if match is None:
            raise RemoteProtocolError("malformed trailer field line")
        name, value = match.groups()
        self.trailers.append((name.lower(), value.strip(b" \t")))


def encode_chunk(data: bytes) -> bytes:
    """Return ``data`` framed as one chunk.

    Empty ``data`` gives ``b""``: an empty chunk would end the body.
    """
    if not data:
        return b""
    return b"%x\r\n%s\r\n" % (len(data), data)


def encode_last_chunk(trailers: Optional[List[Tuple[bytes, bytes]]] = None) -> bytes:
    """Return the last chunk, the given trailer fields and the final CRLF.

    Raise LocalProtocolError for a name that is not a token or a value that
    is not a valid field value (CR, LF, NUL or another control character,
    or blanks at either end, which the peer would strip).
    """
    parts = [b"0\r\n"]
    parts += [encode_field_line(name, value) for name, value in trailers or ()]
    parts.append(b"\r\n")
    return b"".join(parts)
