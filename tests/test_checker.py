"""The conformance checker against deliberately broken loopback servers, and a clean one.

Each case of tests/broken_servers.py must make check() report its rule
with its severity; a stream from send_event_stream must pass with no error
or warning. The timing cases wait seconds, never milliseconds, against
thresholds of a second or less, so a loaded machine cannot flip them: a
late reader only makes silences look shorter, never longer.
"""

import gzip
import json
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import tracemalloc
import zlib

import pytest

from sse_core.checker import RULES, SEVERITIES, CheckError, CheckInterrupted, Report, check, rules_markdown
from sse_core.checker._capture import Read
from sse_core.checker._coding import ContentDecoder
from sse_core.checker._observe import StreamObserver
from sse_core.checker._rules_timing import TimingWatch
from sse_core.decoder import DEFAULT_MAX_LINE_SIZE
from sse_core.mock import MODEL_ID, MockServer
from sse_core.testing.server import assert_conforms

from .broken_servers import CASES, GOOD_HEADERS, good_stream, ids_script
from .hostile_server import HOLD, LAST_CHUNK, HostileServer, Pause, chunk, response_head
from .servers import http_server, raw_server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 30  # seconds for a CLI run; a healthy one takes a fraction
MIB = 1024 * 1024


def findings_of(report: Report, rule: str):
    return [(item.severity, item.message) for item in report.findings if item.rule == rule]


def paced_source(count=5, pause=0.1):
    def source(ctx):
        start = int(ctx.last_event_id or 0)
        for number in range(start + 1, start + count + 1):
            yield {"data": json.dumps({"n": number}), "id": str(number)}
            if ctx.wait(pause):
                return

    return source


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_broken_server_triggers_its_rule(name):
    case = CASES[name]
    with HostileServer(case.script) as server:
        report = check(server.url(), **{"duration": 5.0, **case.options})
    severities = [severity for severity, _ in findings_of(report, case.rule)]
    assert case.severity in severities, report.to_json()


def test_every_rule_has_a_broken_server():
    assert {case.rule for case in CASES.values()} == set(RULES)
    for rule, (severity, summary, spec, variants) in RULES.items():
        assert severity in SEVERITIES and summary.endswith(".") and spec, rule
        assert all(part.split(":")[0] in SEVERITIES for part in variants.split("; ") if variants), rule
    for case in CASES.values():
        assert case.severity in SEVERITIES


@pytest.mark.parametrize("protocol_version", ["HTTP/1.1", "HTTP/1.0"])
def test_a_clean_server_has_no_error_or_warning(protocol_version):
    with http_server(paced_source(), protocol_version=protocol_version) as port:
        report = check(f"http://127.0.0.1:{port}/", duration=5.0, resume=True)
    assert report.status == 200
    assert [item for item in report.findings if item.severity != "info"] == [], report.to_json()
    assert report.timing["events"] == 5
    assert report.timing["end"] == "complete"
    [(severity, message)] = findings_of(report, "resume.continuity")
    # The resumed connection is dropped after the read that brings its third event.
    assert severity == "info" and message.startswith("resumed after id 3 with 4, 5, 6")
    assert message.endswith(": no repeats, no gaps")


def test_our_mock_server_passes_clean_on_events_and_chat_completions():
    with MockServer() as server:
        events = check(f"{server.url}/events?count=6&interval_ms=100", duration=10.0, resume=True)
        chat = check(
            f"{server.url}/v1/chat/completions",
            openai=True,
            body={"model": MODEL_ID, "messages": [{"role": "user", "content": "hi"}], "stream": True},
            duration=10.0,
        )
    for report in (events, chat):
        assert report.status == 200
        assert [item for item in report.findings if item.severity != "info"] == [], report.to_json()
        assert report.timing["end"] == "complete"
    assert events.timing["events"] == 6
    assert [severity for severity, _ in findings_of(events, "resume.continuity")] == ["info"]


