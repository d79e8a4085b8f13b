"""No control character a peer sends reaches a terminal or a log raw (C0, DEL and C1 alike).

Each printer of the command line (``get`` in each output mode, its messages,
``check`` in each mode, ``parse``) and the mock server's request log meets a
loopback peer whose event fields, headers, reason phrase and error bodies
carry ESC, CSI, OSC, BEL, DEL and the one-character C1 CSI (U+009B). The
event stream text and ``--openai`` text are checked twice: escaped on a
terminal (a real pseudo-terminal), byte for byte through a pipe.
"""

import io
import json
import os
import select
import socket
import subprocess
import sys
from typing import List, Tuple

import pytest

from sse_core import Event, SSEDecoder
from sse_core.cli import main
from sse_core.mock import MockServer

from .hostile_server import HostileServer, chunk, response_head, sse_head

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 15  # seconds; a healthy run takes a small fraction of this
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
FAST = ["--connect-timeout", "5", "--idle-timeout", "5"]

# Clear the screen, set the window title (OSC ... BEL), DEL, the C1 CSI
# (U+009B: "31m" turns text red on a terminal that takes C1), C1 OSC.
HOSTILE = "\x1b[2J\x1b]0;pwned\x07\x7f\x9b31m\x9d"
EVENT = Event(f"d{HOSTILE}\nline 2", f"e{HOSTILE}", f"i{HOSTILE}", None)
STREAM = f"event: {EVENT.event}\nid: {EVENT.id}\ndata: d{HOSTILE}\ndata: line 2\n\n".encode("utf-8")
# Header values and the reason phrase are latin-1: byte 0x9b is U+009B. Our
# head parser refuses other controls there, on both transports.
HEADER_VALUE = "a\x9b2Jb"

TRANSPORTS = pytest.mark.parametrize("transport", ["socket", "http.client"])


def raw_controls(output: bytes, keep: str = "\n") -> List[str]:
    """The control characters (C0 but ``keep``, DEL, C1) in ``output``, which must be UTF-8."""
    text = output.decode("utf-8")  # strict: a stray byte 0x9b is a C1 CSI to an 8-bit terminal
    return [c for c in text if (c < " " and c not in keep) or "\x7f" <= c <= "\x9f"]


def run_get(capsysbinary, *args: str) -> Tuple[int, bytes, bytes]:
    status = main(["get", *FAST, *args])
    out, err = capsysbinary.readouterr()
    return status, out, err


def decode(text: bytes) -> List[Event]:
    decoder = SSEDecoder()
    return decoder.feed(text) + decoder.close()


