"""When and how an EventSource reconnects, decided without I/O.

The driver (``_eventsource``, or an asyncio twin) waits, connects and
reads; :class:`ReconnectPolicy` says how long to wait (given a random draw
for the jitter), whether to go on, and keeps the stream's last event ID
and ``retry``. :func:`attempt_request` says what the next request carries.
"""

import enum
import re
from typing import Any, List, Mapping, Optional, Tuple, Union

from ..errors import LocalProtocolError
from ._request import header_list
from ._response_policy import NO_CONTENT, EndReason

__all__ = [
    "ReconnectPolicy",
    "Verdict",
    "attempt_request",
    "ends_reconnection",
    "last_event_id_header",
    "DEFAULT_RETRY",
    "DEFAULT_MAX_BACKOFF",
    "RETRY_CEILING",
    "BACKOFF_FLOOR",
]

DEFAULT_RETRY = 3000  # milliseconds; browsers use a few seconds too
# Backoff doubles per failure in a row up to this many seconds: long enough
# to spare a struggling server, short enough to notice its recovery soon.
DEFAULT_MAX_BACKOFF = 30.0
# The longest wait a ``retry`` may ask for, in milliseconds. Any real server
# asks for seconds; a larger value (a typo, a hostile peer) would park the
# client for days, and past 9.3e12 overflows the wait itself.
RETRY_CEILING = 10 * 60 * 1000
# After two failures in a row the wait is at least this many seconds and
# doubles from there, whatever ``retry`` says: ``retry: 0`` from a server
# that fails at once would otherwise mean thousands of connections a second.
BACKOFF_FLOOR = 0.1

HeaderPairs = List[Tuple[str, str]]

_OVERRIDES = ("headers", "json", "content")
# Bytes a header value cannot carry: every control (tab too), and DEL.
_CONTROLS = re.compile(rb"[\x00-\x1f\x7f]")


class Verdict(enum.Enum):
    """What an EventSource does next."""

    RECONNECT = "reconnect"  #: wait ``delay()``, then connect again
    STOP = "stop"  #: end the iteration quietly
    RAISE = "raise"  #: end the iteration by raising the error at hand


class ReconnectPolicy:
    """The reconnection state of one iteration of an EventSource.

    The driver calls :meth:`begin_attempt` before each connection, then
    :meth:`connection_failed` if it raised OSError or RemoteProtocolError,
    or :meth:`event_received` for each event and :meth:`stream_ended` at
    the end of its stream. ``last_event_id`` and ``retry`` (milliseconds,
    within ``[0, RETRY_CEILING]``) follow the stream.
    """

    def __init__(
        self,
        *,
        retry: int = DEFAULT_RETRY,
        last_event_id: str = "",
        max_reconnects: Optional[int] = None,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
    ) -> None:
        self.retry = _clamp_retry(retry)
        self.last_event_id = last_event_id
        self.max_reconnects = max_reconnects
        self.max_backoff = max_backoff
        self.attempts = 0  # connections begun
        # Failures in a row: connection errors, and streams that ended
        # without an event.
        self.failures = 0
        self._delivered = False

    def delay(self, draw: float) -> float:
        """Seconds to wait before the next attempt (0 before the first).

        ``draw`` is uniform in [0, 1) (``random.random()``): it places the
        wait within the upper half of the backoff, so that clients a server
        dropped together do not all come back at once.
        """
        if not self.attempts:
            return 0.0
        delay = self.retry / 1000
        if self.failures > 1:
            base = max(delay, BACKOFF_FLOOR)
            ceiling = min(self.max_backoff, base * 2.0 ** min(self.failures - 1, 32))
            delay = max(delay, BACKOFF_FLOOR, ceiling * (1 + draw) / 2)
        return delay

    def begin_attempt(self) -> int:
        """Count the attempt about to be made; return its number, 0 first."""
        self.attempts += 1
        self._delivered = False
        return self.attempts - 1

    def connection_failed(self) -> Verdict:
        """The attempt raised OSError or RemoteProtocolError before its stream began."""
        if self._out_of_attempts():
            return Verdict.RAISE
        self.failures += 1
        return Verdict.RECONNECT

    def event_received(self, last_event_id: str, retry: Optional[int]) -> None:
        """An event was delivered; ``last_event_id`` and ``retry`` are the stream's now."""
        self._delivered = True
        self.failures = 0
        self._remember(last_event_id, retry)

    def stream_ended(
        self, end_reason: Optional[EndReason], error: Optional[BaseException], last_event_id: str, retry: Optional[int]
    ) -> Verdict:
        """The stream ended (``end_reason``, ``error``: the response's); reconnect or not.

        The done marker stops; a passed limit raises its LimitExceeded
        (reconnecting would fetch the same event again); any other end
        reconnects while ``max_reconnects`` allows.
        """
        self._remember(last_event_id, retry)
        if end_reason is EndReason.DONE:
            return Verdict.STOP
        if end_reason is EndReason.LIMIT_EXCEEDED and error is not None:
            return Verdict.RAISE
        if not self._delivered:
            self.failures += 1
        return Verdict.STOP if self._out_of_attempts() else Verdict.RECONNECT

    def _out_of_attempts(self) -> bool:
        return self.max_reconnects is not None and self.attempts > self.max_reconnects

    def _remember(self, last_event_id: str, retry: Optional[int]) -> None:
        self.last_event_id = last_event_id
        if retry is not None:
            self.retry = _clamp_retry(retry)


