"""A stateful hypothesis test that a live SSE server resumes from Last-Event-ID.

The test connects, reads a few events, drops the connection and reconnects
with ``Last-Event-ID`` set to the id of the last event it saw, in orders and
counts hypothesis chooses (and shrinks, when something fails). What it
demands of the server, "a server with ids":

- every event has an ``id`` field of its own, not empty, and no two events
  of the stream share an id;
- the stream is the same on every connection: a request without
  ``Last-Event-ID`` gets it from the start, and a request with
  ``Last-Event-ID: X`` gets exactly the events that came after the event
  with id X in that stream, in the same order, with the same event type,
  data and id;
- a finite stream ends cleanly after its last event (the body ends, or a
  ``data: [DONE]`` event ends it), and a reconnect after the last event
  gets no event.

The invariant checked: the events received across all connections, one
after the other, are a prefix of the stream one uninterrupted connection
receives (for a finite stream read to its end, all of it): nothing is lost,
nothing is repeated, every id is as served. Only the first ``max_events``
events of the stream are compared (fewer if the uninterrupted read goes
quiet for ``timeouts.idle`` seconds), and every connection is bounded by
``timeouts``.
"""

from typing import Any, List, Optional, Tuple, Type, Union

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from ..adapters._request import Headers, header_list
from ..adapters.client import EndReason, Response, Timeouts, stream
from ..events import Event

__all__ = ["resume_machine", "run_resume_test", "DEFAULT_RESUME_TIMEOUTS"]

# A server under test answers at once; a few seconds of silence already
# mean it is stuck, and a minute bounds a connection however it behaves.
DEFAULT_RESUME_TIMEOUTS = Timeouts(connect=5.0, idle=5.0, total=60.0)

_CLEAN_ENDS = (EndReason.CLOSED, EndReason.DONE)
# A stream that goes quiet is compared as far as it went.
_QUIET_ENDS = (EndReason.IDLE_TIMEOUT, EndReason.TOTAL_TIMEOUT)


def _key(event: Event) -> Tuple[str, str, str]:
    # The retry field is left out: a server may send it on the first
    # connection only.
    return event.event, event.data, event.id


