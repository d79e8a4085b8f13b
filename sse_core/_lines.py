"""The one line splitter: bytes in, complete lines out, CR / LF / CRLF alike."""

import sys
from typing import List, Optional

from .errors import LimitExceeded

__all__ = ["LineSplitter"]


class LineSplitter:
    """Split a byte stream into lines ended by CRLF, LF or a lone CR.

    Splitting happens on bytes, before any decoding, so only these three are
    line ends (never U+2028, U+0085 or the other breaks ``str.splitlines``
    knows). A CR at the end of one read followed by an LF at the start of
    the next is one line end.

    The incomplete last line is kept as a list of pieces and joined once when
    its end arrives, so a long line fed in many small reads costs time linear
    in its length.
    """

    def __init__(self, max_line_size: Optional[int]) -> None:
        self.max_line_size = max_line_size
        # The bound as an int, one comparison per read: no line in memory
        # can pass sys.maxsize.
        self._limit = sys.maxsize if max_line_size is None else max_line_size
        self.error: Optional[LimitExceeded] = None
        self._pieces: List[bytes] = []
        self._pending_size = 0
        # True when the last byte seen was a CR: an LF arriving next belongs
        # to that CR and ends no second line.
        self._after_cr = False

    @property
    def pending_size(self) -> int:
        """How many bytes of an incomplete line are buffered."""
        return self._pending_size

    def feed(self, data: bytes) -> List[bytes]:
        """Return the lines completed by ``data``, without their line ends.

        When a line passes ``max_line_size``, return the lines before it and
        set ``error``; the splitter must not be fed again after that.
        """
        # SSEDecoder.feed inlines the case of a read with no CR or LF and no
        # CR before it: what changes here must change there.
        longest_possible = self._pending_size + len(data)
        if self._after_cr and data:
            self._after_cr = False
            if data[0] == 0x0A:
                data = data[1:]
        # An int needle: ``b"\r" in data`` first tries b"\r" as an int,
        # and raising and clearing that TypeError makes it ten times slower.
        if 0x0D in data:
            # bytes.splitlines() ends lines at CRLF, LF and CR, nothing else,
            # in one pass: four times faster than replacing CRLF first (a
            # two-byte search) and splitting. It drops the end of the last
            # line, so whether that line is complete is read off data.
            lines = data.splitlines()
            last = data[-1]
            self._after_cr = last == 0x0D
            tail = b"" if last == 0x0D or last == 0x0A else lines.pop()
        else:
            lines = data.split(b"\n")
            tail = lines.pop()
        if lines and self._pieces:
            self._pieces.append(lines[0])
            lines[0] = b"".join(self._pieces)
            self._pieces = []
            self._pending_size = 0
        if tail:
            self._pieces.append(tail)
            self._pending_size += len(tail)
        if longest_possible > self._limit:
            return self._enforce(self._limit, lines)
        return lines

    def pop_pending(self) -> bytes:
        """Remove and return the incomplete last line (at end of stream)."""
        line = b"".join(self._pieces)
        self._pieces = []
        self._pending_size = 0
        return line

    def _enforce(self, limit: int, lines: List[bytes]) -> List[bytes]:
        for index, line in enumerate(lines):
            if len(line) > limit:
                self.error = LimitExceeded("max_line_size", limit, len(line))
                self.pop_pending()
                return lines[:index]
        if self._pending_size > limit:
            self.error = LimitExceeded("max_line_size", limit, self._pending_size)
            self.pop_pending()
        return lines
