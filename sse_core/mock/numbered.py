"""``GET /events``: a numbered event stream that a reconnecting client resumes.

Each event has the id ``N`` (1, 2, ...) and the data ``{"n": N, "count":
COUNT}``. Query parameters: ``count`` (a finite stream of ids 1..count;
none means endless), ``interval_ms`` (pause between events, default
1000), ``close_after`` (end each response after that many events, so that
clients reconnect), ``retry`` (the reconnection delay sent first, in ms,
default 1000) and ``heartbeat_ms`` (silence before a ``: ping`` comment;
the server's own setting by default). A request with ``Last-Event-ID: N``
resumes at N + 1; once a client has had every event (N >= count) it gets
204 No Content, which tells a browser to stop reconnecting.
"""

import json
from typing import Any, Callable, Iterator, Mapping, NamedTuple, Optional

from ..adapters.httpserver import Item
from ..decoder import MAX_RETRY
from .errors import RequestError

__all__ = ["EventsQuery", "parse_events_query", "first_id", "numbered_source"]

DEFAULT_INTERVAL_MS = 1000.0
DEFAULT_RETRY_MS = 1000

# Large enough for any test of a client; small enough that a typo is caught.
_MAX_COUNT = 10**9
_MAX_MS = 600_000.0


class EventsQuery(NamedTuple):
    """The parameters of one ``GET /events`` request."""

    count: Optional[int] = None
    interval_ms: float = DEFAULT_INTERVAL_MS
    close_after: Optional[int] = None
    retry: int = DEFAULT_RETRY_MS
    heartbeat_ms: Optional[float] = None


def parse_events_query(query: Mapping[str, str]) -> EventsQuery:
    """The query parameters of ``GET /events``; RequestError (400) names a bad one."""
    unknown = sorted(set(query) - set(EventsQuery._fields))
    if unknown:
        raise RequestError(
            f"Unknown query parameter {unknown[0]!r} (expected {', '.join(EventsQuery._fields)}).",
            param=unknown[0],
            code="unknown_parameter",
        )
    interval = _number(query, "interval_ms", float, 0, _MAX_MS)
    heartbeat = _number(query, "heartbeat_ms", float, 1, _MAX_MS)
    retry = _number(query, "retry", int, 0, MAX_RETRY)
    return EventsQuery(
        count=_number(query, "count", int, 0, _MAX_COUNT),
        interval_ms=DEFAULT_INTERVAL_MS if interval is None else interval,
        close_after=_number(query, "close_after", int, 1, _MAX_COUNT),
        retry=DEFAULT_RETRY_MS if retry is None else retry,
        heartbeat_ms=heartbeat,
    )


def first_id(last_event_id: str) -> int:
    """The id to resume at after ``Last-Event-ID``; one that is not ours starts over at 1."""
    if last_event_id.isascii() and last_event_id.isdigit() and len(last_event_id) < 20:
        return int(last_event_id) + 1
    return 1


def numbered_source(query: EventsQuery, start: int, wait: Callable[[float], bool]) -> Iterator[Item]:
    """Yield the events from id ``start`` on; ``wait(seconds)`` returns True to stop early."""
    sent = 0
    number = start
    while query.count is None or number <= query.count:
        if sent and query.interval_ms and wait(query.interval_ms / 1000):
            return
        yield {"id": str(number), "data": json.dumps({"n": number, "count": query.count})}
        sent += 1
        number += 1
        if query.close_after is not None and sent >= query.close_after:
            return


def _number(query: Mapping[str, str], name: str, kind: Callable[[str], float], low: float, high: float) -> Any:
    if name not in query:
        return None
    text = query[name]
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:  # NaN fails the comparison too
        raise RequestError(
            f"Invalid value for {name!r}: expected a number from {low:g} to {high:g}, not {text!r}.",
            param=name,
            code="invalid_value",
        )
    return value