def test_a_clean_openai_stream_passes():
    def source(ctx):
        assert json.loads(ctx.body)["stream"] is True
        for word in ("Hel", "lo"):
            yield json.dumps({"choices": [{"delta": {"content": word}}]})
        yield "[DONE]"

    with raw_server(source) as port:
        report = check(f"http://127.0.0.1:{port}/v1/chat/completions", openai=True, duration=5.0)
    assert report.method == "POST"
    assert [item for item in report.findings if item.severity != "info"] == [], report.to_json()


def test_a_paced_stream_is_not_buffered():
    # One event every 0.3 s, each in its own write: no read can bring three
    # events after a second of silence, however late the reader is.
    with http_server(paced_source(count=6, pause=0.3)) as port:
        report = check(f"http://127.0.0.1:{port}/", duration=8.0)
    assert findings_of(report, "timing.buffered") == []
    assert report.timing["events"] == 6


def test_a_burst_reports_how_many_events_came_together():
    with HostileServer(CASES["burst after silence"].script) as server:
        report = check(server.url(), duration=8.0)
    [(severity, message)] = findings_of(report, "timing.buffered")
    assert message.startswith("6 of 6 events arrived in 1 burst(s)")


def test_resume_without_repeats_or_gaps_is_info():
    with HostileServer(ids_script(lambda last: 1 if last is None else int(last) + 1)) as server:
        report = check(server.url(), resume=True, duration=5.0)
        resumed_with = [request.headers.get("last-event-id") for request in server.requests]
    assert resumed_with == [None, None, "3"]
    [(severity, message)] = findings_of(report, "resume.continuity")
    assert severity == "info" and message.startswith("resumed after id 3 with 4, 5, 6")


def test_events_without_an_id_field_keep_the_last_id_and_are_no_repeat():
    def script(request, index):
        first = int(request.headers.get("last-event-id", "0")) + 1
        return good_stream(b"".join(b"id: %d\ndata: a\n\ndata: b\n\n" % n for n in range(first, 7)))

    with HostileServer(script) as server:
        report = check(server.url(), resume=True, duration=5.0)
    [(severity, message)] = findings_of(report, "resume.continuity")
    assert severity == "info" and message.startswith("resumed after id 2 with 3, 4"), message


def test_lost_events_are_named():
    with HostileServer(CASES["events lost on resume"].script) as server:
        report = check(server.url(), resume=True, duration=5.0)
    [(severity, message)] = findings_of(report, "resume.continuity")
    assert severity == "error" and "id 4 lost" in message


def test_header_findings_stop_at_a_status_other_than_200():
    with HostileServer(CASES["status 404"].script) as server:
        report = check(server.url(), duration=5.0)
    assert [item.rule for item in report.findings] == ["status"]
    assert report.status == 404 and report.errors


def test_the_report_keeps_the_response_head_and_timing():
    with HostileServer(good_stream(b"data: one\n\n")) as server:
        report = check(server.url("/events?x=1"), headers={"Authorization": "Bearer t"}, duration=5.0)
        request = server.requests[0]
    assert request.target == "/events?x=1" and request.headers["authorization"] == "Bearer t"
    assert request.headers["accept"] == "text/event-stream"
    assert report.http_version == "1.1" and report.reason == "OK"
    assert ("x-accel-buffering", "no") in report.headers
    assert report.timing["events"] == 1 and report.timing["first_event"] >= report.timing["first_byte"] >= 0


def test_a_connection_failure_raises_check_error():
    port = _closed_port()
    with pytest.raises(CheckError, match="cannot connect"):
        check(f"http://127.0.0.1:{port}/", connect_timeout=5.0)


def test_a_silent_server_raises_check_error():
    with HostileServer([b""]) as server:  # closes without a head
        with pytest.raises(CheckError, match="closed before the response head"):
            check(server.url(), duration=5.0)


def test_a_bad_duration_is_refused():
    with pytest.raises(ValueError):
        check("http://127.0.0.1:1/", duration=0)