def resume_machine(
    url: str,
    *,
    method: str = "GET",
    headers: Optional[Headers] = None,
    body: Union[bytes, str, None] = None,
    timeouts: Timeouts = DEFAULT_RESUME_TIMEOUTS,
    max_events: int = 50,
    max_read: int = 5,
    done_marker: Optional[str] = "[DONE]",
) -> Type[RuleBasedStateMachine]:
    """Return a state machine class testing that the server at ``url`` resumes.

    The request is ``method`` with ``headers`` and ``body``, sent over
    sse_core's socket transport; each connection reads at most ``max_read``
    events before the machine may drop it. Run it with
    ``run_state_machine_as_test`` or as ``resume_machine(url).TestCase``
    (a unittest case, with modest default settings). A failure is an
    AssertionError naming what went wrong: events lost, repeated or changed,
    or a connection that ended badly.
    """
    if max_events < 1 or max_read < 1:
        raise ValueError("max_events and max_read must be at least 1")

    def open_stream(last_event_id: Optional[str]) -> Response:
        request_headers = header_list(headers)
        if last_event_id is not None:
            request_headers.append(("Last-Event-ID", last_event_id))
        return stream(
            method, url, headers=request_headers, content=body, timeouts=timeouts,
            transport="socket", done_marker=done_marker,
        )

    class ResumeMachine(RuleBasedStateMachine):
        # One uninterrupted read of the stream, made once for the class:
        # (its events, whether they are the whole stream).
        _uninterrupted: Optional[Tuple[List[Event], bool]] = None

        def __init__(self) -> None:
            super().__init__()
            if ResumeMachine._uninterrupted is None:
                ResumeMachine._uninterrupted = _read_uninterrupted(open_stream, max_events)
            self.reference, self.finite = ResumeMachine._uninterrupted
            self.seen: List[Event] = []
            # For each event seen: which connection brought it, and the
            # Last-Event-ID that connection sent (None: no header).
            self.origins: List[Tuple[int, Optional[str]]] = []
            self.response: Optional[Response] = None
            self.events: Any = None
            self.connections = 0
            self.sent_id: Optional[str] = None
            self.has_read = False  # on the current connection

        def can_read(self) -> bool:
            # A finite stream may be read past its end, to see it end
            # cleanly; a longer one only as far as it was read uninterrupted.
            return self.finite or len(self.seen) < len(self.reference)

        @precondition(lambda self: self.response is None)
        @rule()
        def connect(self) -> None:
            self.sent_id = self.seen[-1].id if self.seen else None
            self.connections += 1
            self.response = open_stream(self.sent_id)
            self.events = iter(self.response)
            self.has_read = False

        @precondition(lambda self: self.response is not None and self.can_read())
        @rule(count=st.integers(1, max_read))
        def read(self, count: int) -> None:
            self.has_read = True
            for _ in range(count):
                event = next(self.events, None)
                if event is None:
                    self._check_end()
                    return
                self.seen.append(event)
                self.origins.append((self.connections, self.sent_id))
                if len(self.seen) > len(self.reference) or not self.finite and len(self.seen) == len(self.reference):
                    return

        # Dropping a connection before reading from it tests nothing.
        @precondition(lambda self: self.response is not None and (self.has_read or not self.can_read()))
        @rule()
        def drop(self) -> None:
            self._close()

        @invariant()
        def nothing_lost_repeated_or_changed(self) -> None:
            for index, event in enumerate(self.seen):
                if index >= len(self.reference):
                    self._fail_extra(index, event)
                if _key(event) != _key(self.reference[index]):
                    self._fail_mismatch(index, event)

        def teardown(self) -> None:
            self._close()

        def _close(self) -> None:
            if self.response is not None:
                self.response.close()
            self.response = None
            self.events = None

        def _where(self, index: int) -> str:
            connection, sent_id = self.origins[index]
            if sent_id is None:
                return f"on connection {connection} (no Last-Event-ID)"
            return f"on connection {connection} (Last-Event-ID: {sent_id!r})"

        def _fail_extra(self, index: int, event: Event) -> None:
            if any(_key(event) == _key(earlier) for earlier in self.seen[:index]):
                problem = f"repeated: event id {event.id!r} was received again"
            else:
                problem = f"extra event id {event.id!r} after the end of the stream"
            raise AssertionError(f"{problem} {self._where(index)}; the stream has {len(self.reference)} events")

        def _fail_mismatch(self, index: int, event: Event) -> None:
            where = self._where(index)
            expected = self.reference[index]
            if any(_key(event) == _key(earlier) for earlier in self.seen[:index]):
                raise AssertionError(
                    f"repeated: event id {event.id!r} was received again {where}; "
                    f"the next event should have been id {expected.id!r}"
                )
            later = [_key(other) for other in self.reference[index + 1 :]]
            if _key(event) in later:
                skipped = [other.id for other in self.reference[index : index + 1 + later.index(_key(event))]]
                raise AssertionError(f"lost: events with ids {skipped} were skipped {where}, before id {event.id!r}")
            raise AssertionError(
                f"changed: event {index + 1} of the stream is {expected!r} when read uninterrupted, "
                f"but {event!r} {where}"
            )

        def _check_end(self) -> None:
            response = self.response
            assert response is not None
            reason, error = response.end_reason, response.error
            self._close()
            where = f"connection {self.connections}" + (
                "" if self.sent_id is None else f" (Last-Event-ID: {self.sent_id!r})"
            )
            if reason not in _CLEAN_ENDS:
                raise AssertionError(f"{where} ended badly: {reason} {error!r}")
            if len(self.seen) < len(self.reference):
                missing = [event.id for event in self.reference[len(self.seen) :]]
                raise AssertionError(f"lost: {where} ended cleanly without events with ids {missing}")

    ResumeMachine.__name__ = ResumeMachine.__qualname__ = "ResumeMachine"
    ResumeMachine.TestCase.settings = _settings(max_examples=20, stateful_step_count=12)
    return ResumeMachine


def _settings(**options: Any) -> settings:
    # One failure is reported, the simplest: a server that repeats events
    # also fails at the end of the stream, and the two say the same thing.
    return settings(
        deadline=None,
        report_multiple_bugs=False,
        suppress_health_check=[HealthCheck.too_slow],
        **options,
    )


def _read_uninterrupted(open_stream: Any, max_events: int) -> Tuple[List[Event], bool]:
    """Read the stream from its start; return its events and whether that was all of it.

    Raise AssertionError when it is not a server with ids.
    """
    events: List[Event] = []
    with open_stream(None) as response:
        for event in response:
            events.append(event)
            if len(events) == max_events:
                break
    ended = response.end_reason
    if len(events) == max_events or ended in _QUIET_ENDS:
        finite = False
    elif ended in _CLEAN_ENDS:
        finite = True
    else:
        raise AssertionError(
            f"the uninterrupted read ended badly after {len(events)} events: {ended} {response.error!r}"
        )
    if not events:
        raise AssertionError("the stream sent no event, so there is nothing to resume")
    ids = [event.id for event in events]
    for index, event_id in enumerate(ids):
        if not event_id:
            raise AssertionError(f"not a server with ids: event {index + 1} of the stream has no id")
        if event_id in ids[:index]:
            raise AssertionError(f"not a server with ids: event {index + 1} repeats id {event_id!r}")
    return events, finite


def run_resume_test(
    url: str,
    *,
    max_examples: int = 20,
    step_count: int = 12,
    derandomize: bool = False,
    **options: Any,
) -> None:
    """Run the resume test against ``url``; raise AssertionError on the first problem.

    ``options`` are those of :func:`resume_machine`. hypothesis tries
    ``max_examples`` runs of up to ``step_count`` connects, reads and drops
    (the same ones on every call with ``derandomize``), and shrinks a
    failure to the fewest steps that show it.
    """
    run_state_machine_as_test(
        resume_machine(url, **options),
        settings=_settings(
            max_examples=max_examples, stateful_step_count=step_count, derandomize=derandomize, database=None
        ),
    )
