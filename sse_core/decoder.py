"""SSEDecoder: the WHATWG "Interpreting an event stream" algorithm, sans-IO."""

from typing import List, Optional, Union

from ._lines import LineSplitter
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
        self._lines = LineSplitter(max_line_size)
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
        # Whether feed() may take its fast path: the BOM question settled,
        # no error, not closed.
        self._ready = False

    @property
    def unterminated(self) -> bool:
        """True while the stream is inside an unfinished event.

        That is: part of a line, data lines, or an event type, id or retry
        held for a blank line that has not come. ``close()`` now would drop
        them, so an adapter whose connection ends here reports truncation.
        """
        return bool(
            self._lines.pending_size
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
        lines = self._lines
        if self._ready and data and not (0x0A in data or 0x0D in data or lines._after_cr):
            # A read that ends no line (most small reads, every read of a
            # long line) only joins the pending pieces of LineSplitter, done
            # here: a call less is a third of the time of such a read. The
            # int needles: ``b"\n" in data`` first tries b"\n" as an int,
            # and raising and clearing that TypeError costs ten times more.
            size = lines._pending_size + len(data)
            if size <= lines._limit:
                lines._pieces.append(data)
                lines._pending_size = size
                return []
        if self._error is not None:
            raise self._error
        if self._closed:
            raise LocalProtocolError("feed() called after close()")
        if self._head is not None:
            data = self._strip_bom(data)
        completed = lines.feed(data)
        if not completed and lines.error is None:
            return []  # the middle of a line
        return self._interpret(completed)

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
        self._ready = False
        if not self.dispatch_unterminated:
            return []
        lines = self._lines.feed(self._head or b"")
        lines.append(self._lines.pop_pending())
        if lines[-1]:
            lines.append(b"")
        return self._interpret(lines)

    def _strip_bom(self, data: bytes) -> bytes:
        head = self._head + data  # type: ignore[operator]
        if len(head) < len(_BOM) and _BOM.startswith(head):
            self._head = head
            return b""
        self._head = None
        self._ready = True
        return head[len(_BOM):] if head.startswith(_BOM) else head

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
            if line[0] == 0x3A:  # a comment, e.g. a heartbeat
                if comments:
                    value = line[2:] if line[1:2] == b" " else line[1:]
                    output.append(Comment(value.decode("utf-8", "replace")))
                continue
            if line.startswith(b"data: "):
                # The usual line, split without find() and two slices.
                value = line[6:] if len(line) < _VIEW_SIZE else memoryview(line)[6:]
            elif line.startswith(b"id: "):
                # The next most common lines, split the same way.
                if 0 not in line:  # an int needle is faster, see _lines
                    id_buffer = line[4:].decode("utf-8", "replace")
                continue
            elif line.startswith(b"event: "):
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
                        if 0 not in value:  # an int needle is faster, see _lines
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
        if self._error is None and self._lines.error is not None:
            self._error = self._lines.error
        if self._error is not None:
            self._ready = False
            if not output:
                raise self._error
        return output