def test_progress_is_called_with_events_and_elapsed_time():
    calls = []
    with http_server(paced_source(count=3)) as port:
        check(f"http://127.0.0.1:{port}/", duration=5.0, progress=lambda events, elapsed: calls.append((events, elapsed)))
    assert calls and calls[-1][0] == 3
    assert [elapsed for _, elapsed in calls] == sorted(elapsed for _, elapsed in calls)


def test_https_sees_the_same_bytes(tls_contexts):
    server_context, client_context = tls_contexts
    with HostileServer(CASES["id with NUL"].script, ssl_context=server_context) as server:
        report = check(server.url(), duration=5.0, ssl_context=client_context)
    assert report.url.startswith("https://")
    assert findings_of(report, "framing.id-nul")
    assert report.timing["events"] == 1


def test_https_verifies_the_certificate(tls_contexts):
    server_context, _ = tls_contexts
    with HostileServer(good_stream(b"data: one\n\n"), ssl_context=server_context) as server:
        with pytest.raises(CheckError, match="TLS with 127.0.0.1:.* failed: .*CERTIFICATE_VERIFY_FAILED"):
            check(server.url(), duration=5.0)


# assert_conforms


def test_assert_conforms_passes_a_clean_server_and_returns_the_report():
    with http_server(paced_source(count=2)) as port:
        report = assert_conforms(f"http://127.0.0.1:{port}/", duration=5.0)
    assert report.ok


def test_assert_conforms_lists_each_violation_with_rule_and_spec():
    steps = good_stream(b"data: caf\xe9\n\ndata: x\n", headers=[("Content-Type", "text/plain")])
    with HostileServer(steps) as server:
        with pytest.raises(AssertionError) as info:
            assert_conforms(server.url(), duration=5.0)
    lines = str(info.value).splitlines()
    assert lines[0].endswith("does not conform: 3 finding(s) of severity error or worse")
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "error header.content-type",
        "error framing.utf8",
        "error framing.unterminated",
    ]
    assert all(line.endswith(")") and "WHATWG HTML 9.2" in line for line in lines[1:])


def test_assert_conforms_fails_on_warnings_when_asked():
    with HostileServer(CASES["no cache-control"].script) as server:
        assert_conforms(server.url(), duration=5.0)
        with pytest.raises(AssertionError, match="warning header.cache-control"):
            assert_conforms(server.url(), duration=5.0, fail_on="warning")
    with pytest.raises(ValueError):
        assert_conforms("http://127.0.0.1:1/", fail_on="fatal")


# the command line


def cli(*args, stderr=subprocess.PIPE):
    return subprocess.run(
        [sys.executable, "-m", "sse_core", "check", *args],
        stdout=subprocess.PIPE,
        stderr=stderr,
        cwd=ROOT,
        timeout=TIMEOUT,
    )


def test_cli_json_document():
    with HostileServer(CASES["id-only block"].script) as server:
        result = cli(server.url(), "--json", "--duration", "5")
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    document = json.loads(result.stdout)
    assert set(document) == {"url", "method", "response", "timing", "findings", "summary"}
    assert document["url"] == server.url() and document["method"] == "GET"
    assert document["response"]["status"] == 200
    assert ["x-accel-buffering", "no"] in document["response"]["headers"]
    assert {"first_byte", "first_event", "events", "longest_gap", "longest_silence", "end"} <= set(document["timing"])
    for item in document["findings"]:
        assert set(item) == {"severity", "rule", "message", "spec"}
        assert item["rule"] in RULES and item["severity"] in SEVERITIES
    assert {"severity": "warning", "rule": "framing.empty-block"}.items() <= next(
        item for item in document["findings"] if item["rule"] == "framing.empty-block"
    ).items()
    assert document["summary"]["error"] == 0 and document["summary"]["warning"] == 1


