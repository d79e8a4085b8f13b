"""Watch the de-chunked body: the events a client gets, and what the decoder hides.

The decoder's two layers, composed as in :class:`~sse_core.SSEDecoder`, give
the events and comments exactly as a client would. Between them, each line
the splitter makes is also shown to the observer, only to note at field
level what the interpreter silently ignores: unknown fields, an invalid
``retry``, an id with NUL, blocks without data, invalid UTF-8. Line endings
are counted on the bytes themselves, with a CR at the end of one read
carried to the next.

Nothing here grows with the stream: the events a read completes are
returned to the caller, not kept, and every oddity is a counter with a few
examples.
"""

from collections import Counter
from typing import Callable, Dict, List, Optional, Set, Tuple, Union

from .._lines import LineSplitter
from ..decoder import EventInterpreter
from ..errors import SSEError
from ..events import Comment, Event

__all__ = ["StreamObserver"]

_KNOWN_FIELDS = (b"event", b"id", b"retry")
_EXAMPLES = 3  # examples kept of each kind of oddity
_FIELD_NAMES = 20  # distinct unknown field names counted one by one; the rest together
_NAME_SIZE = 60  # bytes of an unknown field name shown


class _LineTap:
    """Between the decoder's layers: shows each line to ``observe``, then hands the lines on to ``interpreter``.

    At the end of the stream it keeps the incomplete last line, if any, in
    ``unterminated_line``.
    """

    def __init__(self, observe: Callable[[bytes], None], interpreter: EventInterpreter) -> None:
        self._observe = observe
        self._interpreter = interpreter
        self.unterminated_line = b""

    @property
    def error(self) -> Optional[SSEError]:
        return self._interpreter.error

    def feed_lines(self, lines: List[bytes]) -> List[Union[Event, Comment]]:
        for line in lines:
            self._observe(line)
        return self._interpreter.feed_lines(lines)

    def end(self, line: bytes) -> List[Union[Event, Comment]]:
        self.unterminated_line = line
        return self._interpreter.end(line)


class StreamObserver:
    """Feed it each read of body bytes; it counts the events and the field-level oddities."""

    def __init__(self) -> None:
        self.event_count = 0
        self.comment_count = 0
        self.line_endings: Dict[str, int] = {"CRLF": 0, "LF": 0, "CR": 0}
        self.bom = False
        self.unknown_fields: "Counter[str]" = Counter()  # the first _FIELD_NAMES names
        self.other_unknown_fields = 0  # lines with an unknown name beyond those
        self.invalid_retries: List[str] = []
        self.invalid_retry_count = 0
        self.nul_ids = 0
        # The sorted field names of each block that had no data, counted.
        self.empty_blocks: "Counter[Tuple[str, ...]]" = Counter()
        self.invalid_utf8_lines = 0
        self.invalid_utf8_examples: List[str] = []
        self.limit_error: Optional[str] = None
        # Set by close(): what the stream ended inside of, if anything.
        self.unterminated: Optional[str] = None
        self.unterminated_data = False
        self._tap = _LineTap(self._observe_line, EventInterpreter(comments=True))
        self._lines = LineSplitter(self._tap)
        self._after_cr = False
        self._block_fields: Set[str] = set()
        self._block_has_data = False

    def feed(self, data: bytes) -> List[Event]:
        """Observe one read; return the events it completed."""
        if self.limit_error is not None or not data:
            return []
        self._count_line_endings(data)
        try:
            items = self._lines.feed(data)
        except SSEError as exc:
            self.limit_error = str(exc)
            return []
        finally:
            self.bom = self._lines.bom
        if self._lines.error is not None:  # a limit passed after the returned events
            self.limit_error = str(self._lines.error)
        events = [item for item in items if isinstance(item, Event)]
        self.event_count += len(events)
        self.comment_count += len(items) - len(events)
        return events

    def close(self) -> None:
        """The stream has ended: note an event left without its closing blank line.

        Not called when the check stopped reading a stream still open.
        """
        if self._after_cr:
            self.line_endings["CR"] += 1
            self._after_cr = False
        if self.limit_error is not None:
            return
        self._lines.close()
        pending = self._tap.unterminated_line
        if pending:
            self.unterminated = f"a line without its line end: {_excerpt(pending)}"
            self.unterminated_data = True
        elif self._block_has_data or self._block_fields:
            fields = self._block_fields | ({"data"} if self._block_has_data else set())
            self.unterminated = f"a block with {', '.join(sorted(fields))} but no closing blank line"
            self.unterminated_data = self._block_has_data

    def _count_line_endings(self, data: bytes) -> None:
        counts = self.line_endings
        if self._after_cr:
            self._after_cr = False
            if data[:1] == b"\n":
                counts["CRLF"] += 1
                data = data[1:]
            else:
                counts["CR"] += 1
        if data[-1:] == b"\r":
            # Its LF, if any, is in the next read.
            self._after_cr = True
            data = data[:-1]
        crlf = data.count(b"\r\n")
        counts["CRLF"] += crlf
        counts["CR"] += data.count(b"\r") - crlf
        counts["LF"] += data.count(b"\n") - crlf

    def _observe_line(self, line: bytes) -> None:
        if not line:
            if not self._block_has_data and self._block_fields:
                self.empty_blocks[tuple(sorted(self._block_fields))] += 1
            self._block_fields = set()
            self._block_has_data = False
            return
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            self.invalid_utf8_lines += 1
            if len(self.invalid_utf8_examples) < _EXAMPLES:
                self.invalid_utf8_examples.append(_excerpt(line))
        if line[:1] == b":":
            return  # a comment
        name, colon, value = line.partition(b":")
        if colon and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._block_has_data = True
        elif name in _KNOWN_FIELDS:
            self._block_fields.add(name.decode("ascii"))
            if name == b"retry" and not value.isdigit():
                self.invalid_retry_count += 1
                if len(self.invalid_retries) < _EXAMPLES:
                    self.invalid_retries.append(_excerpt(value))
            elif name == b"id" and b"\0" in value:
                self.nul_ids += 1
        else:
            shown = name[:_NAME_SIZE].decode("utf-8", "replace") + ("..." if len(name) > _NAME_SIZE else "")
            if shown in self.unknown_fields or len(self.unknown_fields) < _FIELD_NAMES:
                self.unknown_fields[shown] += 1
            else:
                self.other_unknown_fields += 1


def _excerpt(raw: bytes, size: int = 60) -> str:
    text = repr(raw[:size])
    return text + ("..." if len(raw) > size else "")
