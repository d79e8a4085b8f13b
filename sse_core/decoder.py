"""SSEDecoder: the WHATWG "Parsing" and "Interpreting an event stream" algorithms, sans-IO."""

import sys
from typing import List, Optional, Union

from .errors import LimitExceeded, LocalProtocolError, SSEError
from .events import Comment, Event

__all__ = ["SSEDecoder", "DEFAULT_MAX_LINE_SIZE", "DEFAULT_MAX_EVENT_SIZE", "MAX_RETRY"]

# LLM streams send events of a few hundred bytes; the largest legitimate ones
# carry a base64 image or a long tool call in one data line, a few MiB. These
# bounds sit well above that and still stop a runaway stream long before it
# hurts a process.
DEFAULT_MAX_LINE_SIZE = 16 * 1024 * 1024
DEFAULT_MAX_EVENT_SIZE = 64 * 1024 * 1024

# The largest retry honoured: 18 digits always fit a signed 64-bit integer,
# and a longer value is ignored without converting it (a 10,000-digit retry
# must cost nothing). The encoder refuses what this would ignore.
MAX_RETRY_DIGITS = 18
MAX_RETRY = 10**MAX_RETRY_DIGITS - 1

_BOM = b"\xef\xbb\xbf"

# A data line at least this long has its value viewed, not copied, and
# decoded straight from that view when it is the event's only line: a
# multi-MiB line is then copied twice (the join of its reads and the
# decode), not three times, which keeps the peak at twice the line and
# spares the process the page faults of a third fresh buffer.
_VIEW_SIZE = 1 << 16

# Event(...) runs NamedTuple's generated __new__, a Python-level call that
# fills in defaults; every field is known at dispatch, so build the tuple
# directly: a third of the cost, once per event.
_new_event = tuple.__new__