def test_cli_human_output_and_exit_status_1_on_an_error():
    with HostileServer(CASES["invalid UTF-8"].script) as server:
        result = cli(server.url(), "--duration", "5")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.decode().splitlines()
    pattern = re.compile(r"(error|warning|info) [a-z0-9.-]+: .+ \(.+\)")
    assert all(pattern.fullmatch(line) for line in lines[:-1]), lines
    assert "error framing.utf8: 1 line(s) are not valid UTF-8" in result.stdout.decode()
    assert lines[-1].startswith(f"GET {server.url()}: 200 OK; 1 error(s), 0 warning(s)")


def test_cli_exit_status_0_without_an_error():
    with http_server(paced_source(count=2)) as port:
        result = cli(f"http://127.0.0.1:{port}/", "--duration", "5")
    assert result.returncode == 0, result.stdout
    assert b"0 error(s), 0 warning(s)" in result.stdout


def test_cli_openai_posts_a_default_chat_request(tmp_path):
    with HostileServer(good_stream(b'data: {"choices": []}\n\ndata: [DONE]\n\n')) as server:
        result = cli(server.url(), "--openai", "--duration", "5")
        body_file = tmp_path / "body.json"
        body_file.write_text('{"model": "m", "stream": true}')
        result_with_file = cli(server.url(), "--openai", "-d", f"@{body_file}", "-H", "X-Key: 1", "--duration", "5")
        requests = list(server.requests)
    assert result.returncode == 0 and result_with_file.returncode == 0, (result.stdout, result_with_file.stdout)
    assert requests[0].method == "POST" and json.loads(requests[0].body)["stream"] is True
    assert requests[0].headers["content-type"] == "application/json"
    assert json.loads(requests[1].body) == {"model": "m", "stream": True}
    assert requests[1].headers["x-key"] == "1" and requests[1].headers["content-type"] == "application/json"


def test_cli_method_and_body():
    with HostileServer(good_stream(b"data: one\n\n")) as server:
        result = cli(server.url(), "-X", "PUT", "-d", '{"a": 1}', "--duration", "5")
        [request] = server.requests
    assert result.returncode == 0, result.stdout
    assert request.method == "PUT" and request.body == b'{"a": 1}'


def test_cli_connection_failure_is_one_line_and_exit_status_2():
    result = cli(f"http://127.0.0.1:{_closed_port()}/", "--connect-timeout", "5")
    assert result.returncode == 2
    assert result.stdout == b""
    stderr = result.stderr.decode()
    assert len(stderr.splitlines()) == 1 and stderr.startswith("sse_core check: error: cannot connect"), stderr


@pytest.mark.parametrize("args", [["-H", "no colon"], ["--duration", "0"], ["-d", "@/nonexistent/body.json"]])
def test_cli_bad_usage_exits_2(args):
    result = cli("http://127.0.0.1:1/", *args)
    assert result.returncode == 2
    assert b"Traceback" not in result.stderr and result.stdout == b""


def test_cli_shows_progress_on_a_terminal_only():
    main, secondary = pty.openpty()
    try:
        with http_server(paced_source(count=3, pause=0.3)) as port:
            result = cli(f"http://127.0.0.1:{port}/", "--duration", "5", stderr=secondary)
        os.close(secondary)
        secondary = None
        shown = b""
        while select.select([main], [], [], 1.0)[0]:
            try:
                more = os.read(main, 4096)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not more:
                break
            shown += more
    finally:
        if secondary is not None:
            os.close(secondary)
        os.close(main)
    assert result.returncode == 0
    assert b"\rchecking: 3 event(s)" in shown
    assert shown.endswith(b"\r")  # the line is cleared before the report
    plain = cli(f"http://127.0.0.1:{_closed_port()}/")
    assert b"checking" not in plain.stderr


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_the_readmes_rule_table_is_generated_from_the_rules():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as file:
        readme = file.read()
    start = readme.index("| rule | severity | checks | spec |")
    table = readme[start : readme.index("\n\n", start) + 1]
    # To regenerate: python -c 'from sse_core.checker import rules_markdown; print(rules_markdown(), end="")'
    assert table == rules_markdown()


