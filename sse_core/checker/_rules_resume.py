"""Rules on resuming: after a reconnect with Last-Event-ID, events go on where they stopped."""

from typing import List, Optional, Sequence

from ..events import Event
from ._findings import INFO, WARNING, Finding, finding

__all__ = ["no_ids_finding", "continuity_findings"]


def no_ids_finding() -> Finding:
    return finding("resume.no-ids", "no event carries an id, so a reconnecting client cannot resume; resume not checked")


def continuity_findings(
    reference: Sequence[Event], first: Sequence[Event], last_id: str, resumed: Sequence[Event]
) -> List[Finding]:
    """Compare the events after a reconnect with ``Last-Event-ID: last_id`` with what came before.

    ``reference`` is the stream read without interruption, ``first`` the
    connection that was dropped after the event with ``last_id``, and
    ``resumed`` the events of the connection that resumed it.
    """
    seen_ids = _ids(first)
    resumed_ids = _ids(resumed)
    if not resumed:
        expected = _next_id(reference, last_id)
        if expected is None:
            message = f"nothing after reconnecting from id {last_id!r}: the stream had ended there"
            return [finding("resume.continuity", message, INFO)]
        return [
            finding(
                "resume.continuity",
                f"no event after reconnecting with Last-Event-ID: {last_id}, though the stream went on "
                f"with id {expected!r}",
            )
        ]
    if all(_is_integer(value) for value in seen_ids + resumed_ids):
        return _integer_continuity(int(last_id), [int(value) for value in resumed_ids])
    repeated = [value for value in resumed_ids if value in set(seen_ids)]
    if repeated:
        return [
            finding(
                "resume.continuity",
                f"after Last-Event-ID: {last_id} the server sent id {repeated[0]!r} again: it ignored Last-Event-ID",
            )
        ]
    expected = _next_id(reference, last_id)
    if expected is not None and resumed_ids[:1] != [expected]:
        return [
            finding(
                "resume.continuity",
                f"after Last-Event-ID: {last_id} the next id was {resumed_ids[:1] or ['(none)']!r}, not {expected!r} "
                "as on an uninterrupted connection (fine only if the stream is live)",
                WARNING,
            )
        ]
    return [finding("resume.continuity", f"resumed after id {last_id!r} without repeats", INFO)]


def _integer_continuity(last: int, resumed: List[int]) -> List[Finding]:
    repeats = [value for value in resumed if value <= last]
    if repeats:
        return [
            finding(
                "resume.continuity",
                f"after Last-Event-ID: {last} the server sent id {repeats[0]} again: it ignored Last-Event-ID "
                f"(ids after reconnecting: {_listed(resumed)})",
            )
        ]
    expected = last + 1
    for value in resumed:
        if value != expected:
            if value > expected:
                lost = f"id {expected}" if value == expected + 1 else f"ids {expected} to {value - 1}"
                problem = f"{lost} lost"
            else:
                problem = "not in sequence"
            return [
                finding("resume.continuity", f"after Last-Event-ID: {last} the ids went {_listed(resumed)}: {problem}")
            ]
        expected += 1
    return [finding("resume.continuity", f"resumed after id {last} with {_listed(resumed)}: no repeats, no gaps", INFO)]


def _ids(events: Sequence[Event]) -> List[str]:
    """The ids the stream set, in order: an event without an id field repeats the last one."""
    ids: List[str] = []
    for event in events:
        if event.id and event.id != (ids[-1] if ids else None):
            ids.append(event.id)
    return ids


def _next_id(reference: Sequence[Event], last_id: str) -> Optional[str]:
    ids = _ids(reference)
    if last_id in ids:
        position = ids.index(last_id)
        if position + 1 < len(ids):
            return ids[position + 1]
    return None


def _is_integer(value: str) -> bool:
    return value.isdigit() and value.isascii() and len(value) <= 18


def _listed(values: List[int]) -> str:
    shown = ", ".join(str(value) for value in values[:6])
    return shown + (", ..." if len(values) > 6 else "")
