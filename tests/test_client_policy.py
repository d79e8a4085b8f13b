"""The client policy without I/O: one test per rule, no sockets, no clocks, no randomness.

These are the rules the blocking client (``_response``, ``_eventsource``)
and an asyncio client both follow; tests/test_adapter_client*.py check the
drivers over loopback.
"""

import ast
import os

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sse_core import LimitExceeded, LocalProtocolError, RemoteProtocolError, SSEDecoder
from sse_core.adapters._reconnect_policy import (
    BACKOFF_FLOOR,
    RETRY_CEILING,
    ReconnectPolicy,
    Verdict,
    attempt_request,
    ends_reconnection,
    last_event_id_header,
)
from sse_core.adapters._redirect_policy import CROSS_ORIGIN_SAFE_HEADERS, Redirect, follow_redirect
from sse_core.adapters._request import build_request
from sse_core.adapters._response_policy import (
    ContentTypeError,
    EndReason,
    EventReader,
    HTTPStatusError,
    Refusal,
    check_response,
)
from sse_core.adapters._timeouts import Deadline, Timeouts
from sse_core.events import Event

SSE = [("content-type", "text/event-stream; charset=utf-8")]

ADAPTERS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sse_core", "adapters")
POLICY_MODULES = ["_response_policy.py", "_reconnect_policy.py", "_redirect_policy.py", "_request.py", "_explain.py"]
IO_MODULES = {"asyncio", "http", "random", "select", "selectors", "socket", "ssl", "threading", "time"}


@pytest.mark.parametrize("module", POLICY_MODULES)
def test_the_policy_imports_no_io_clock_or_randomness(module):
    with open(os.path.join(ADAPTERS, module), encoding="utf-8") as file:
        tree = ast.parse(file.read())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 0}
    relative = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 1}
    assert not {name.split(".")[0] for name in imported if name} & IO_MODULES
    assert relative <= {"_request", "_response_policy", "_explain"}  # no driver, no transport


# --- check_response: which responses carry events ------------------------------------


@pytest.mark.parametrize("status", [200, 201, 203, 299])
def test_a_stream_takes_any_2xx(status):
    assert check_response(status, "OK", SSE) is None


@pytest.mark.parametrize("status", [201, 203])
def test_an_eventsource_takes_200_only(status):
    assert check_response(200, "OK", SSE, reconnecting=True) is None
    assert check_response(status, "X", SSE, reconnecting=True) == Refusal(HTTPStatusError, f"HTTP {status} X")


@pytest.mark.parametrize("reconnecting", [False, True])
def test_204_is_not_refused_whatever_its_content_type(reconnecting):
    assert check_response(204, "No Content", [], reconnecting=reconnecting) is None


@pytest.mark.parametrize("status", [101, 301, 404, 500])
def test_other_statuses_are_refused_with_http_status_error(status):
    assert check_response(status, "Nope", SSE) == Refusal(HTTPStatusError, f"HTTP {status} Nope")


@pytest.mark.parametrize("value", ["text/event-stream", "TEXT/Event-Stream ; charset=utf-8", "text/event-stream\t"])
def test_the_content_type_is_compared_without_case_or_parameters(value):
    assert check_response(200, "OK", [("content-type", value)]) is None


@pytest.mark.parametrize("headers", [[], [("content-type", "text/html")], [("content-type", "text/event-streams")]])
def test_another_content_type_is_refused_with_content_type_error(headers):
    refusal = check_response(200, "OK", headers)
    assert refusal is not None and refusal.error_class is ContentTypeError


# --- EventReader: how a read ends ---------------------------------------------------


def reader(done_marker="[DONE]", **options) -> EventReader:
    return EventReader(SSEDecoder(**options), done_marker)


def test_received_bytes_give_the_events_they_complete():
    events = reader()
    assert events.receive(b"data: a\n\ndata: b") == [Event("a")]
    assert events.receive(b"\n\n") == [Event("b")]
    assert events.end_reason is None


def test_the_end_of_the_body_at_an_event_boundary_is_closed():
    events = reader()
    events.receive(b"data: a\n\n: bye\n")
    assert events.receive(None) == []
    assert (events.end_reason, events.error) == (EndReason.CLOSED, None)


@pytest.mark.parametrize("tail", [b"data: cut", b"data: cut\n", b"id: 2\n", b"event: x\n", b"retry: 5\n"])
def test_the_end_of_the_body_inside_an_event_is_truncated(tail):
    events = reader()
    events.receive(b"data: a\n\n" + tail)
    events.receive(None)
    assert (events.end_reason, events.error) == (EndReason.TRUNCATED, None)


