"""SSEDecoder: the WHATWG "Parsing" and "Interpreting an event stream" algorithms, sans-IO.

Two layers: ``_lines.LineSplitter`` turns bytes into lines, and
:class:`EventInterpreter`, here, turns lines into events. ``SSEDecoder`` is
the splitter feeding the interpreter.
"""

import sys
from typing import List, Optional, Union

from ._lines import BYTES_PER_OBJECT, CHECK_SHARE, DEFAULT_MAX_LINE_SIZE, LineSplitter, join_into_bytearray
from .errors import LimitExceeded, SSEError
from .events import Comment, Event

__all__ = ["SSEDecoder", "EventInterpreter", "DEFAULT_MAX_LINE_SIZE", "DEFAULT_MAX_EVENT_SIZE", "MAX_RETRY"]

# As DEFAULT_MAX_LINE_SIZE (in _lines.py): well above the few MiB of the
# largest legitimate events, well below what hurts a process.
DEFAULT_MAX_EVENT_SIZE = 64 * 1024 * 1024

# The largest retry honoured: 18 digits always fit a signed 64-bit integer,
# and a longer value is ignored without converting it (a 10,000-digit retry
# must cost nothing). The encoder refuses what this would ignore.
MAX_RETRY_DIGITS = 18
MAX_RETRY = 10**MAX_RETRY_DIGITS - 1

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


