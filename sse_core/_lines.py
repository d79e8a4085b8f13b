"""LineSplitter: an event stream's bytes to lines, the first layer of the SSE decoder, sans-IO.

It does what the WHATWG "Parsing an event stream" step does before any field
is read: strip one byte order mark at the very start (even one split across
reads), end lines at CRLF, LF or a lone CR (a CR that ends a read may be the
first half of a CRLF, so the LF that may start the next read is skipped), and
bound the line still incomplete by ``max_line_size``. What the lines mean is
the business of its consumer: in ``SSEDecoder`` the event interpreter of
``decoder.py``; in the checker, a tap that looks at each line first.
"""

import sys
from typing import Any, Generic, List, Optional, Protocol, TypeVar, Union

from .errors import LimitExceeded, LocalProtocolError, SSEError

__all__ = [
    "LineSplitter",
    "LineConsumer",
    "DEFAULT_MAX_LINE_SIZE",
    "BOM",
    "BYTES_PER_OBJECT",
    "CHECK_SHARE",
    "join_into_bytearray",
]

# LLM streams send events of a few hundred bytes; the largest legitimate ones
# carry a base64 image or a long tool call in one data line, a few MiB. This
# bound sits well above that and still stops a runaway line long before it
# hurts a process.
DEFAULT_MAX_LINE_SIZE = 16 * 1024 * 1024

BOM = b"\xef\xbb\xbf"

# A bytes object held costs more than its bytes: its header (33 bytes,
# rounded up by the allocator), its slot in a list (8, and a share of the
# list's spare room), and the 80-byte buffer view bytes.join() borrows for
# each item it joins. So the incomplete line (and an event's data, in
# decoder.py) is held as at most one object per BYTES_PER_OBJECT bytes of its
# limit; past that many, they are joined into one bytearray. The objects are
# counted only each time the size grows by 1/CHECK_SHARE of the limit (each
# adds a byte at least, so no more than that many come in between), so the
# hot path still compares the size it has with one number. However small
# the reads or lines (a line arriving a byte or two per read would hold 40
# bytes of objects per byte), what is held stays under twice the limit:
# the bytes, a bytearray's spare eighth, and at most 3/256 of the limit in
# objects of some 50 bytes.
BYTES_PER_OBJECT = 256
CHECK_SHARE = 128

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class LineConsumer(Protocol[T_co]):
    """What a :class:`LineSplitter` hands its lines to.

    ``feed_lines(lines)`` returns the items those lines complete. At a fault
    it returns the items before it and sets ``error``; it never raises for
    that fault (the splitter does, once it has returned those items).
    ``end(line)`` is told that the stream ended, with ``line`` the incomplete
    last line (``b""`` if none), and returns any items that completes.
    """

    @property
    def error(self) -> Optional[SSEError]:
        ...

    def feed_lines(self, lines: List[bytes]) -> List[T_co]:
        ...

    def end(self, line: bytes) -> List[T_co]:
        ...


