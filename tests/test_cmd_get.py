"""``python -m sse_core get``: in process through ``main`` and as a real subprocess, over loopback.

Every server is a real socket on 127.0.0.1; every subprocess is bounded by
a timeout and killed in a ``finally``.
"""

import json
import os
import pickle
import queue
import signal
import socket
import subprocess
import sys
import threading
from typing import Callable, List, Tuple

import pytest

from sse_core import Event, SSEDecoder
from sse_core.cli import _build_parser, main
from sse_core.decoder import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE
from sse_core.adapters.client import HTTPStatusError, Timeouts, stream

from .hostile_server import (
    AWAIT_CLIENT_CLOSE,
    HOLD,
    LAST_CHUNK,
    RESET,
    HostileServer,
    WaitFor,
    chunk,
    response_head,
    sse_head,
    tls_server,
)
from .serve_process import default_sigint
from .servers import http_server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 15  # seconds; a healthy run takes a small fraction of this
# Without PYTHONUNBUFFERED, as users run it: with it set, stdout is written
# through and a missing flush() would go unnoticed.
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
FAST = ["--connect-timeout", "5", "--idle-timeout", "5"]

TRANSPORTS = pytest.mark.parametrize("transport", ["socket", "http.client"])


def get(capsysbinary, *args: str) -> Tuple[int, bytes, str]:
    """Run ``get`` in process; return (exit status, stdout bytes, stderr text)."""
    try:
        status = main(["get", *FAST, *args])
    except SystemExit as exc:  # argparse's usage errors
        status = exc.code
    out, err = capsysbinary.readouterr()
    return status, out, err.decode("utf-8")


def get_process(*args: str, input: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sse_core", "get", *FAST, *args],
        input=input,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=ENV,
        timeout=TIMEOUT,
    )