def test_the_done_marker_ends_the_stream_and_drops_what_follows():
    events = reader()
    assert events.receive(b"data: a\n\ndata: [DONE]\n\ndata: b\n\n") == [Event("a")]
    assert events.end_reason is EndReason.DONE


def test_the_done_marker_can_be_another_text_or_none():
    assert reader("end").receive(b"data: [DONE]\n\ndata: end\n\n") == [Event("[DONE]")]
    assert reader(None).receive(b"data: [DONE]\n\n") == [Event("[DONE]")]


def test_a_limit_ends_the_stream_at_once_after_the_events_before_it():
    events = reader(max_event_size=10)
    assert events.receive(b"data: a\n\ndata: " + b"x" * 20 + b"\n") == [Event("a")]
    assert events.end_reason is EndReason.LIMIT_EXCEEDED
    assert isinstance(events.error, LimitExceeded)


def test_a_done_marker_before_a_limit_in_the_same_read_is_done():
    events = reader(max_event_size=10)
    assert events.receive(b"data: [DONE]\n\ndata: " + b"x" * 20 + b"\n") == []
    assert (events.end_reason, events.error) == (EndReason.DONE, None)


@pytest.mark.parametrize("total, reason", [(False, EndReason.IDLE_TIMEOUT), (True, EndReason.TOTAL_TIMEOUT)])
def test_a_timeout_is_idle_or_total_as_the_driver_says_which_bound_set_it(total, reason):
    events = reader()
    error = TimeoutError("timed out")
    events.timed_out(error, total=total)
    assert (events.end_reason, events.error) == (reason, error)


@pytest.mark.parametrize(
    "error, reason",
    [
        (ConnectionResetError(), EndReason.TRUNCATED),
        (RemoteProtocolError("bad chunk"), EndReason.TRUNCATED),
        (LimitExceeded("chunk line", 10, 11), EndReason.LIMIT_EXCEEDED),
    ],
)
def test_a_failed_read_is_truncated_or_a_limit(error, reason):
    events = reader()
    events.failed(error)
    assert (events.end_reason, events.error) == (reason, error)


def test_the_last_event_id_and_retry_are_the_decoders():
    events = EventReader(SSEDecoder(last_event_id="0"), None)
    assert (events.last_event_id, events.retry) == ("0", None)
    events.receive(b"retry: 50\nid: 3\ndata: a\n\n")
    assert (events.last_event_id, events.retry) == ("3", 50)


# --- ReconnectPolicy: when to reconnect and after how long ----------------------------


def test_the_first_attempt_does_not_wait():
    assert ReconnectPolicy(retry=5000).delay(0.5) == 0.0


def test_a_reconnection_waits_retry_after_a_stream_with_events_or_one_failure():
    policy = ReconnectPolicy(retry=250)
    policy.begin_attempt()
    policy.event_received("1", None)
    assert policy.stream_ended(EndReason.CLOSED, None, "1", None) is Verdict.RECONNECT
    assert policy.delay(0.9) == 0.25
    policy.begin_attempt()
    assert policy.connection_failed() is Verdict.RECONNECT
    assert policy.delay(0.9) == 0.25


def failed(policy: ReconnectPolicy, times: int) -> ReconnectPolicy:
    for _ in range(times):
        policy.begin_attempt()
        policy.connection_failed()
    return policy


def test_failures_in_a_row_double_the_wait_within_the_upper_half_by_the_draw():
    policy = failed(ReconnectPolicy(retry=1000, max_backoff=60), 3)
    # The third failure in a row: 1 s doubled twice.
    assert (policy.delay(0.0), policy.delay(0.5), policy.delay(0.999)) == (2.0, 3.0, pytest.approx(3.998))


def test_the_backoff_stops_at_max_backoff_but_never_below_retry():
    assert failed(ReconnectPolicy(retry=1000, max_backoff=5), 20).delay(0.999) == pytest.approx(5.0, abs=0.01)
    assert failed(ReconnectPolicy(retry=8000, max_backoff=5), 20).delay(0.0) == 8.0


def test_a_stream_without_events_counts_as_a_failure_and_one_with_events_resets_them():
    policy = failed(ReconnectPolicy(retry=1000, max_backoff=60), 1)
    policy.begin_attempt()
    policy.stream_ended(EndReason.CLOSED, None, "", None)
    assert policy.failures == 2
    policy.begin_attempt()
    policy.event_received("", None)
    assert policy.failures == 0


