"""What the SSE decoder produces."""

from typing import NamedTuple, Optional

__all__ = ["Event", "Comment"]


class Event(NamedTuple):
    """One dispatched event, immutable.

    ``data`` is the data buffer without its final line feed; ``event`` is the
    type (``"message"`` when the stream named none); ``id`` is the last event
    ID at dispatch, as a browser's ``lastEventId``: it persists across events
    until the stream changes it, and is ``""`` when never set; ``retry`` is the
    valid ``retry`` field seen while this event was built, if any.
    """

    data: str = ""
    event: str = "message"
    id: str = ""
    retry: Optional[int] = None


class Comment(NamedTuple):
    """A comment line (``: text``), surfaced only when the decoder is asked.

    ``text`` follows the colon, with one leading space removed as for fields.
    Servers send comments as heartbeats.
    """

    text: str