def chat_chunk(text: str) -> str:
    return json.dumps({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": text}}]})


def decode(text: bytes) -> List[Event]:
    decoder = SSEDecoder()
    return decoder.feed(text) + decoder.close()


class Reader:
    """Collects a subprocess's stdout in a thread, so the test can wait for a piece with a timeout."""

    def __init__(self, pipe) -> None:
        self.received = b""
        self._pieces: "queue.Queue[bytes]" = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(pipe,), daemon=True)
        self._thread.start()

    def _pump(self, pipe) -> None:
        while True:
            data = os.read(pipe.fileno(), 65536)
            self._pieces.put(data)
            if not data:
                return

    def until(self, done: Callable[[bytes], bool], timeout: float = 5.0) -> bytes:
        """Wait until ``done(received)``; fail if the output stops short of it."""
        while not done(self.received):
            try:
                data = self._pieces.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(f"no more output within {timeout} s; got {self.received!r}")
            if not data:
                pytest.fail(f"stdout closed; got {self.received!r}")
            self.received += data
        return self.received

    def join(self) -> None:
        self._thread.join(TIMEOUT)

    def all(self) -> bytes:
        """Everything received, once the pipe has closed."""
        self.join()
        while not self._pieces.empty():
            self.received += self._pieces.get_nowait()
        return self.received


class Process:
    """``get`` as a subprocess with piped stdout and stderr, killed on exit."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sse_core", "get", *FAST, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env=ENV,
            preexec_fn=default_sigint if os.name == "posix" else None,  # the Ctrl-C tests send SIGINT
        )
        self.stdout = Reader(self.proc.stdout)

    def __enter__(self) -> "Process":
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(TIMEOUT)
        self.stdout.join()
        self.proc.stdout.close()
        self.proc.stderr.close()

    def finish(self) -> Tuple[int, bytes, str]:
        status = self.proc.wait(TIMEOUT)
        return status, self.stdout.all(), self.proc.stderr.read().decode("utf-8")


# --- output formats ------------------------------------------------------------


def varied_source(ctx):
    yield {"data": "line 1\nline 2", "event": "delta", "id": "1", "retry": 2500}
    yield "same id"
    yield {"data": "", "id": ""}
    yield {"data": "naïve ✓", "event": "x", "id": "é"}


VARIED = [
    Event("line 1\nline 2", "delta", "1", 2500),
    Event("same id", "message", "1", None),
    Event("", "message", "", None),
    Event("naïve ✓", "x", "é", None),
]


@TRANSPORTS
def test_default_output_is_event_stream_text_that_decodes_to_the_same_events(capsysbinary, transport):
    with http_server(varied_source) as port:
        status, out, err = get(capsysbinary, "--transport", transport, f"http://127.0.0.1:{port}/")
    assert (status, err) == (0, "")
    assert out == (
        b"event: delta\nid: 1\nretry: 2500\ndata: line 1\ndata: line 2\n\n"
        b"data: same id\n\n"
        b"id: \ndata: \n\n"
        b"event: x\nid: \xc3\xa9\ndata: na\xc3\xafve \xe2\x9c\x93\n\n"
    )
    assert decode(out) == VARIED


@TRANSPORTS
def test_json_prints_one_object_per_event_with_event_data_and_id(capsysbinary, transport):
    with http_server(varied_source) as port:
        status, out, err = get(capsysbinary, "--json", "--transport", transport, f"http://127.0.0.1:{port}/")
    assert (status, err) == (0, "")
    lines = [json.loads(line) for line in out.split(b"\n")[:-1]]
    assert lines == [{"event": e.event, "data": e.data, "id": e.id} for e in VARIED]


def test_done_is_printed_and_ends_the_stream_while_the_server_holds_it_open(capsysbinary):
    script = [sse_head(), chunk(b"data: one\n\ndata: [DONE]\n\ndata: never printed\n\n"), AWAIT_CLIENT_CLOSE]
    with HostileServer(script) as server:
        status, out, err = get(capsysbinary, server.url())
    assert (status, err) == (0, "")
    assert out == b"data: one\n\ndata: [DONE]\n\n"
    assert server.client_closed == [True]


def test_include_prints_the_status_and_headers_first(capsysbinary):
    script = [sse_head("close", extra=[("X-Trace", "abc")]) + b"data: a\n\n"]
    with HostileServer(script) as server:
        status, out, _ = get(capsysbinary, "-i", server.url())
        assert status == 0
        assert out == (
            b"HTTP 200 OK\ncontent-type: text/event-stream; charset=utf-8\nx-trace: abc\nconnection: close\n\n"
            b"data: a\n\n"
        )
        status, out, _ = get(capsysbinary, "--include", "--json", server.url())
    assert status == 0
    head, event = [json.loads(line) for line in out.split(b"\n")[:-1]]
    assert head["status"] == 200 and head["reason"] == "OK"
    assert ["x-trace", "abc"] in head["headers"]
    assert event == {"event": "message", "data": "a", "id": ""}


def test_a_204_prints_nothing_and_exits_0(capsysbinary):
    with HostileServer([response_head(204, reason="No Content")]) as server:
        assert get(capsysbinary, server.url()) == (0, b"", "")


# --- the request -------------------------------------------------------------------


def test_method_headers_and_json_body_are_sent_as_given(capsysbinary):
    script = [sse_head("close")]
    with HostileServer(script) as server:
        status, _, err = get(
            capsysbinary,
            "-X", "PUT",
            "-H", "Authorization: Bearer t0k",
            "-H", "X-Empty:",
            "-H", "X-Spaces:  v a l  ",
            "-H", "Accept: text/event-stream, */*",
            "-d", '{"a": [1, 2],  "b": "é"}',
            server.url("/path?q=1"),
        )  # fmt: skip
    assert (status, err) == (0, "")
    (request,) = server.requests
    assert (request.method, request.target) == ("PUT", "/path?q=1")
    assert request.body == '{"a": [1, 2],  "b": "é"}'.encode("utf-8")  # byte for byte
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == "Bearer t0k"
    assert request.headers["x-empty"] == ""
    assert request.headers["x-spaces"] == "v a l"
    assert request.headers["accept"] == "text/event-stream, */*"


def test_the_method_is_get_by_default_and_post_with_a_body(capsysbinary):
    with HostileServer([sse_head("close")]) as server:
        assert get(capsysbinary, server.url())[0] == 0
        assert get(capsysbinary, "-d", "{}", "-H", "Content-Type: application/vnd.x+json", server.url())[0] == 0
    first, second = server.requests
    assert (first.method, first.body, "content-type" in first.headers) == ("GET", b"", False)
    assert (second.method, second.body) == ("POST", b"{}")
    assert second.headers["content-type"] == "application/vnd.x+json"  # the user's replaces ours


def test_last_event_id_is_sent(capsysbinary):
    with HostileServer([sse_head("close")]) as server:
        assert get(capsysbinary, "--last-event-id", "41", server.url())[0] == 0
    assert server.requests[0].headers["last-event-id"] == "41"


def test_data_from_a_file(capsysbinary, tmp_path):
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi ✓"}]}, indent=1).encode("utf-8")
    path = tmp_path / "body.json"
    path.write_bytes(body)
    with HostileServer([sse_head("close")]) as server:
        assert get(capsysbinary, "-d", f"@{path}", server.url())[0] == 0
    assert (server.requests[0].method, server.requests[0].body) == ("POST", body)


def test_data_from_stdin():
    with HostileServer([sse_head("close") + b"data: ok\n\n"]) as server:
        result = get_process("-d", "@-", server.url(), input=b'{"from": "stdin"}')
    assert (result.returncode, result.stdout, result.stderr) == (0, b"data: ok\n\n", b"")
    assert server.requests[0].body == b'{"from": "stdin"}'


# --- usage errors --------------------------------------------------------------------


def usage_error(capsysbinary, server: HostileServer, *args: str) -> str:
    status, out, err = get(capsysbinary, *args)
    assert (status, out) == (2, b""), err
    assert "Traceback" not in err
    assert not server.requests, "nothing may be sent"
    return err.splitlines()[-1]


@pytest.mark.parametrize(
    "header",
    ["no colon", "Two Words: x", ": no name", "X-Bad: a\r\nX-Smuggled: 1", "X-Nul: a\x00b", "Ünïcode: x"],
)
def test_a_malformed_header_is_a_usage_error(capsysbinary, header):
    with HostileServer([sse_head("close")]) as server:
        message = usage_error(capsysbinary, server, "-H", header, server.url())
    assert "argument -H/--header" in message


def test_a_body_that_is_not_json_is_a_usage_error(capsysbinary, tmp_path):
    not_utf8 = tmp_path / "latin1.json"
    not_utf8.write_bytes(b'{"a": "\xe9"}')
    with HostileServer([sse_head("close")]) as server:
        assert "-d: the body is not valid JSON" in usage_error(capsysbinary, server, "-d", "{'a': 1}", server.url())
        missing = tmp_path / "missing.json"
        assert f"-d: cannot read {missing}" in usage_error(capsysbinary, server, "-d", f"@{missing}", server.url())
        assert "is not UTF-8" in usage_error(capsysbinary, server, "-d", f"@{not_utf8}", server.url())


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--openai", "-X", "GET"], "--openai always POSTs"),
        (["--openai", "-d", "[1, 2]"], "needs a JSON object"),
        (["--openai", "-d", "null"], "needs a JSON object"),
        (["--openai", "--reconnect"], "cannot be combined"),
        (["--openai", "--json"], "not allowed with argument"),
        (["--max-reconnects", "3"], "--max-reconnects needs --reconnect"),
        (["--max-reconnects", "-1", "--reconnect"], "expected a number or 'none'"),
        (["--idle-timeout", "-1"], "expected seconds or 'none'"),
        (["--connect-timeout", "nan"], "expected seconds or 'none'"),
        (["--idle-timeout", "inf"], "expected seconds or 'none'"),
        (["--transport", "curl"], "invalid choice"),
        (["-X", "GE T"], "invalid method"),
    ],
)
def test_options_that_do_not_fit_are_usage_errors(capsysbinary, args, expected):
    with HostileServer([sse_head("close")]) as server:
        assert expected in usage_error(capsysbinary, server, *args, server.url())


def test_an_unsupported_url_is_a_usage_error(capsysbinary):
    status, _, err = get(capsysbinary, "ftp://127.0.0.1/")
    assert status == 2
    assert "unsupported URL scheme" in err


@pytest.mark.parametrize("value", ["0", "none", "NONE"])
def test_a_timeout_of_0_or_none_means_no_bound(capsysbinary, value):
    args = _build_parser().parse_args(["get", "--idle-timeout", value, "--connect-timeout", value, "http://h/"])
    assert (args.idle_timeout, args.connect_timeout) == (None, None)
    with HostileServer([sse_head("close") + b"data: a\n\n"]) as server:
        status, out, _ = get(capsysbinary, "--idle-timeout", value, "--connect-timeout", value, server.url())
    assert (status, out) == (0, b"data: a\n\n")


def test_timeouts_default_to_the_clients(capsysbinary):
    args = _build_parser().parse_args(["get", "--idle-timeout", "2.5", "http://h/"])
    assert (args.idle_timeout, args.connect_timeout) == (2.5, Timeouts().connect)
    assert _build_parser().parse_args(["get", "http://h/"]).idle_timeout == Timeouts().idle


# --- --openai ------------------------------------------------------------------------


@TRANSPORTS
def test_openai_prints_the_assembled_text_and_stops_at_done(capsysbinary, transport):
    seen = {}

    def source(ctx):
        seen["body"] = json.loads(ctx.body)
        seen["method"] = ctx.request_head.method
        yield json.dumps({"choices": [{"index": 0, "delta": {"role": "assistant"}}]})
        for text in ["Hel", "lo", ", wörld"]:
            yield chat_chunk(text)
        yield json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        yield "[DONE]"
        yield chat_chunk(" after done")
        ctx.wait(TIMEOUT)

    # The heartbeat lets the server notice that the client has gone.
    with http_server(source, heartbeat=0.05) as port:
        status, out, err = get(
            capsysbinary,
            "--openai",
            "--transport", transport,
            "-d", '{"model": "m", "messages": []}',
            f"http://127.0.0.1:{port}/v1/chat/completions",
        )  # fmt: skip
    assert (status, err) == (0, "")
    assert out == "Hello, wörld\n".encode("utf-8")
    assert seen == {"method": "POST", "body": {"model": "m", "messages": [], "stream": True}}


def test_openai_adds_no_second_newline_and_posts_an_empty_object_without_d(capsysbinary):
    bodies = []

    def source(ctx):
        bodies.append(json.loads(ctx.body))
        yield chat_chunk("line\n")
        yield "[DONE]"

    with http_server(source) as port:
        assert get(capsysbinary, "--openai", f"http://127.0.0.1:{port}/") == (0, b"line\n", "")
    assert bodies == [{"stream": True}]


def test_openai_error_event_is_printed_readably_with_exit_1(capsysbinary):
    def source(ctx):
        yield chat_chunk("partial")
        error = {"error": {"message": "The server is overloaded", "type": "server_error", "code": None}}
        yield {"event": "error", "data": json.dumps(error)}

    with http_server(source) as port:
        status, out, err = get(capsysbinary, "--openai", f"http://127.0.0.1:{port}/")
    assert status == 1
    assert out == b"partial\n"
    assert err == "sse_core get: error: the server sent an error event: The server is overloaded (type: server_error)\n"


def test_openai_error_event_text_reaches_the_terminal_escaped(capsysbinary):
    def source(ctx):
        yield {"event": "error", "data": "\x1b]0;pwned\x07 plain text\x9b"}

    with http_server(source) as port:
        status, _, err = get(capsysbinary, "--openai", f"http://127.0.0.1:{port}/")
    assert status == 1
    assert err == "sse_core get: error: the server sent an error event: \\x1b]0;pwned\\x07 plain text\\x9b\n"


def test_openai_data_that_is_not_json_exits_1(capsysbinary):
    def source(ctx):
        yield "not json"

    with http_server(source) as port:
        status, out, err = get(capsysbinary, "--openai", f"http://127.0.0.1:{port}/")
    assert (status, out) == (1, b"")
    assert err == "sse_core get: error: an event's data is not JSON: not json\n"


def test_openai_stream_ending_without_done_is_truncated_with_exit_4(capsysbinary):
    script = [sse_head(), chunk(f"data: {chat_chunk('cut')}\n\n".encode()), RESET]
    with HostileServer(script) as server:
        status, out, err = get(capsysbinary, "--openai", server.url())
    assert (status, out) == (4, b"cut\n")
    assert err.startswith("sse_core get: error: the stream ended without [DONE]: the stream was cut short")
    assert len(err.splitlines()) == 1


# --- errors from the server ---------------------------------------------------------------


def error_response(status: int, reason: str, body: bytes, content_type: str = "application/json") -> bytes:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    return response_head(status, headers, reason) + body


@pytest.mark.parametrize("mode", [[], ["--openai"], ["--reconnect"]])
def test_an_openai_style_error_body_is_one_readable_line_with_exit_1(capsysbinary, mode):
    body = {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}}
    with HostileServer([error_response(401, "Unauthorized", json.dumps(body).encode())]) as server:
        status, out, err = get(capsysbinary, *mode, server.url())
    assert (status, out) == (1, b"")
    assert err == (
        "sse_core get: error: HTTP 401 Unauthorized: Incorrect API key provided"
        " (type: invalid_request_error, code: invalid_api_key)\n"
    )


@TRANSPORTS
def test_http_status_error_str_is_the_message_get_prints(capsysbinary, transport):
    body = {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}}
    with HostileServer([error_response(401, "Unauthorized", json.dumps(body).encode())]) as server:
        with pytest.raises(HTTPStatusError) as info:
            stream("GET", server.url(), timeouts=Timeouts(connect=5, idle=5), transport=transport)
        status, _, err = get(capsysbinary, "--transport", transport, server.url())
    assert str(info.value) == (
        "HTTP 401 Unauthorized: Incorrect API key provided (type: invalid_request_error, code: invalid_api_key)"
    )
    assert (status, err) == (1, f"sse_core get: error: {info.value}\n")
    assert str(pickle.loads(pickle.dumps(info.value))) == str(info.value)


def test_another_json_error_body_is_pretty_printed(capsysbinary):
    body = json.dumps({"detail": [{"loc": ["body", "model"], "msg": "field required"}]}).encode()
    with HostileServer([error_response(422, "Unprocessable Entity", body)]) as server:
        status, _, err = get(capsysbinary, "-d", "{}", server.url())
    assert status == 1
    title, pretty = err.split("\n", 1)
    assert title == "sse_core get: error: HTTP 422 Unprocessable Entity"
    assert json.loads(pretty) == json.loads(body)
    assert pretty.startswith('{\n  "detail": [')


def test_a_text_error_body_is_trimmed_and_its_control_characters_escaped(capsysbinary):
    body = b"\x1b[2Jcleared? " + b"x" * 5000
    with HostileServer([error_response(502, "Bad Gateway", body, "text/plain")]) as server:
        status, _, err = get(capsysbinary, server.url())
    assert status == 1
    assert err.startswith("sse_core get: error: HTTP 502 Bad Gateway: \\x1b[2Jcleared? xxx")
    assert "\x1b" not in err
    assert err.endswith("... (3013 more characters)\n")


def test_a_response_that_is_not_an_event_stream_is_shown_with_exit_1(capsysbinary):
    body = json.dumps({"object": "chat.completion", "choices": []}).encode()
    with HostileServer([error_response(200, "OK", body)]) as server:
        status, out, err = get(capsysbinary, server.url())
    assert (status, out) == (1, b"")
    assert err.startswith(
        "sse_core get: error: HTTP 200, not an event stream: expected text/event-stream, got 'application/json'\n{\n"
    )


# --- no response, broken streams -------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@TRANSPORTS
def test_connection_refused_is_one_line_with_exit_3(capsysbinary, transport):
    url = f"http://127.0.0.1:{free_port()}/"
    status, out, err = get(capsysbinary, "--transport", transport, url)
    assert (status, out) == (3, b"")
    assert err == f"sse_core get: error: no response from {url}: connection refused\n"


def test_an_untrusted_certificate_is_one_line_with_exit_3(capsysbinary, certificate):
    with tls_server(certificate, [sse_head("close")]) as server:
        status, _, err = get(capsysbinary, server.url())
    assert status == 3
    assert err.startswith(f"sse_core get: error: no response from {server.url()}: TLS certificate verification failed")
    assert len(err.splitlines()) == 1


def test_a_malformed_response_head_is_exit_3(capsysbinary):
    with HostileServer([b"HTTP/1.1 abc\r\n\r\n"]) as server:
        status, _, err = get(capsysbinary, server.url())
    assert status == 3
    assert "malformed response" in err and len(err.splitlines()) == 1


@TRANSPORTS
def test_a_stream_cut_mid_event_is_reported_with_exit_4(capsysbinary, transport):
    with HostileServer([sse_head("close") + b"data: whole\n\ndata: ha"]) as server:
        status, out, err = get(capsysbinary, "--transport", transport, server.url())
    assert (status, out) == (4, b"data: whole\n\n")
    assert err == "sse_core get: error: the stream was cut short in the middle of an event\n"


def test_a_chunked_stream_without_its_last_chunk_is_exit_4(capsysbinary):
    with HostileServer([sse_head(), chunk(b"data: a\n\n")]) as server:
        status, out, err = get(capsysbinary, server.url())
    assert (status, out) == (4, b"data: a\n\n")
    assert err.startswith("sse_core get: error: the stream was cut short: ")


@pytest.mark.parametrize("mode", [[], ["--json"], ["--reconnect"]], ids=["text", "json", "reconnect"])
@pytest.mark.parametrize(
    "limit, stream", [("--max-line-size", b"data: " + b"x" * 60 + b"\n\n"), ("--max-event-size", b"data: 1234\n" * 20 + b"\n")]
)
def test_max_line_and_event_size_bound_the_stream_with_exit_4(capsysbinary, mode, limit, stream):
    with HostileServer([sse_head("close") + b"data: small\n\n" + stream]) as server:
        status, out, err = get(capsysbinary, *mode, limit, "50", server.url())
    assert status == 4 and out.count(b"small") == 1 and b"1234" not in out and b"xxx" not in out
    assert err.startswith("sse_core get: error: the stream passed a size limit: "), err
    assert len(server.requests) == 1  # a limit is not a reason to reconnect


@pytest.mark.parametrize(
    "option, default", [("--max-line-size", DEFAULT_MAX_LINE_SIZE), ("--max-event-size", DEFAULT_MAX_EVENT_SIZE)]
)
def test_max_line_and_event_size_default_to_the_clients_and_none_lifts_them(option, default):
    name = option[2:].replace("-", "_")
    assert getattr(_build_parser().parse_args(["get", "http://h/"]), name) == default
    assert getattr(_build_parser().parse_args(["get", option, "none", "http://h/"]), name) is None
    assert getattr(_build_parser().parse_args(["get", option, "7", "http://h/"]), name) == 7


def test_openai_max_line_size_ends_the_text_with_exit_4(capsysbinary):
    script = [sse_head(), chunk(f"data: {chat_chunk('cut')}\n\ndata: {chat_chunk('x' * 100)}\n\n".encode())]
    with HostileServer(script) as server:
        status, out, err = get(capsysbinary, "--openai", "--max-line-size", "100", server.url())
    assert (status, out) == (4, b"cut\n")
    assert err.startswith("sse_core get: error: the stream ended without [DONE]: the stream passed a size limit: ")


def test_an_idle_stream_times_out_with_exit_4(capsysbinary):
    with HostileServer([sse_head("close") + b"data: a\n\n", HOLD]) as server:
        status, out, err = get(capsysbinary, "--idle-timeout", "0.3", server.url())
    assert (status, out) == (4, b"data: a\n\n")
    assert err == "sse_core get: error: no data for 0.3 s (--idle-timeout)\n"


# --- --reconnect ---------------------------------------------------------------------------


def reconnecting_script(request, index):
    """Two streams that end after one event each, then 204."""
    if index == 2:
        return [response_head(204, reason="No Content")]
    first = b"retry: 10\n" if index == 0 else b""
    return [sse_head("close") + first + b"id: %d\ndata: event %d\n\n" % (index + 1, index + 1)]


@TRANSPORTS
def test_reconnect_sends_last_event_id_until_204(capsysbinary, transport):
    with HostileServer(reconnecting_script) as server:
        status, out, err = get(
            capsysbinary, "--reconnect", "--json", "--last-event-id", "0", "--transport", transport, server.url()
        )
    assert (status, err) == (0, "")
    assert [json.loads(line) for line in out.split(b"\n")[:-1]] == [
        {"event": "message", "data": "event 1", "id": "1"},
        {"event": "message", "data": "event 2", "id": "2"},
    ]
    assert [r.headers.get("last-event-id") for r in server.requests] == ["0", "1", "2"]


def test_reconnect_with_include_prints_each_response_head(capsysbinary):
    with HostileServer(reconnecting_script) as server:
        status, out, _ = get(capsysbinary, "--reconnect", "-i", "-X", "POST", "-d", '{"resume": true}', server.url())
    assert status == 0
    assert [line for line in out.split(b"\n") if line.startswith(b"HTTP ")] == [
        b"HTTP 200 OK",
        b"HTTP 200 OK",
        b"HTTP 204 No Content",
    ]
    assert [r.body for r in server.requests] == [b'{"resume": true}'] * 3
    assert [r.method for r in server.requests] == ["POST"] * 3


def test_reconnect_gives_up_after_max_reconnects_with_exit_4(capsysbinary):
    script = [sse_head("close") + b"retry: 10\ndata: again\n\n"]
    with HostileServer(script) as server:
        status, out, err = get(capsysbinary, "--reconnect", "--max-reconnects", "2", server.url())
    assert status == 4
    assert out == b"retry: 10\ndata: again\n\n" * 3
    assert err == "sse_core get: error: gave up after 2 reconnections (the last stream ended: closed)\n"
    assert len(server.requests) == 3


def test_reconnect_that_cannot_connect_is_exit_3(capsysbinary):
    url = f"http://127.0.0.1:{free_port()}/"
    status, _, err = get(capsysbinary, "--reconnect", "--max-reconnects", "0", url)
    assert status == 3
    assert err == f"sse_core get: error: no response from {url}: connection refused\n"


# --- as a process: flushing and Ctrl-C ----------------------------------------------------


@pytest.mark.parametrize(
    "mode, first, ends_first",
    [
        ([], b"data: one\n\n", b"\n\n"),
        (["--json"], b'{"event": "message", "data": "one", "id": ""}\n', b"\n"),
        (["--openai"], b"one", b"one"),
    ],
    ids=["default", "json", "openai"],
)
def test_each_event_is_written_as_it_arrives(mode, first, ends_first):
    read_first = threading.Event()
    payload = chat_chunk("one") if mode == ["--openai"] else "one"
    second = chat_chunk(" two") if mode == ["--openai"] else "two"
    script = [
        sse_head(),
        chunk(f"data: {payload}\n\n".encode()),
        # The next event goes out only once the test has read the first from
        # stdout: the first cannot have been waiting in a buffer for it.
        WaitFor(read_first),
        chunk(f"data: {second}\n\ndata: [DONE]\n\n".encode()),
        LAST_CHUNK,
    ]
    with HostileServer(script) as server, Process(*mode, server.url()) as process:
        try:
            received = process.stdout.until(lambda out: out.endswith(ends_first))
            assert received == first
        finally:
            read_first.set()
        status, out, err = process.finish()
    assert (status, err) == (0, "")
    assert out.startswith(first) and len(out) > len(first)


@pytest.mark.parametrize("mode", [[], ["--openai"], ["--reconnect"]], ids=["default", "openai", "reconnect"])
def test_ctrl_c_exits_130_without_a_traceback_and_closes_the_connection(mode):
    payload = chat_chunk("hi") if mode == ["--openai"] else "hi"
    script = [sse_head("close") + f"data: {payload}\n\n".encode(), AWAIT_CLIENT_CLOSE]
    with HostileServer(script) as server:
        with Process(*mode, server.url()) as process:
            process.stdout.until(lambda out: b"hi" in out)  # connected, now waiting in a read
            process.proc.send_signal(signal.SIGINT)
            status, _, err = process.finish()
    assert status == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert server.client_closed == [True]
