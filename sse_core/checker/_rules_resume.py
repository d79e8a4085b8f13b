"""Rules on resuming: after a reconnect with Last-Event-ID, events go on where they stopped.

Each connection's ids are taken by an :class:`IdTrail` as its events
arrive: only the ids of its first few events that carry one, each long id
cut to a prefix and a digest, so that what is kept is bounded however long
the stream and its ids.
"""

import hashlib
from typing import List, Optional, Sequence

from ..events import Event
from ._findings import INFO, WARNING, Finding, finding

__all__ = ["IdTrail", "no_ids_finding", "continuity_findings"]

_ID_SIZE = 200  # characters of an id kept as is; a longer one also keeps a digest


class IdTrail:
    """The ids of a connection's first ``keep`` events that carry one, in order, repeats folded."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.events = 0  # every event, with an id or not
        self.with_id = 0  # events that carry an id (set by them or by an earlier event)
        self.ids: List[str] = []  # each as _key() shows it
        self.last_id: Optional[str] = None  # the id of the last event kept, whole

    def feed(self, events: Sequence[Event]) -> None:
        for event in events:
            self.events += 1
            if not event.id:
                continue
            self.with_id += 1
            if self.with_id > self.keep:
                continue
            self.last_id = event.id
            key = _key(event.id)
            # An event without an id field repeats the last id: not a new one.
            if not self.ids or self.ids[-1] != key:
                self.ids.append(key)


def no_ids_finding() -> Finding:
    return finding("resume.no-ids", "no event carries an id, so a reconnecting client cannot resume; resume not checked")


def continuity_findings(reference: IdTrail, first: IdTrail, resumed: IdTrail) -> List[Finding]:
    """Compare the events after a reconnect with ``Last-Event-ID: first.last_id`` with what came before.

    ``reference`` is the stream read without interruption, ``first`` the
    connection that was dropped after its event with ``last_id``, and
    ``resumed`` the connection that resumed it.
    """
    last_id = first.last_id or ""
    last = _key(last_id)
    seen_ids = first.ids
    resumed_ids = resumed.ids
    if not resumed.events:
        expected = _next_id(reference.ids, last)
        if expected is None:
            message = f"nothing after reconnecting from id {last!r}: the stream had ended there"
            return [finding("resume.continuity", message, INFO)]
        return [
            finding(
                "resume.continuity",
                f"no event after reconnecting with Last-Event-ID: {last}, though the stream went on "
                f"with id {expected!r}",
            )
        ]
    if all(_is_integer(value) for value in seen_ids + resumed_ids):
        return _integer_continuity(int(last), [int(value) for value in seen_ids], [int(value) for value in resumed_ids])
    repeated = [value for value in resumed_ids if value in set(seen_ids)]
    if repeated:
        at_last, started_over = resumed_ids[0] == last, resumed_ids[0] == seen_ids[0]
        return [_repeat(repr(last), repr(repeated[0]), at_last, started_over)]
    expected = _next_id(reference.ids, last)
    if expected is not None and resumed_ids[:1] != [expected]:
        return [
            finding(
                "resume.continuity",
                f"after Last-Event-ID: {last} the next id was {resumed_ids[:1] or ['(none)']!r}, not {expected!r} "
                "as on an uninterrupted connection (fine only if the stream is live)",
                WARNING,
            )
        ]
    return [finding("resume.continuity", f"resumed after id {last!r} without repeats", INFO)]


def _integer_continuity(last: int, seen: List[int], resumed: List[int]) -> List[Finding]:
    repeats = [value for value in resumed if value <= last]
    if repeats:
        found = _repeat(str(last), str(repeats[0]), resumed[0] == last, resumed[0] == seen[0])
        return [found._replace(message=f"{found.message} (ids after reconnecting: {_listed(resumed)})")]
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


def _repeat(last: str, repeated: str, at_last: bool, started_over: bool) -> Finding:
    """The finding for a resumed connection that sent an id the client already had."""
    if at_last:
        # The commonest slip: replaying from the stored id inclusively.
        why = "it resumed at Last-Event-ID instead of after it, so the client gets that event twice"
        repeated = last
    elif started_over:
        why = "it ignored Last-Event-ID and started over"
    else:
        why = "it resumed from before Last-Event-ID, so the client gets events twice"
    return finding("resume.continuity", f"after Last-Event-ID: {last} the server sent id {repeated} again: {why}")


def _next_id(ids: List[str], last: str) -> Optional[str]:
    # Unknown (None) when ``last`` is past the ids the reference kept.
    if last in ids:
        position = ids.index(last)
        if position + 1 < len(ids):
            return ids[position + 1]
    return None


def _key(value: str) -> str:
    if len(value) <= _ID_SIZE:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{value[:_ID_SIZE]}... (sha-256 {digest})"


def _is_integer(value: str) -> bool:
    return value.isdigit() and value.isascii() and len(value) <= 18


def _listed(values: List[int]) -> str:
    shown = ", ".join(str(value) for value in values[:6])
    return shown + (", ..." if len(values) > 6 else "")