def test_events_before_a_chunk_framing_fault_are_seen():
    steps = good_stream()[:1] + [b"%x\r\ndata: one\n\n\r\nzz\r\n" % len(b"data: one\n\n")]
    with HostileServer(steps) as server:
        report = check(server.url(), duration=5.0)
    assert report.timing["events"] == 1
    assert [item.rule for item in report.errors] == ["framing.chunked"]


# bounded memory (issue 19): the checker keeps counters and samples, never the stream

_FAST_HEAD = response_head(
    200,
    [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache, no-transform"), ("X-Accel-Buffering", "no")],
    "OK",
)


def _endless(block):
    """A close-delimited stream of ``block`` sent as fast as the client reads, until it leaves."""

    def script(request, index):
        yield _FAST_HEAD
        while True:
            yield block

    return script


def _peak_memory_of_check(block, duration):
    with HostileServer(_endless(block)) as server:
        tracemalloc.start()
        try:
            report = check(server.url(), duration=duration)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return peak, report


def test_check_memory_is_bounded_on_an_endless_line():
    # Before: every read was kept, 565 MiB after 2 s; now the decoder's
    # 16 MiB line bound and small change.
    peak, report = _peak_memory_of_check(b"x" * 65536, duration=1.5)
    assert report.timing["body_bytes"] > 2 * DEFAULT_MAX_LINE_SIZE  # the line bound was passed
    assert [item.rule for item in report.errors] == ["framing.limit"]
    assert peak < DEFAULT_MAX_LINE_SIZE + 4 * MIB, peak


def test_check_memory_is_bounded_on_tiny_events_as_fast_as_they_come():
    # Before: every event and read was kept, 37 MiB after 2 s.
    peak, report = _peak_memory_of_check(b"data: x\n\n" * 7000, duration=1.5)
    assert report.timing["events"] > 20000  # about 145,000 here: the stream went as fast as the checker read
    assert peak < 4 * MIB, peak


def test_unknown_field_names_are_counted_in_bounded_memory():
    seen = StreamObserver()
    seen.feed(b"".join(b"f%d: x\n" % number for number in range(1000)) + b"n" * 100 + b": y\n")
    assert len(seen.unknown_fields) == 20 and seen.other_unknown_fields == 981
    assert seen.unknown_fields["f0"] == 1


def test_gaps_between_events_are_exact_then_within_one_percent():
    watch = TimingWatch()
    for number in range(1, 11):
        watch.on_read(Read(number - 0.5, float(number), b"data: x\n\n"), 1)
    assert watch.gaps.median() == 1.0 and watch.gaps.count == 9
    at = 10.0
    for number in range(20000):
        at += 0.001 * (1 + number % 100)  # gaps of 1 to 100 ms, median 51 ms
        watch.on_read(Read(at, at, b"data: x\n\n"), 2)  # and a zero gap each
    # 40,009 gaps: 20,000 zeros, 20,000 of 1-100 ms, nine of 1 s; the middle one is about 1 ms.
    assert watch.gaps.count == 40009 and watch.gaps.largest == 1.0
    assert watch.gaps.median() == pytest.approx(0.001, rel=0.01)


# Content-Encoding (issue 20): decoded, then analysed


def _compressed_stream(compress, coding, events=b"data: one\n\ndata: two\n\ndata: three\n\n"):
    return good_stream(compress(events), headers=[*GOOD_HEADERS, ("Content-Encoding", coding)])


def _gzip_per_event(events, pause=0.0):
    """A gzip stream flushed after each event, as a compressing proxy that flushes would send it."""
    compressor = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
    steps = [response_head(200, [*GOOD_HEADERS, ("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")], "OK")]
    for event in events:
        steps.append(chunk(compressor.compress(event) + compressor.flush(zlib.Z_SYNC_FLUSH)))
        if pause:
            steps.append(Pause(pause))
    return steps + [chunk(compressor.flush()), LAST_CHUNK]


@pytest.mark.parametrize(
    "coding, compress",
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send it
    ],
)
def test_a_compressed_stream_is_decoded_and_analysed(coding, compress):
    with HostileServer(_compressed_stream(compress, coding)) as server:
        report = check(server.url(), duration=5.0)
    assert report.timing["events"] == 3
    assert [item.rule for item in report.findings if item.severity != "info"] == ["header.content-encoding"]
    [(severity, message)] = findings_of(report, "header.content-encoding")
    assert severity == "warning" and message.endswith("(decoded here to analyse its events)")