def test_finding4_retry_0_backs_off_from_the_floor():
    policy = ReconnectPolicy(retry=0, max_backoff=30)
    assert failed(policy, 1).delay(0.0) == 0.0  # the server asked for 0: one failure is no pattern
    waits = [failed(policy, 1).delay(0.0) for _ in range(5)]
    assert waits == [BACKOFF_FLOOR * 2**n for n in range(5)]


def test_the_floor_holds_even_under_a_smaller_max_backoff():
    assert failed(ReconnectPolicy(retry=0, max_backoff=0), 5).delay(0.0) == BACKOFF_FLOOR


def test_many_failures_in_a_row_keep_the_wait_finite():
    assert failed(ReconnectPolicy(retry=1000, max_backoff=1e300), 5000).delay(0.5) == pytest.approx(1.5 * 2.0**31)


@pytest.mark.parametrize("retry, kept", [(9_300_000_000_000, RETRY_CEILING), (10**18 - 1, RETRY_CEILING), (-5, 0)])
def test_finding4_retry_is_clamped_within_0_and_the_ceiling(retry, kept):
    assert ReconnectPolicy(retry=retry).retry == kept
    policy = ReconnectPolicy()
    policy.begin_attempt()
    policy.event_received("", retry)
    assert policy.retry == kept
    assert policy.delay(0.5) == kept / 1000


def test_connection_failures_reconnect_until_max_reconnects_then_raise():
    policy = ReconnectPolicy(max_reconnects=2)
    verdicts = [failed_once(policy) for _ in range(3)]
    assert verdicts == [Verdict.RECONNECT, Verdict.RECONNECT, Verdict.RAISE]


def failed_once(policy: ReconnectPolicy) -> Verdict:
    policy.begin_attempt()
    return policy.connection_failed()


def test_the_done_marker_stops():
    policy = ReconnectPolicy()
    assert policy.begin_attempt() == 0
    assert policy.stream_ended(EndReason.DONE, None, "", None) is Verdict.STOP


def test_a_limit_raises_its_error():
    policy = ReconnectPolicy()
    policy.begin_attempt()
    error = LimitExceeded("event", 10, 11)
    assert policy.stream_ended(EndReason.LIMIT_EXCEEDED, error, "", None) is Verdict.RAISE


@pytest.mark.parametrize("reason", [EndReason.CLOSED, EndReason.TRUNCATED, EndReason.IDLE_TIMEOUT])
def test_other_ends_reconnect_until_max_reconnects_then_stop(reason):
    policy = ReconnectPolicy(max_reconnects=1)
    verdicts = []
    for _ in range(2):
        policy.begin_attempt()
        verdicts.append(policy.stream_ended(reason, None, "", None))
    assert verdicts == [Verdict.RECONNECT, Verdict.STOP]


def test_the_stream_state_follows_the_responses():
    policy = ReconnectPolicy(retry=3000, last_event_id="0")
    policy.begin_attempt()
    policy.stream_ended(EndReason.CLOSED, None, "7", 20)
    assert (policy.last_event_id, policy.retry) == ("7", 20)
    policy.begin_attempt()
    policy.stream_ended(EndReason.CLOSED, None, "8", None)  # no retry field: the last one stays
    assert (policy.last_event_id, policy.retry) == ("8", 20)


@pytest.mark.parametrize("status, ends", [(204, True), (200, False)])
def test_204_ends_the_reconnection(status, ends):
    assert ends_reconnection(status) is ends


# --- what each attempt sends ------------------------------------------------------


@pytest.mark.parametrize(
    "last_event_id, value",
    [
        ("42", "42"),
        ("", None),
        ("3€", "3€".encode().decode("latin-1")),  # UTF-8, as latin-1 text for the head encoder
        ("7 ", "7"),
        ("  7\t", "7"),
        ("a b", "a b"),
        ("a\tb\x1b[31m\x7f", "ab[31m"),
        ("\x01\x02", None),
        ("\udcff", "\xff"),  # a command line's undecodable byte, sent back as it came
        ("\ud800", "?"),
    ],
)
def test_finding4_last_event_id_sends_what_a_header_can_carry(last_event_id, value):
    assert last_event_id_header(last_event_id) == value


@given(st.text())
@example("\x00 \t")
def test_finding4_every_last_event_id_makes_a_sendable_header_or_none(last_event_id):
    value = last_event_id_header(last_event_id)
    if value is not None:
        build_request("GET", "http://example.com/", [("Last-Event-ID", value)])  # raises if unsendable