class SSEDecoder:
    """Incremental parser of a ``text/event-stream`` body.

    Feed it the body bytes in slices of any size; it returns the events each
    slice completes, exactly as a browser's ``EventSource`` would dispatch
    them. It never touches a socket.

    Keyword arguments:

    - ``max_line_size``: longest line, in bytes, without its line end.
    - ``max_event_size``: largest data buffer of one event, counted as the
      spec builds it (each ``data`` value plus one line feed).
    - ``comments``: also return a :class:`Comment` for each comment line
      (servers send them as heartbeats). Off by default.
    - ``dispatch_unterminated``: at ``close()``, dispatch an event whose
      closing blank line never came, as if it had. The spec discards it, and
      so does the default.
    - ``last_event_id``: where the ID starts, for a stream resumed after a
      reconnect (a browser keeps it across connections).

    Either limit may be ``None`` to disable it. Passing one raises
    :class:`LimitExceeded`. Nothing is lost: a call that completed events
    before the fault returns them, and the next call raises. Once failed, the
    decoder raises the same error on every call.

    ``last_event_id`` is the stream's last event ID string (set at each blank
    line, as the spec says); ``retry`` is the reconnection time in
    milliseconds from the latest valid ``retry`` field, ``None`` until one.
    """

    def __init__(
        self,
        *,
        max_line_size: Optional[int] = DEFAULT_MAX_LINE_SIZE,
        max_event_size: Optional[int] = DEFAULT_MAX_EVENT_SIZE,
        comments: bool = False,
        dispatch_unterminated: bool = False,
        last_event_id: str = "",
    ) -> None:
        self.max_event_size = max_event_size
        self.comments = comments
        self.dispatch_unterminated = dispatch_unterminated
        self.last_event_id = last_event_id
        self.retry: Optional[int] = None
        # The bound as an int, one comparison per read: no line in memory
        # can pass sys.maxsize.
        self._line_limit = sys.maxsize if max_line_size is None else max_line_size
        # The incomplete last line, as the pieces the reads brought, and
        # their total size.
        self._pieces: List[bytes] = []
        self._pending_size = 0
        # Bytes at the very start of the stream, held while they may still
        # turn out to be a BOM split across reads; None once decided.
        self._head: Optional[bytes] = b""
        self._data: List[bytes] = []
        self._data_size = 0
        self._event_type = ""
        self._id_buffer = last_event_id
        self._event_retry: Optional[int] = None
        self._error: Optional[SSEError] = None
        self._closed = False
        # False when feed() must call _start() first: at the start of the
        # stream, after a read that ended in CR, after an error or close().
        self._plain = False

    @property
    def unterminated(self) -> bool:
        """True while the stream is inside an unfinished event.

        That is: part of a line, data lines, or an event type, id or retry
        held for a blank line that has not come. ``close()`` now would drop
        them, so an adapter whose connection ends here reports truncation.
        """
        return bool(
            self._pending_size
            or self._head
            or self._data
            or self._event_type
            or self._event_retry is not None
            or self._id_buffer != self.last_event_id
        )

    def feed(self, data: bytes) -> List[Union[Event, Comment]]:
        """Parse the next slice of the stream; return the events it completes.

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
            # piece waits, and the pieces of a line are joined once, when it
            # ends, so a long line in many reads costs linear time.
            if data:
                size = self._pending_size + len(data)
                self._pieces.append(data)
                self._pending_size = size
                if size > self._line_limit:
                    return self._interpret(self._cut_long_line([]))
            return []
        longest_possible = self._pending_size + len(data)
        if self._pieces:
            self._pieces.append(lines[0])
            lines[0] = b"".join(self._pieces)
            self._pieces = [tail] if tail else []
        elif tail:
            self._pieces.append(tail)
        self._pending_size = len(tail)
        if longest_possible > self._line_limit:
            lines = self._cut_long_line(lines)
        return self._interpret(lines)

    def close(self) -> List[Union[Event, Comment]]:
        """Mark the end of the stream.

        Returns the unterminated event when ``dispatch_unterminated`` is set,
        else ``[]`` (the spec discards it). Calling it again returns ``[]``.
        """
        if self._error is not None:
            raise self._error
        if self._closed:
            return []
        self._closed = True
        self._plain = False
        if not self.dispatch_unterminated:
            return []
        line = self._pending_line()
        self._pieces = []
        self._pending_size = 0
        return self._interpret([line, b""] if line else [b""])

    def _pending_line(self) -> bytes:
        """The incomplete last line: its pieces, or the start of a stream too short to tell a BOM."""
        return self._head or b"".join(self._pieces)

    def _start(self, data: bytes) -> bytes:
        """Check that feed() may go on; return ``data`` as it is to be split.

        That is without a BOM at the start of the stream (held back while the
        reads so far could be the start of one), and without an LF that ends
        the CRLF begun by a CR at the end of the last read.
        """
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
        if len(head) < len(_BOM) and _BOM.startswith(head):
            self._head = head
            return b""
        self._head = None
        self._plain = True
        return head[len(_BOM):] if head.startswith(_BOM) else head

    def _cut_long_line(self, lines: List[bytes]) -> List[bytes]:
        """Return the lines before the first one past ``max_line_size``.

        The incomplete last line comes after ``lines``. When one is too
        long, set the error and drop the incomplete line.
        """
        limit = self._line_limit
        for index, line in enumerate(lines):
            if len(line) > limit:
                size = len(line)
                lines = lines[:index]
                break
        else:
            if self._pending_size <= limit:
                return lines
            size = self._pending_size
        self._error = LimitExceeded("max_line_size", limit, size)
        self._pieces = []
        self._pending_size = 0
        return lines

    def _interpret(self, lines: List[bytes]) -> List[Union[Event, Comment]]:
        output: List[Union[Event, Comment]] = []
        # The event being built lives in locals while the lines are walked,
        # so that a blank line or a comment (most lines of a heartbeat
        # stream) costs a test or two; every path out of the loop stores
        # them back.
        data = self._data
        data_size = self._data_size
        event_type = self._event_type
        event_retry = self._event_retry
        id_buffer = self._id_buffer
        last_event_id = self.last_event_id
        comments = self.comments
        limit = self.max_event_size
        for line in lines:
            if not line:
                # Dispatch (inlined: it runs once per event).
                last_event_id = id_buffer
                if data:
                    if data_size < _VIEW_SIZE:
                        joined = b"\n".join(data)
                        try:  # strict is a fifth faster than "replace"
                            text = joined.decode()
                        except UnicodeDecodeError:
                            text = joined.decode("utf-8", "replace")
                    else:  # a lone viewed value is decoded without a copy first
                        text = str(data[0] if len(data) == 1 else b"\n".join(data), "utf-8", "replace")
                    fields = (text, event_type or "message", last_event_id, event_retry)
                    output.append(_new_event(Event, fields))
                    data = []
                    data_size = 0
                event_type = ""
                event_retry = None
                continue
            # The first byte picks the one prefix worth testing: comparing
            # ints is cheaper than a startswith() that fails.
            first = line[0]
            if first == 0x3A:  # ":", a comment, e.g. a heartbeat
                if comments:
                    value = line[2:] if line[1:2] == b" " else line[1:]
                    output.append(Comment(value.decode("utf-8", "replace")))
                continue
            if first == 0x64 and line.startswith(b"data: "):
                # The usual line, split without find() and two slices.
                value = line[6:] if len(line) < _VIEW_SIZE else memoryview(line)[6:]
            elif first == 0x69 and line.startswith(b"id: "):
                # The next most common lines, split the same way.
                if 0 not in line:  # an int needle is faster, see feed()
                    id_buffer = line[4:].decode("utf-8", "replace")
                continue
            elif first == 0x65 and line.startswith(b"event: "):
                event_type = line[7:].decode("utf-8", "replace")
                continue
            else:
                # One call for name and value. Its copy of the value is
                # made twice only for a field other than "data: " with a
                # space: short, in any stream a server means.
                name, _, value = line.partition(b":")
                if value[:1] == b" ":
                    value = value[1:]
                if name != b"data":
                    if name == b"event":
                        event_type = value.decode("utf-8", "replace")
                    elif name == b"id":
                        if 0 not in value:  # an int needle is faster, see feed()
                            id_buffer = value.decode("utf-8", "replace")
                    elif name == b"retry":
                        # bytes.isdigit() is true for ASCII digits only.
                        significant = value.lstrip(b"0")
                        if value.isdigit() and len(significant) <= MAX_RETRY_DIGITS:
                            # Not int(value): thousands of leading zeros would
                            # pass CPython's limit on digits converted.
                            self.retry = event_retry = int(significant or b"0")
                    continue
            data.append(value)
            data_size += len(value) + 1
            if limit is not None and data_size > limit:
                self._error = LimitExceeded("max_event_size", limit, data_size)
                data = []
                data_size = 0
                break
        self._data = data
        self._data_size = data_size
        self._event_type = event_type
        self._event_retry = event_retry
        self._id_buffer = id_buffer
        self.last_event_id = last_event_id
        if self._error is not None:
            self._plain = False
            if not output:
                raise self._error
        return output
