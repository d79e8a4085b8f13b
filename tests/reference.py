"""A slow, literal transcription of the WHATWG event-stream algorithm.

Tests use it as an oracle for ``sse_core.SSEDecoder``.  It favours being
obviously right over being fast: it decodes the whole stream first, walks it
one character at a time, and follows the spec's steps in the spec's order.
Quotations are from the HTML Living Standard, "9.2.5 Parsing an event stream"
and "9.2.6 Interpreting an event stream".

Two things are project decisions rather than spec text, and are marked so:
the per-event ``retry`` value, and ignoring a ``retry`` of more than 18
significant digits.
"""

from typing import List, Optional, Tuple

from sse_core.events import Event

__all__ = ["reference_decode"]

_UTF8_BOM = b"\xef\xbb\xbf"
_ASCII_DIGITS = "0123456789"
# Project decision: 18 significant digits always fit in a signed 64-bit int.
_MAX_RETRY_DIGITS = 18


def reference_decode(
    stream: bytes, *, dispatch_unterminated: bool = False
) -> Tuple[List[Event], str, Optional[int]]:
    """Decode a whole event stream.

    Returns the dispatched events, the final last event ID string and the
    final reconnection time (``None`` if the stream never set one).  With
    ``dispatch_unterminated``, the end of the stream acts as a line end
    followed by a blank line, instead of discarding the pending event.
    """
    # 9.2.6: "Streams must be decoded using the UTF-8 decode algorithm."
    # That algorithm "strips one leading UTF-8 Byte Order Mark (BOM), if any",
    # and emits U+FFFD for each maximal invalid subsequence, as Python does.
    if stream.startswith(_UTF8_BOM):
        stream = stream[len(_UTF8_BOM):]
    text = stream.decode("utf-8", "replace")

    lines, partial = _split_lines(text)
    state = _State()
    # 9.2.6: "Lines must be processed, in the order they are received".
    for line in lines:
        state.process_line(line)
    # 9.2.6: "Once the end of the file is reached, any pending data must be
    # discarded."  The project option instead finishes the last line and
    # dispatches, as if the stream had ended with a blank line.
    if dispatch_unterminated:
        if partial:
            state.process_line(partial)
        state.dispatch()
    return state.events, state.last_event_id, state.reconnection_time


def _split_lines(text: str) -> Tuple[List[str], str]:
    """Split at each end-of-line; return the complete lines and the rest.

    9.2.6: a line ends with "a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF)
    character pair, a single U+000A LINE FEED (LF) character not preceded by
    a U+000D CARRIAGE RETURN (CR) character, and a single U+000D CARRIAGE
    RETURN (CR) character not followed by a U+000A LINE FEED (LF) character".
    Nothing else ends a line (str.splitlines would also split on U+2028,
    U+0085, VT, FF and more).
    """
    lines = []  # type: List[str]
    current = []  # type: List[str]
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\r":
            lines.append("".join(current))
            current = []
            # ABNF "cr lf": a CR directly followed by LF is one line end.
            if i + 1 < len(text) and text[i + 1] == "\n":
                i += 1
        elif char == "\n":
            lines.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    return lines, "".join(current)


def _is_valid_retry(value: str) -> bool:
    # 9.2.6 "retry": "If the field value consists of only ASCII digits".
    # An empty value consists of no digits at all, so it is not a number.
    if not value or any(char not in _ASCII_DIGITS for char in value):
        return False
    # Project decision: more than 18 significant digits is ignored.
    return len(value.lstrip("0")) <= _MAX_RETRY_DIGITS


class _State:
    def __init__(self) -> None:
        # 9.2.6: "a data buffer, an event type buffer, and a last event ID
        # buffer ... must be initialized to the empty string."
        self.data_buffer = ""
        self.event_type_buffer = ""
        self.last_event_id_buffer = ""
        # The event source's "last event ID string" and "reconnection time".
        self.last_event_id = ""
        self.reconnection_time = None  # type: Optional[int]
        # Project decision: a valid retry seen since the last blank line.
        self.block_retry = None  # type: Optional[int]
        self.events = []  # type: List[Event]

    def process_line(self, line: str) -> None:
        # "If the line is empty (a blank line)": "Dispatch the event".
        if line == "":
            self.dispatch()
        # "If the line starts with a U+003A COLON character (:)":
        # "Ignore the line."
        elif line.startswith(":"):
            pass
        # "If the line contains a U+003A COLON character (:)": field is the
        # text before the first colon, value the text after it; "If value
        # starts with a U+0020 SPACE character, remove it from value."
        elif ":" in line:
            field, value = line.split(":", 1)
            if value.startswith(" "):
                value = value[1:]
            self.process_field(field, value)
        # "Otherwise": "using the whole line as the field name, and the empty
        # string as the field value."
        else:
            self.process_field(line, "")

    def process_field(self, field: str, value: str) -> None:
        # "Field names must be compared literally, with no case folding".
        if field == "event":
            # "Set the event type buffer to the field value."
            self.event_type_buffer = value
        elif field == "data":
            # "Append the field value to the data buffer, then append a
            # single U+000A LINE FEED (LF) character to the data buffer."
            self.data_buffer += value + "\n"
        elif field == "id":
            # "If the field value does not contain U+0000 NULL, then set the
            # last event ID buffer to the field value. Otherwise, ignore".
            if "\x00" not in value:
                self.last_event_id_buffer = value
        elif field == "retry":
            # "interpret the field value as an integer in base ten, and set
            # the event stream's reconnection time to that integer."
            if _is_valid_retry(value):
                self.reconnection_time = int(value, 10)
                self.block_retry = self.reconnection_time
        # "Otherwise": "The field is ignored."

    def dispatch(self) -> None:
        # Project decision: the per-event retry belongs to this block only,
        # whether or not an event is dispatched.
        retry, self.block_retry = self.block_retry, None
        # Step 1: "Set the last event ID string of the event source to the
        # value of the last event ID buffer."  The buffer is not reset.
        self.last_event_id = self.last_event_id_buffer
        # Step 2: "If the data buffer is an empty string, set the data buffer
        # and the event type buffer to the empty string and return."
        if self.data_buffer == "":
            self.event_type_buffer = ""
            return
        # Step 3: "If the data buffer's last character is a U+000A LINE FEED
        # (LF) character, then remove the last character".
        data = self.data_buffer
        if data.endswith("\n"):
            data = data[:-1]
        # Steps 5 and 6: the type is "message" unless the event type buffer
        # holds something else; lastEventId is the last event ID string.
        event_type = self.event_type_buffer if self.event_type_buffer else "message"
        self.events.append(
            Event(data=data, event=event_type, id=self.last_event_id, retry=retry)
        )
        # Step 7: "Set the data buffer and the event type buffer to the empty
        # string."
        self.data_buffer = ""
        self.event_type_buffer = ""
