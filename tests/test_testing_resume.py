"""sse_core.testing's resume test, against loopback servers that resume right and wrong.

The servers are tests/servers.py's http_server running a source that
replays its stream after the request's Last-Event-ID, exactly, or one
event too early (a repeat) or too late (a loss).
"""

import itertools

import pytest

from sse_core import Event
from sse_core.adapters.client import Timeouts
from sse_core.testing import resume_machine, run_resume_test

from .servers import http_server

STREAM = [Event(f"tick {n}\nline two", "tick", str(n)) for n in range(1, 9)]
TIMEOUTS = Timeouts(connect=5.0, idle=5.0, total=30.0)


def replaying(shift: int = 0, stream=STREAM):
    """A source that resumes after Last-Event-ID, ``shift`` events off."""

    def source(ctx):
        ids = [event.id for event in stream]
        if ctx.last_event_id in ids:
            return stream[max(ids.index(ctx.last_event_id) + 1 + shift, 0) :]
        return stream

    return source


def url(port: int) -> str:
    return f"http://127.0.0.1:{port}/events"


def test_a_server_resuming_exactly_after_last_event_id_passes():
    requested = []

    def source(ctx):
        requested.append(ctx.last_event_id)
        return replaying()(ctx)

    with http_server(source) as port:
        run_resume_test(url(port), max_examples=20, derandomize=True, timeouts=TIMEOUTS)
    # It connected afresh and resumed with ids.
    assert "" in requested and set(requested) - {""}


def test_a_post_stream_resumes_too_and_the_machine_runs_as_a_test_case():
    seen_bodies = []

    def source(ctx):
        seen_bodies.append(ctx.body)
        return replaying()(ctx)

    with http_server(source) as port:
        machine = resume_machine(url(port), method="POST", body=b'{"stream": true}', timeouts=TIMEOUTS)
        machine.TestCase("runTest").runTest()
    assert seen_bodies and set(seen_bodies) == {b'{"stream": true}'}


def test_an_endless_stream_is_compared_as_far_as_it_was_read():
    def endless(ctx):
        start = int(ctx.last_event_id) + 1 if ctx.last_event_id else 1
        for n in itertools.count(start):
            if ctx.wait(0.001):
                return
            yield Event(f"tick {n}", id=str(n))

    with http_server(endless) as port:
        run_resume_test(url(port), max_examples=10, max_events=12, derandomize=True, timeouts=TIMEOUTS)


def test_a_server_repeating_the_last_event_on_reconnect_fails_as_repeated():
    with http_server(replaying(shift=-1)) as port:
        with pytest.raises(AssertionError, match=r"repeated: event id '\d' was received again on connection 2"):
            run_resume_test(url(port), max_examples=20, derandomize=True, timeouts=TIMEOUTS)


def test_a_server_skipping_an_event_on_reconnect_fails_as_lost():
    with http_server(replaying(shift=1)) as port:
        with pytest.raises(AssertionError, match=r"lost: .*connection 2 \(Last-Event-ID: '\d'\)"):
            run_resume_test(url(port), max_examples=20, derandomize=True, timeouts=TIMEOUTS)


def test_a_server_without_ids_is_refused():
    without_ids = [Event(f"tick {n}") for n in range(3)]
    with http_server(replaying(stream=without_ids)) as port:
        with pytest.raises(AssertionError, match="not a server with ids: event 1 of the stream has no id"):
            run_resume_test(url(port), max_examples=2, timeouts=TIMEOUTS)


def test_a_server_changing_its_events_fails_as_changed():
    connections = itertools.count()

    def source(ctx):
        if next(connections) == 0:
            return STREAM
        return [event._replace(data="other") for event in replaying()(ctx)]

    with http_server(source) as port:
        with pytest.raises(AssertionError, match="changed: event 1 of the stream"):
            run_resume_test(url(port), max_examples=20, derandomize=True, timeouts=TIMEOUTS)