class EventInterpreter:
    """Lines to events: the WHATWG "Interpreting an event stream" algorithm.

    The decoder's second layer. ``feed_lines(lines)`` takes the stream's
    lines in order, without their line ends (as a ``LineSplitter`` makes
    them), and returns the events and comments they complete; ``end(line)``
    is told that the stream ended, with ``line`` its incomplete last line.
    The keyword arguments and the attributes ``last_event_id`` and ``retry``
    are those of :class:`SSEDecoder`.

    Data passing ``max_event_size`` drops the event and sets ``error`` to the
    :class:`LimitExceeded`: that call returns the items before it, and
    ``end()`` raises it. ``error`` is a plain attribute, for speed: read it,
    never set it.
    """

    def __init__(
        self,
        *,
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
        self.error: Optional[SSEError] = None
        # The event being built: its data values, and their size as the
        # spec counts it (each value plus one line feed).
        self._data: List[Union[bytes, bytearray, memoryview]] = []
        self._data_size = 0
        self._event_type = ""
        self._id_buffer = last_event_id
        self._event_retry: Optional[int] = None

    @property
    def max_event_size(self) -> Optional[int]:
        return self._max_event_size

    @max_event_size.setter
    def max_event_size(self, value: Optional[int]) -> None:
        self._max_event_size = value
        # The bound as an int, one comparison per data line: nothing in
        # memory can pass sys.maxsize.
        self._budget = sys.maxsize if value is None else value
        self._max_values = self._budget // BYTES_PER_OBJECT
        # Past this data size, each data line also checks the limit and
        # counts the values held (see CHECK_SHARE in _lines.py): an event this
        # small cannot hold too many objects, nor pass the limit.
        self._check_above = self._budget // CHECK_SHARE

    @property
    def data_size(self) -> int:
        """The size of the event's data so far, as ``max_event_size`` counts it: each value plus one line feed."""
        return self._data_size

    @property
    def unterminated(self) -> bool:
        """True while data lines, or an event type, id or retry, wait for a blank line."""
        return bool(
            self._data or self._event_type or self._event_retry is not None or self._id_buffer != self.last_event_id
        )

    def end(self, line: bytes) -> List[Union[Event, Comment]]:
        """The stream ended, with ``line`` (``b""`` if none) its incomplete last line.

        Returns the event left open when ``dispatch_unterminated`` is set;
        else drops it, as the spec does, and returns ``[]``.
        """
        if self.error is not None:
            raise self.error
        if self.dispatch_unterminated:
            return self.feed_lines([line, b""] if line else [b""])
        self._data = []
        self._data_size = 0
        self._event_type = ""
        self._event_retry = None
        self._id_buffer = self.last_event_id
        return []

    def feed_lines(self, lines: List[bytes]) -> List[Union[Event, Comment]]:
        """Interpret ``lines``; return the events and comments they complete.

        Not to be called once ``error`` is set (a ``LineSplitter`` raises it
        instead).
        """
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
        check_above = self._check_above
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
                    else:
                        text = _large_text(data)
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
                if 0 not in line:  # an int needle is faster, see LineSplitter.feed()
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
                        if 0 not in value:  # an int needle is faster, see LineSplitter.feed()
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
            if data_size > check_above:
                if data_size > self._budget:
                    self.error = LimitExceeded("max_event_size", self._budget, data_size)
                    data = []
                    data_size = 0
                    break
                if len(data) > self._max_values:  # too many objects for the bound: see _lines.py
                    data = [join_into_bytearray(data, b"\n")]
        self._data = data
        self._data_size = data_size
        self._event_type = event_type
        self._event_retry = event_retry
        self._id_buffer = id_buffer
        self.last_event_id = last_event_id
        return output


def _large_text(values: List[Union[bytes, bytearray, memoryview]]) -> str:
    """The data of an event of ``_VIEW_SIZE`` bytes or more, decoded after one copy at most.

    A lone value (often a view of its line) is decoded in place; values
    already joined into a bytearray take the rest on, in place.
    """
    first = values[0]
    if len(values) > 1:
        first = join_into_bytearray(values, b"\n") if type(first) is bytearray else b"\n".join(values)
    return str(first, "utf-8", "replace")


class SSEDecoder(LineSplitter[Union[Event, Comment]]):
    """Incremental parser of a ``text/event-stream`` body.

    Feed it the body bytes in slices of any size; it returns the events each
    slice completes, exactly as a browser's ``EventSource`` would dispatch
    them. It never touches a socket.

    Keyword arguments:

    - ``max_line_size``: longest line, in bytes, without its line end.
    - ``max_event_size``: largest data buffer of one event, counted as the
      spec builds it (each ``data`` value plus one line feed). What the
      decoder holds for it, per-line object overhead included, stays under
      twice this bound (see ``BYTES_PER_OBJECT`` in ``_lines.py``).
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
    decoder raises the same error on every call; ``error`` holds it, so a
    caller sees a fault found after the events it got without calling again.

    ``last_event_id`` is the stream's last event ID string (set at each blank
    line, as the spec says); ``retry`` is the reconnection time in
    milliseconds from the latest valid ``retry`` field, ``None`` until one.
    ``pending_size`` and ``data_size`` say what it holds: the bytes of the
    incomplete last line, and the event's data as ``max_event_size`` counts it.

    It is the two layers of the parser in one object: a ``LineSplitter``
    (``feed``, ``close``, ``error``, ``pending_size``) handing each read's
    lines to an :class:`EventInterpreter` in one call. It extends the
    splitter rather than wrapping it because a method of its own around
    ``feed`` would cost a Python call per read, a tenth of the time of a
    read of a few bytes.
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
        self._events = EventInterpreter(
            max_event_size=max_event_size,
            comments=comments,
            dispatch_unterminated=dispatch_unterminated,
            last_event_id=last_event_id,
        )
        super().__init__(self._events, max_line_size=max_line_size)

    @property
    def last_event_id(self) -> str:
        return self._events.last_event_id

    @last_event_id.setter
    def last_event_id(self, value: str) -> None:
        self._events.last_event_id = value

    @property
    def retry(self) -> Optional[int]:
        return self._events.retry

    @retry.setter
    def retry(self, value: Optional[int]) -> None:
        self._events.retry = value

    @property
    def max_event_size(self) -> Optional[int]:
        return self._events.max_event_size

    @max_event_size.setter
    def max_event_size(self, value: Optional[int]) -> None:
        self._events.max_event_size = value

    @property
    def comments(self) -> bool:
        return self._events.comments

    @comments.setter
    def comments(self, value: bool) -> None:
        self._events.comments = value

    @property
    def dispatch_unterminated(self) -> bool:
        return self._events.dispatch_unterminated

    @dispatch_unterminated.setter
    def dispatch_unterminated(self, value: bool) -> None:
        self._events.dispatch_unterminated = value

    @property
    def data_size(self) -> int:
        """The size of the event's data so far, as ``max_event_size`` counts it (never more)."""
        return self._events.data_size

    @property
    def unterminated(self) -> bool:
        """True while the stream is inside an unfinished event.

        That is: part of a line, data lines, or an event type, id or retry
        held for a blank line that has not come. ``close()`` now would drop
        them, so an adapter whose connection ends here reports truncation.
        """
        return bool(self.pending_size) or self._events.unterminated