def test_a_gzip_stream_flushed_per_event_arrives_event_by_event():
    events = [b"id: %d\ndata: event %d\n\n" % (number, number) for number in range(1, 6)]
    with HostileServer(_gzip_per_event(events, pause=0.1)) as server:
        report = check(server.url(), duration=5.0)
    assert report.timing["events"] == 5 and report.timing["end"] == "complete"
    assert findings_of(report, "timing.buffered") == []
    assert not report.errors, report.to_json()


def test_a_gzip_body_cut_short_is_a_compression_error():
    body = gzip.compress(b"data: one\n\n" * 100)[:-4]
    steps = good_stream(body, headers=[*GOOD_HEADERS, ("Content-Encoding", "gzip")])
    with HostileServer(steps) as server:
        report = check(server.url(), duration=5.0)
    assert report.timing["events"] == 100
    [(severity, message)] = findings_of(report, "framing.compression")
    assert severity == "error" and "ended before the end of its compressed data" in message


def test_a_corrupt_gzip_body_is_a_compression_error_not_field_noise():
    with HostileServer(_compressed_stream(lambda data: b"\x1f\x8b" + bytes(range(256)), "gzip")) as server:
        report = check(server.url(), duration=5.0)
    assert [item.rule for item in report.errors] == ["framing.compression"]
    assert findings_of(report, "framing.unknown-field") == findings_of(report, "framing.utf8") == []


def test_a_coding_that_cannot_be_decoded_is_said_and_not_parsed():
    with HostileServer(_compressed_stream(lambda data: bytes(range(256)), "br")) as server:
        report = check(server.url(), duration=5.0)
    [(severity, message)] = findings_of(report, "header.content-encoding")
    assert severity == "warning" and message.endswith("(br cannot be decoded here, so its events are not analysed)")
    assert [item.rule for item in report.findings if item.rule.startswith(("framing.", "openai."))] == []
    assert findings_of(report, "timing.first-event") == []


def test_inflating_comes_in_bounded_pieces():
    bomb = gzip.compress(b"data: x\n\n" * (1 << 20))  # 9 MiB from 9 KiB
    decoder = ContentDecoder("gzip")
    pieces = list(decoder.feed(bomb)) + list(decoder.close())
    assert decoder.error is None and sum(map(len, pieces)) == 9 << 20
    assert max(map(len, pieces)) <= 64 * 1024


def test_several_gzip_members_are_one_body():
    decoder = ContentDecoder("gzip")
    pieces = list(decoder.feed(gzip.compress(b"data: a\n\n") + gzip.compress(b"data: b\n\n"))) + list(decoder.close())
    assert b"".join(pieces) == b"data: a\n\ndata: b\n\n" and decoder.error is None


def test_the_compressed_probe_sends_a_browsers_accept_encoding():
    with HostileServer(good_stream(b"data: one\n\n")) as server:
        report = check(server.url(), duration=5.0, compressed=True)
        [request] = server.requests
    assert request.headers["accept-encoding"] == "gzip, deflate, br"
    [(severity, message)] = findings_of(report, "header.content-encoding")
    assert severity == "info" and message.startswith("the stream came uncompressed")
    with HostileServer(_compressed_stream(gzip.compress, "gzip")) as server:
        report = check(server.url(), duration=5.0, compressed=True)
    [(severity, message)] = findings_of(report, "header.content-encoding")
    assert severity == "warning"
    assert message.startswith("Content-Encoding: gzip in answer to Accept-Encoding: gzip, deflate, br")