def ends_reconnection(status: int) -> bool:
    """Whether a final response with ``status`` stops an EventSource: 204, the server's "do not come back"."""
    return status == NO_CONTENT


def _clamp_retry(retry: int) -> int:
    return min(max(retry, 0), RETRY_CEILING)


def last_event_id_header(last_event_id: str) -> Optional[str]:
    """The ``Last-Event-ID`` value that carries ``last_event_id``, or None to send none.

    The ID is sent as UTF-8, as browsers do (as a latin-1 str, which the head
    encoder takes byte for byte), so that it arrives as the server wrote it.
    What a header value cannot carry is left out rather than refused, so
    that no ID a server sends can stop the reconnection: control characters
    (tab included) and DEL are dropped, then spaces at either end (the
    server would strip them). An ID left empty sends no header.
    """
    try:
        raw = last_event_id.encode("utf-8", "surrogateescape")  # an ID given on a command line
    except UnicodeEncodeError:
        raw = last_event_id.encode("utf-8", "replace")
    value = _CONTROLS.sub(b"", raw).strip(b" ")
    return value.decode("latin-1") or None


def attempt_request(
    headers: HeaderPairs,
    json: Any,
    content: Union[bytes, str, None],
    overrides: Optional[Mapping[str, Any]],
    last_event_id: str,
) -> Tuple[HeaderPairs, Any, Union[bytes, str, None]]:
    """Return the (headers, json, content) of the next attempt.

    ``overrides`` is what the caller's ``request`` hook returned: its
    ``headers`` merge over ``headers``, its ``json`` or ``content`` replace
    the body. ``Last-Event-ID`` is added last, from ``last_event_id``.
    """
    if overrides:
        unknown = set(overrides) - set(_OVERRIDES)
        if unknown:
            raise LocalProtocolError(f"request() returned unknown keys {sorted(unknown)}")
        headers = _merge(headers, header_list(overrides.get("headers")))
        if "json" in overrides or "content" in overrides:
            json, content = overrides.get("json"), overrides.get("content")
    wire_id = last_event_id_header(last_event_id)
    if wire_id is not None:
        headers = _merge(headers, [("Last-Event-ID", wire_id)])
    return headers, json, content


def _merge(base: HeaderPairs, extra: HeaderPairs) -> HeaderPairs:
    replaced = {name.lower() for name, _ in extra}
    return [(name, value) for name, value in base if name.lower() not in replaced] + extra