def on_terminal(*args: str) -> Tuple[int, bytes, bytes]:
    """Run ``python -m sse_core ARGS`` with stdout on a pseudo-terminal; return (status, stdout, stderr)."""
    pty = pytest.importorskip("pty")
    tty = pytest.importorskip("tty")
    master, slave = pty.openpty()
    tty.setraw(slave)  # no LF -> CR LF on output: the bytes arrive as written
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sse_core", *args],
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env=ENV,
        )
    finally:
        os.close(slave)
    out = b""
    try:
        while select.select([master], [], [], TIMEOUT)[0]:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            out += data
        status = proc.wait(TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    err = proc.stderr.read()
    proc.stderr.close()
    return status, out, err


def event_stream_server() -> HostileServer:
    return HostileServer([sse_head("close") + STREAM])


# --- get: the event stream text ------------------------------------------------------


def test_get_on_a_terminal_escapes_controls_in_the_event_stream_text():
    with event_stream_server() as server:
        status, out, err = on_terminal("get", *FAST, server.url())
    assert (status, err) == (0, b"")
    assert raw_controls(out) == []
    assert out == (
        "event: e\\x1b[2J\\x1b]0;pwned\\x07\\x7f\\x9b31m\\x9d\n"
        "id: i\\x1b[2J\\x1b]0;pwned\\x07\\x7f\\x9b31m\\x9d\n"
        "data: d\\x1b[2J\\x1b]0;pwned\\x07\\x7f\\x9b31m\\x9d\n"
        "data: line 2\n\n"
    ).encode("utf-8")


def test_get_through_a_pipe_writes_the_event_stream_byte_for_byte(capsysbinary):
    with event_stream_server() as server:
        status, out, err = run_get(capsysbinary, server.url())
    assert (status, err) == (0, b"")
    assert out == STREAM
    assert decode(out) == [EVENT]


@TRANSPORTS
def test_get_json_escapes_every_control_and_keeps_the_values(capsysbinary, transport):
    head = response_head(200, [("Content-Type", "text/event-stream"), ("X-Evil", HEADER_VALUE)], "O\x9bK")
    with HostileServer([head + STREAM]) as server:
        status, out, err = run_get(capsysbinary, "--json", "-i", "--transport", transport, server.url())
    assert (status, err) == (0, b"")
    assert raw_controls(out) == []
    assert b"\\u009b" in out and b"\\u001b" in out and b"\\u007f" in out
    head, event = [json.loads(line) for line in out.split(b"\n")[:-1]]
    assert head["reason"] == "O\x9bK"
    assert ["x-evil", HEADER_VALUE] in head["headers"]
    assert event == {"event": EVENT.event, "data": EVENT.data, "id": EVENT.id}


@TRANSPORTS
def test_get_include_escapes_the_status_line_and_headers(capsysbinary, transport):
    head = response_head(200, [("Content-Type", "text/event-stream"), ("X-Evil", HEADER_VALUE)], "O\x9bK")
    with HostileServer([head + b"data: a\n\n"]) as server:
        status, out, err = run_get(capsysbinary, "-i", "--transport", transport, server.url())
    assert (status, err) == (0, b"")
    shown_head, events = out.split(b"\n\n", 1)
    assert raw_controls(shown_head) == []
    assert shown_head.startswith(b"HTTP 200 O\\x9bK\n")
    assert b"x-evil: a\\x9b2Jb" in shown_head
    assert events == b"data: a\n\n"


# --- get --openai ------------------------------------------------------------------------


def chat_stream(text: str) -> bytes:
    payload = json.dumps({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": text}}]})
    return sse_head() + chunk(f"data: {payload}\n\ndata: [DONE]\n\n".encode("utf-8"))


def test_get_openai_on_a_terminal_escapes_the_text():
    with HostileServer([chat_stream(f"hi{HOSTILE}\tthere\n")]) as server:
        status, out, err = on_terminal("get", *FAST, "--openai", server.url())
    assert (status, err) == (0, b"")
    assert raw_controls(out, keep="\n\t") == []
    assert out == b"hi\\x1b[2J\\x1b]0;pwned\\x07\\x7f\\x9b31m\\x9d\tthere\n"


def test_get_openai_through_a_pipe_writes_the_text_as_sent(capsysbinary):
    with HostileServer([chat_stream(f"hi{HOSTILE}")]) as server:
        status, out, err = run_get(capsysbinary, "--openai", server.url())
    assert (status, err) == (0, b"")
    assert out == f"hi{HOSTILE}\n".encode("utf-8")


@pytest.mark.parametrize(
    "data",
    [HOSTILE, json.dumps({"error": {"message": HOSTILE, "type": HOSTILE}})],
    ids=["text", "json"],
)
def test_get_openai_error_event_reaches_stderr_escaped(capsysbinary, data):
    stream = f"event: error\ndata: {data}\n\n".encode("utf-8")
    with HostileServer([sse_head("close") + stream]) as server:
        status, out, err = run_get(capsysbinary, "--openai", server.url())
    assert (status, out) == (1, b"")
    assert raw_controls(err) == []
    assert b"\\x9b31m" in err


# --- get: messages on stderr -----------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("application/json", json.dumps({"error": {"message": HOSTILE, "code": HOSTILE}}).encode("utf-8")),
        ("application/json", json.dumps({"detail": HOSTILE}).encode("utf-8")),
        ("text/plain", HOSTILE.encode("utf-8") + b"\r\nsse_core get: forged line\x9b"),
    ],
    ids=["openai-error", "other-json", "text"],
)
def test_get_error_body_and_reason_reach_stderr_escaped(capsysbinary, content_type, body):
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    with HostileServer([response_head(403, headers, "No\x9bpe") + body]) as server:
        status, out, err = run_get(capsysbinary, server.url())
    assert (status, out) == (1, b"")
    assert raw_controls(err) == []
    assert err.startswith(b"sse_core get: error: HTTP 403 No\\x9bpe")


def test_get_body_that_is_not_an_event_stream_reaches_stderr_escaped(capsysbinary):
    body = HOSTILE.encode("utf-8")
    head = response_head(200, [("Content-Type", "text/html\x9b"), ("Content-Length", str(len(body)))])
    with HostileServer([head + body]) as server:
        status, _, err = run_get(capsysbinary, server.url())
    assert status == 1
    assert raw_controls(err) == []
    assert b"\\x9b31m" in err


# --- check ----------------------------------------------------------------------------------------


def check_server() -> HostileServer:
    head = response_head(
        200, [("Content-Type", "text/event-stream"), ("Cache-Control", "no\x9bcache"), ("Connection", "close")], "O\x9bK"
    )
    body = STREAM + f"{HOSTILE}: x\nevent: error\ndata: {HOSTILE}\n\n".encode("utf-8")
    return HostileServer([head + body])


@pytest.mark.parametrize("mode", [[], ["--openai"]], ids=["plain", "openai"])
def test_check_report_escapes_what_it_quotes(capsysbinary, mode):
    with check_server() as server:
        main(["check", "--duration", "5", *mode, server.url()])
    out, err = capsysbinary.readouterr()
    assert raw_controls(out) == [] and raw_controls(err) == []
    assert b"no\\x9bcache" in out and b"200 O\\x9bK" in out
    if mode:  # the error event's data, quoted by the openai rules
        assert b"error in the stream: event 2: \\x1b[2J" in out


@pytest.mark.parametrize("mode", [[], ["--openai"]], ids=["plain", "openai"])
def test_check_json_escapes_every_control_and_keeps_the_values(capsysbinary, mode):
    with check_server() as server:
        main(["check", "--duration", "5", "--json", *mode, server.url()])
    out, err = capsysbinary.readouterr()
    assert raw_controls(out, keep="\n") == [] and raw_controls(err) == []
    report = json.loads(out)
    assert report["response"]["reason"] == "O\x9bK"
    assert ["cache-control", "no\x9bcache"] in report["response"]["headers"]


# --- parse ------------------------------------------------------------------------------------------


def test_parse_json_escapes_every_control_and_keeps_the_values(capsysbinary, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(STREAM)))
    assert main(["parse"]) == 0
    out, _ = capsysbinary.readouterr()
    assert raw_controls(out) == []
    assert json.loads(out) == {"event": EVENT.event, "data": EVENT.data, "id": EVENT.id, "retry": None}


# --- serve: the request log -------------------------------------------------------------------------


def test_serve_request_log_escapes_the_request_line():
    log = io.StringIO()
    with MockServer(log=log) as server:
        with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as conn:
            target = "/x\x1b]0;pwned\x07\x1b[2J\x7f\x9b31m\x9d".encode("latin-1")
            conn.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            while conn.recv(65536):
                pass
    text = log.getvalue()
    assert [c for c in text if (c < " " and c != "\n") or "\x7f" <= c <= "\x9f"] == []
    assert "/x\\x1b]0;pwned\\x07\\x1b[2J\\x7f\\x9b31m\\x9d" in text