def test_cli_compressed_flag():
    with HostileServer(good_stream(b"data: one\n\n")) as server:
        result = cli(server.url(), "--compressed", "--duration", "5")
        [request] = server.requests
    assert result.returncode == 0, result.stdout
    assert request.headers["accept-encoding"] == "gzip, deflate, br"
    assert b"info header.content-encoding: the stream came uncompressed" in result.stdout


# Cache-Control (issue 20): what each directive does, no-transform apart


@pytest.mark.parametrize(
    "value, expected",
    [
        ("no-cache, no-transform", []),
        ("no-store, no-transform", []),
        ("no-store", ["(no-store keeps every cache from storing the stream) lacks no-transform"]),
        ("no-cache", ["(no-cache makes a cache ask the server before reusing a stored response"]),
        ("max-age=60, no-transform", ["lets a cache store the stream and replay it"]),
        ("public", ["lets a cache store the stream and replay it", "lacks no-transform"]),
    ],
)
def test_cache_control_reports_what_each_directive_does(value, expected):
    steps = good_stream(b"data: one\n\n", headers=[*GOOD_HEADERS[:1], ("Cache-Control", value), GOOD_HEADERS[2]])
    with HostileServer(steps) as server:
        report = check(server.url(), duration=5.0)
    messages = [message for _, message in findings_of(report, "header.cache-control")]
    assert len(messages) == len(expected), messages
    for message, part in zip(messages, expected):
        assert part in message
    if "store" in value:
        assert not any("may store" in message or "store the stream and" in message for message in messages)


# resume at Last-Event-ID (issue 20)


def test_resuming_at_the_last_event_id_is_a_repeat_not_ignoring_it():
    with HostileServer(ids_script(lambda last: 1 if last is None else int(last))) as server:
        report = check(server.url(), resume=True, duration=5.0)
    [(severity, message)] = findings_of(report, "resume.continuity")
    assert severity == "error"
    assert message.startswith("after Last-Event-ID: 3 the server sent id 3 again: it resumed at Last-Event-ID instead")
    assert "ignored" not in message


def test_resuming_at_a_non_integer_last_event_id_is_a_repeat():
    def script(request, index):
        names = ["a", "b", "c", "d", "e"]
        last = request.headers.get("last-event-id")
        start = names.index(last) if last else 0
        return good_stream(b"".join(b"id: %s\ndata: x\n\n" % name.encode() for name in names[start:]))

    with HostileServer(script) as server:
        report = check(server.url(), resume=True, duration=5.0)
    [(severity, message)] = findings_of(report, "resume.continuity")
    assert severity == "error" and "sent id 'c' again: it resumed at Last-Event-ID instead of after it" in message


def test_starting_over_is_ignoring_last_event_id():
    with HostileServer(CASES["Last-Event-ID ignored"].script) as server:
        report = check(server.url(), resume=True, duration=5.0)
    [(severity, message)] = findings_of(report, "resume.continuity")
    assert severity == "error" and "sent id 1 again: it ignored Last-Event-ID and started over" in message


# an error status shows its body; heartbeat advice follows the idle limit (issue 20)


@pytest.mark.parametrize(
    "body, shown",
    [
        (b'{"error": {"message": "The model is overloaded.", "type": "server_error"}}', "The model is overloaded."),
        (b"upstream\r\nunavailable", "upstream unavailable"),
        (b"x" * 100000, "x" * 300 + "..."),
    ],
)
def test_an_error_status_shows_what_its_body_says(body, shown):
    steps = [response_head(503, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]), body]
    with HostileServer(steps) as server:
        report = check(server.url(), duration=5.0)
    [(severity, message)] = findings_of(report, "status")
    assert severity == "error" and message.endswith(f"; the body says: {shown}")