def test_an_attempt_sends_the_hooks_headers_and_body_and_the_last_event_id():
    base = [("Authorization", "old"), ("X-A", "1"), ("last-event-id", "mine")]
    overrides = {"headers": {"authorization": "new"}, "content": b"body"}
    headers, json, content = attempt_request(base, {"a": 1}, None, overrides, "5")
    assert headers == [("X-A", "1"), ("authorization", "new"), ("Last-Event-ID", "5")]
    assert (json, content) == (None, b"body")


def test_an_attempt_without_hook_or_id_sends_the_request_as_given():
    base = [("X-A", "1")]
    assert attempt_request(base, {"a": 1}, None, None, "") == (base, {"a": 1}, None)


def test_a_hook_returning_unknown_keys_is_a_local_protocol_error():
    with pytest.raises(LocalProtocolError, match="unknown keys"):
        attempt_request([], None, None, {"header": {}}, "")


# --- follow_redirect: which redirects, where, with which headers ---------------------

URL = "http://example.com/start"


def follow(status=307, location="/next", method="GET", headers=(), redirects=0, max_redirects=10):
    return follow_redirect(method, URL, list(headers), status, location, redirects=redirects, max_redirects=max_redirects)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_these_statuses_redirect_and_location_is_resolved_against_the_url(status):
    assert follow(status) == Redirect("http://example.com/next", [])


@pytest.mark.parametrize(
    "status, location, method", [(200, "/next", "GET"), (300, "/next", "GET"), (307, None, "GET"), (307, "/n", "POST")]
)
def test_anything_else_is_not_a_redirect(status, location, method):
    assert follow(status, location, method) is None


def test_max_redirects_is_refused():
    assert follow(redirects=9) is not None and not isinstance(follow(redirects=9), Refusal)
    assert follow(redirects=10) == Refusal(HTTPStatusError, "more than 10 redirects")


@pytest.mark.parametrize("location", ["http://[::1/x", "ftp://example.com/", "http://a:99999/"])
def test_finding4_a_location_that_cannot_be_followed_is_refused(location):
    refusal = follow(location=location)
    assert isinstance(refusal, Refusal) and refusal.error_class is HTTPStatusError
    assert repr(location) in refusal.message


def test_a_location_is_percent_encoded_where_a_request_target_cannot_carry_it():
    location = "/a b\tc?q=" + "é".encode().decode("latin-1") + "&r=%41"
    assert follow(location=location).url == "http://example.com/a%20b%09c?q=%C3%A9&r=%41"


SECRETS = [("Authorization", "a"), ("Proxy-Authorization", "p"), ("Cookie", "c"), ("api-key", "k"), ("x-api-key", "x")]
SAFE = [("Accept", "text/event-stream"), ("User-Agent", "me/1"), ("Accept-Language", "fr"), ("Last-Event-ID", "3")]


@pytest.mark.parametrize("location", ["/next", "http://EXAMPLE.com:80/next", "//example.com/next"])
def test_a_same_origin_redirect_keeps_every_header(location):
    assert follow(location=location, headers=SECRETS + SAFE).headers == SECRETS + SAFE


@pytest.mark.parametrize(
    "location", ["http://other.example/next", "http://example.com:8080/next", "https://example.com/next"]
)
def test_finding5_a_redirect_to_another_origin_keeps_only_the_safe_headers(location):
    assert follow(location=location, headers=SECRETS + SAFE + [("X-Trace", "t")]).headers == SAFE


def test_the_safe_list_holds_no_credential():
    assert not {name.lower() for name, _ in SECRETS} & CROSS_ORIGIN_SAFE_HEADERS


# --- Deadline: each read's timeout, and which bound set it (a fake clock) ------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_without_total_each_read_gets_the_idle_timeout():
    deadline = Deadline(Timeouts(connect=2, idle=5, total=None), clock=FakeClock())
    assert (deadline.connect_timeout(), deadline.read_timeout(), deadline.expired()) == (2, (5, False), False)


def test_the_total_bound_sets_the_timeout_once_it_is_the_nearer():
    clock = FakeClock()
    deadline = Deadline(Timeouts(connect=2, idle=5, total=12), clock=clock)
    assert deadline.read_timeout() == (5, False)
    clock.now += 9
    assert deadline.read_timeout() == (3, True)  # idle timeouts from here end as TOTAL_TIMEOUT
    assert deadline.connect_timeout() == 2
    clock.now += 3
    assert deadline.expired()
    assert deadline.read_timeout() == (1e-6, True)  # never 0, which would make the socket non-blocking
