"""encode(): one SSE message as bytes, for the server side."""

from typing import List, Optional

from .decoder import MAX_RETRY
from .errors import LocalProtocolError

__all__ = ["encode"]

def encode(
    data: Optional[str] = None,
    *,
    event: Optional[str] = None,
    id: Optional[str] = None,
    retry: Optional[int] = None,
    comment: Optional[str] = None,
) -> bytes:
    """Return one message in ``text/event-stream`` form, ending in a blank line.

    ``data`` with line breaks (CRLF, CR or LF) becomes several ``data:``
    lines; a decoder gives the string back with every line break as ``\\n``,
    since the wire cannot tell them apart. Only these three are line breaks:
    U+2028, U+0085 and the like are sent as they are. A ``comment`` (e.g. a
    heartbeat) is split into comment lines the same way. ``id=""`` resets the
    client's last event ID. Leave ``data`` out to send only the other fields,
    which dispatches no event.

    Raises :class:`LocalProtocolError` (a ``ValueError``) for what the wire
    cannot carry safely: a line break in ``event`` or ``id``, a NUL in
    ``id``, a ``retry`` that is not an int from 0 to ``MAX_RETRY`` (decoders
    ignore larger ones), a lone surrogate, or a call with nothing to send.
    """
    if (
        event is None
        and id is None
        and retry is None
        and comment is None
        and type(data) is str
        and "\n" not in data
        and "\r" not in data
    ):
        # The usual message, one line of data alone: one string, one encode.
        text = f"data: {data}\n\n"
    else:
        text = _message(data, event, id, retry, comment)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise LocalProtocolError(f"cannot encode a lone surrogate as UTF-8: {exc}") from None


def _message(
    data: Optional[str], event: Optional[str], id: Optional[str], retry: Optional[int], comment: Optional[str]
) -> str:
    parts: List[str] = []
    if comment is not None:
        parts.append(_lines(": ", comment, "comment"))
    # Each field's rule tested in place; a call per field would cost more
    # than the test.
    if event is not None:
        if not isinstance(event, str) or "\n" in event or "\r" in event:
            raise _not_one_line(event, "event")
        parts.append("event: " + event + "\n")
    if id is not None:
        if not isinstance(id, str) or "\n" in id or "\r" in id or "\0" in id:
            raise _not_one_line(id, "id")
        parts.append("id: " + id + "\n")
    if retry is not None:
        if type(retry) is not int or not 0 <= retry <= MAX_RETRY:
            # A huge int is shown by its size: repr() of one of over 4300
            # digits raises (CPython 3.11+), and would flood the message.
            huge = type(retry) is int and retry.bit_length() > 64
            shown = f"an int of {retry.bit_length()} bits" if huge else repr(retry)
            raise LocalProtocolError(f"retry must be an int from 0 to {MAX_RETRY}, not {shown}")
        parts.append(f"retry: {retry}\n")
    if data is not None:
        parts.append(_lines("data: ", data, "data"))
    if not parts:
        raise LocalProtocolError("encode() needs data, event, id, retry or comment")
    parts.append("\n")
    return "".join(parts)


def _lines(prefix: str, text: str, name: str) -> str:
    """``text`` as lines that start with ``prefix``, one per line of it, each ended by LF."""
    if not isinstance(text, str):
        raise LocalProtocolError(f"{name} must be str, not {type(text).__name__}")
    # str.replace(), not a regex (\r\n|\r|\n): ten times faster, and not
    # str.splitlines(), which knows more line breaks than the wire.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return prefix + text.replace("\n", "\n" + prefix) + "\n"


def _not_one_line(text: object, name: str) -> LocalProtocolError:
    """The error for an ``event`` or ``id`` that a single field line cannot carry."""
    if not isinstance(text, str):
        return LocalProtocolError(f"{name} must be str, not {type(text).__name__}")
    if "\r" in text or "\n" in text:
        return LocalProtocolError(f"{name} must not contain a line break: {text!r}")
    return LocalProtocolError(f"{name} must not contain NUL (a client would ignore it)")