def test_an_error_status_with_a_chunked_endless_body_is_read_only_so_far():
    def script(request, index):
        yield response_head(500, [("Transfer-Encoding", "chunked")])
        yield chunk(b"internal error ")
        while True:
            yield chunk(b"x" * 65536)

    with HostileServer(script) as server:
        report = check(server.url(), duration=5.0)
    [(_, message)] = findings_of(report, "status")
    assert "the body says: internal error xxx" in message


def test_heartbeat_advice_follows_the_idle_limit():
    steps = [*good_stream(b"data: one\n\n")[:2], Pause(0.6), *good_stream(b"data: two\n\n")[1:]]
    with HostileServer(steps) as server:
        report = check(server.url(), duration=5.0, idle_limit=0.5)
    [(severity, message)] = findings_of(report, "timing.heartbeat")
    assert severity == "warning" and "every 125 ms or so" in message and "15 s" not in message


# Ctrl-C (issue 20): the partial report


def test_ctrl_c_raises_check_interrupted_with_the_report_so_far():
    def interrupt(events, elapsed):
        if events:
            raise KeyboardInterrupt

    head = response_head(200, [*GOOD_HEADERS, ("Transfer-Encoding", "chunked")], "OK")
    steps = [head, chunk(b"id: 1\ndata: one\n\n"), HOLD]
    with HostileServer(steps) as server:
        with pytest.raises(CheckInterrupted) as info:
            check(server.url(), duration=5.0, resume=True, progress=interrupt)
    report = info.value.report
    assert isinstance(info.value, KeyboardInterrupt)
    assert report.status == 200 and report.timing["events"] == 1 and report.timing["end"] == "interrupted"
    assert findings_of(report, "timing.first-event") and not findings_of(report, "resume.continuity")


def test_cli_ctrl_c_prints_the_partial_report_and_exits_130():
    main, secondary = pty.openpty()
    steps = [response_head(200, [*GOOD_HEADERS, ("Transfer-Encoding", "chunked")], "OK"), chunk(b"data: one\n\n"), HOLD]
    try:
        with HostileServer(steps) as server:
            process = subprocess.Popen(
                [sys.executable, "-m", "sse_core", "check", server.url(), "--duration", "30"],
                stdout=subprocess.PIPE,
                stderr=secondary,
                cwd=ROOT,
            )
            shown = b""
            # The progress line on the terminal says when the event is in.
            while b"1 event(s)" not in shown and select.select([main], [], [], TIMEOUT)[0]:
                shown += os.read(main, 4096)
            process.send_signal(signal.SIGINT)
            stdout, _ = process.communicate(timeout=TIMEOUT)
    finally:
        os.close(secondary)
        os.close(main)
    assert process.returncode == 130
    lines = stdout.decode().splitlines()
    assert "info timing.first-event: the first event came" in stdout.decode()
    assert lines[-1].startswith(f"GET {server.url()}: 200 OK;") and "1 event(s)" in lines[-1]


# the core's response reader under capture (issue 15)


def test_a_chunk_framing_fault_followed_by_silence_is_reported_at_once():
    steps = [*good_stream()[:1], b"%x\r\ndata: one\n\n\r\nzz\r\n" % len(b"data: one\n\n"), HOLD]
    with HostileServer(steps) as server:
        report = check(server.url(), duration=5.0)
    assert report.timing["events"] == 1 and report.timing["end"] == "cut"
    assert report.timing["elapsed"] < 1.0
    assert [item.rule for item in report.errors] == ["framing.chunked"]


def test_interim_responses_are_skipped_and_a_flood_of_them_is_a_malformed_head():
    interim = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n"
    with HostileServer([interim, *good_stream(b"data: one\n\n")]) as server:
        report = check(server.url(), duration=5.0)
    assert report.status == 200 and report.timing["events"] == 1 and not report.errors
    with HostileServer([interim * 51, HOLD]) as server:
        report = check(server.url(), duration=5.0)
    [(severity, message)] = findings_of(report, "http.head")
    assert severity == "error" and "max_interim_responses" in message