class LineSplitter(Generic[T]):
    """Split an event stream's bytes into lines and hand them to ``consumer``.

    ``feed(data)`` passes the lines each read completes, without their line
    ends, to ``consumer.feed_lines`` in one call, and returns what that
    returns; a read that completes no line returns ``[]``. ``close()`` marks
    the end of the stream and passes the incomplete last line to
    ``consumer.end``.

    A line longer than ``max_line_size`` bytes (``None``: no bound) raises
    :class:`LimitExceeded` at the read that passes the bound, and the line is
    dropped. A fault found by the splitter or its consumer loses nothing: the
    call returns the items completed before it, and the next call raises.
    Once failed, every call raises the same error, which ``error`` holds.
    """

    def __init__(self, consumer: LineConsumer[T], *, max_line_size: Optional[int] = DEFAULT_MAX_LINE_SIZE) -> None:
        self._consumer = consumer
        self._feed_lines = consumer.feed_lines
        self._max_line_size = max_line_size
        # The bound as an int, one comparison per read: no line in memory
        # can pass sys.maxsize.
        self._line_limit = sys.maxsize if max_line_size is None else max_line_size
        self._max_pieces = self._line_limit // BYTES_PER_OBJECT
        # The incomplete line's size at which its pieces are next counted
        # (or it fails): see CHECK_SHARE.
        self._check_interval = max(1, self._line_limit // CHECK_SHARE)
        self._check_at = self._check_interval
        # The incomplete last line, as the pieces the reads brought, joined
        # once when the line ends (a long line in many reads costs linear
        # time), and their total size.
        self._pieces: List[Union[bytes, bytearray]] = []
        self._pending_size = 0
        # Bytes at the very start of the stream, held while they may still
        # turn out to be a BOM split across reads; None once decided.
        self._head: Optional[bytes] = b""
        self._bom = False
        self._error: Optional[SSEError] = None
        self._closed = False
        # False when feed() must call _start() first: at the start of the
        # stream, after a read that ended in CR, after an error or close().
        self._plain = False

    @property
    def max_line_size(self) -> Optional[int]:
        """The longest line accepted, in bytes without its line end; ``None``: no bound."""
        return self._max_line_size

    @property
    def pending_size(self) -> int:
        """How many bytes of the incomplete last line are held (never more than ``max_line_size``)."""
        return len(self._head or b"") + self._pending_size

    @property
    def bom(self) -> bool:
        """True if the stream began with a byte order mark (which was stripped)."""
        return self._bom

    @property
    def error(self) -> Optional[SSEError]:
        """The fault that stopped the stream, or ``None``; every later call raises it."""
        # A fault the consumer found came first in the stream: it saw only
        # lines before any line the splitter found too long.
        error = self._consumer.error
        return self._error if error is None else error

    def feed(self, data: bytes) -> List[T]:
        """Split the next slice of the stream; return what the consumer makes of the lines it completes.

        An empty list means more bytes are needed.
        """
        if not self._plain:
            data = self._start(data)
        # Lines are split on bytes, before any decoding, so only CRLF, LF and
        # a lone CR end them (never U+2028, U+0085 or the other breaks
        # str.splitlines knows). Int needles: ``b"\n" in data`` first tries
        # b"\n" as an int, and raising and clearing that TypeError makes it
        # ten times slower.
        if 0x0D in data:
            # bytes.splitlines() ends lines at CRLF, LF and CR, nothing else,
            # in one pass. It drops the end of the last line, so whether that
            # line is complete is read off data.
            lines = data.splitlines()
            last = data[-1]
            if last == 0x0D:
                self._plain = False  # an LF next is part of this line end
            tail = b"" if last == 0x0D or last == 0x0A else lines.pop()
        elif 0x0A in data:
            lines = data.split(b"\n")
            tail = lines.pop()
        else:
            # No line end (most small reads, every read of a long line): the
            # piece waits for the rest of its line. An empty read adds an
            # empty piece, which costs less than testing for it.
            size = self._pending_size + len(data)
            self._pieces.append(data)
            self._pending_size = size
            if size > self._check_at:
                self._check_pieces()
            return []
        longest_possible = self._pending_size + len(data)
        if self._pieces:
            self._pieces.append(lines[0])
            lines[0] = b"".join(self._pieces)
            # No local name for the old list: it must go now, not after the
            # lines are interpreted (a long line would be held twice).
            self._pieces = [tail] if tail else []
            self._check_at = self._check_interval
        elif tail:
            self._pieces.append(tail)
        self._pending_size = len(tail)
        if longest_possible > self._line_limit:
            lines = self._cut_long_line(lines)
            return self._after_fault(self._feed_lines(lines))
        items = self._feed_lines(lines)
        if self._consumer.error is None:
            return items
        return self._after_fault(items)

    def close(self) -> List[T]:
        """Mark the end of the stream; return what the consumer makes of it.

        The incomplete last line, if any, goes to ``consumer.end``. Calling
        it again returns ``[]``; ``feed()`` after it is a
        :class:`LocalProtocolError`.
        """
        error = self.error
        if error is not None:
            raise error
        if self._closed:
            return []
        self._closed = True
        self._plain = False
        line = self._head or b"".join(self._pieces)
        self._pieces = []
        self._pending_size = 0
        items = self._consumer.end(line)
        if self._consumer.error is None:
            return items
        return self._after_fault(items)

    def _start(self, data: bytes) -> bytes:
        """Check that feed() may go on; return ``data`` as it is to be split.

        That is without a BOM at the start of the stream (held back while the
        reads so far could be the start of one), and without an LF that ends
        the CRLF begun by a CR at the end of the last read.
        """
        # Not the error property, a Python call: this runs after every read
        # that ends in CR. _after_fault() copies a consumer's fault here.
        if self._error is not None:
            raise self._error
        if self._closed:
            raise LocalProtocolError("feed() called after close()")
        if self._head is None:  # not the start: a CR ended the last read
            if not data:
                return data
            self._plain = True
            return data[1:] if data[0] == 0x0A else data
        head = self._head + data
        if len(head) < len(BOM) and BOM.startswith(head):
            self._head = head
            return b""
        self._head = None
        self._plain = True
        if head.startswith(BOM):
            self._bom = True
            return head[len(BOM):]
        return head

    def _cut_long_line(self, lines: List[bytes]) -> List[bytes]:
        """Return the lines before the first one past ``max_line_size``.

        The incomplete last line, in pieces, comes after ``lines``. When one
        is too long, fail with it.
        """
        limit = self._line_limit
        for index, line in enumerate(lines):
            if len(line) > limit:
                self._fail(LimitExceeded("max_line_size", limit, len(line)))
                return lines[:index]
        if self.pending_size > limit:
            self._fail(LimitExceeded("max_line_size", limit, self.pending_size))
        return lines

    def _check_pieces(self) -> None:
        """Fail with a line past ``max_line_size``, or join a line's too many pieces into one."""
        size = self._pending_size
        if size > self._line_limit:
            error = LimitExceeded("max_line_size", self._line_limit, size)
            self._fail(error)
            raise error
        if len(self._pieces) > self._max_pieces:
            self._pieces = [join_into_bytearray(self._pieces)]
        check_at = size + self._check_interval
        self._check_at = check_at if check_at < self._line_limit else self._line_limit

    def _fail(self, error: SSEError) -> None:
        self._error = error
        self._plain = False
        # The over-long line is dropped; the memory goes with it.
        self._pieces = []
        self._pending_size = 0

    def _after_fault(self, items: List[T]) -> List[T]:
        """Return the items completed before a fault, or raise it if there are none."""
        error = self.error
        if error is None:
            return items
        self._error = error
        self._plain = False
        if not items:
            raise error
        return items


def join_into_bytearray(pieces: List[Any], separator: bytes = b"") -> bytearray:
    """The pieces joined by ``separator`` into one bytearray, releasing each from the list once copied.

    A first piece that is a bytearray already is extended in place, so
    joining again as the pieces grow stays linear; letting each piece go as
    it is copied holds the bytes about once while they are joined, not twice
    (this runs only when many pieces press on a limit, so a Python step per
    piece is cheap enough).
    """
    first = pieces[0]
    result = first if type(first) is bytearray else bytearray(first)
    pieces[0] = None
    for index in range(1, len(pieces)):
        result += separator
        result += pieces[index]
        pieces[index] = None
    return result
