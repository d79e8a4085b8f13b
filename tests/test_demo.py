"""``python -m sse_core demo`` and ``serve`` as real subprocesses, as a new user runs them."""

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from typing import Iterator

import pytest

from sse_core.mock import reply_text, tokenize

from .serve_process import default_sigint, stdout_reads

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 30  # seconds; a healthy run takes one or two
# Without PYTHONUNBUFFERED, as users run it: the command must flush by itself.
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
SUMMARY = re.compile(
    r"\[(done|failed)\] first token \d+ ms · (\d+) events · (\d+) tokens · ([\d.]+|–) tokens/s · ended: (.*)"
)


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "sse_core", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=ENV,
        timeout=TIMEOUT,
    )


@pytest.mark.parametrize("transport", ["socket", "http.client"])
def test_demo_prints_the_answer_token_by_token_then_one_summary_line(transport):
    result = run("demo", "--transport", transport)
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    header, answer, summary, end = result.stdout.decode("utf-8").split("\n")
    assert header.startswith("POST http://127.0.0.1:") and header.endswith(f"(stream: true, transport: {transport})")
    assert answer == reply_text("Why stream tokens?")
    match = SUMMARY.fullmatch(summary)
    assert match, summary
    status, events, tokens, rate, ended = match.groups()
    tokens_expected = len(tokenize(answer))
    # role, each token, finish, usage, [DONE]
    assert (status, int(events), int(tokens), ended) == ("done", tokens_expected + 4, tokens_expected, "[DONE]")
    assert float(rate) > 0
    assert end == ""


def test_demo_flushes_each_token_as_it_arrives():
    # Paced at 20 tokens a second, the answer takes over a second: unflushed
    # output would come in one piece at exit instead of many.
    process = subprocess.Popen(
        [sys.executable, "-m", "sse_core", "demo", "--tokens-per-second", "20", "--latency-ms", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        env=ENV,
    )
    pieces = list(stdout_reads(process, TIMEOUT))
    assert process.returncode == 0
    assert b"".join(pieces).decode("utf-8").split("\n")[1] == reply_text("Why stream tokens?")
    assert len(pieces) >= 5, pieces


def test_demo_prompt_and_pacing_options():
    result = run("demo", "--prompt", "Ünïcode 🌊?", "--tokens-per-second", "0", "--latency-ms", "0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode("utf-8").split("\n")[1] == reply_text("Ünïcode 🌊?")


@pytest.mark.parametrize(
    "fault, ended",
    [
        (
            "error:4",
            "error event: The mock server injected this error (fault error:4). (type: server_error, code: mock_fault)",
        ),
        ("close:4", "the stream ended without [DONE] (truncated)"),
    ],
)
def test_demo_with_a_fault_says_how_the_stream_ended_and_fails(fault, ended):
    result = run("demo", "--fault", fault, "--tokens-per-second", "0")
    assert result.returncode == 1, result.stderr
    _, answer, summary, _ = result.stdout.decode("utf-8").split("\n")
    assert answer == "".join(tokenize(reply_text("Why stream tokens?"))[:4])
    match = SUMMARY.fullmatch(summary)
    assert match and match.group(1) == "failed" and match.group(5) == ended, summary


def test_demo_bad_option_is_a_usage_error():
    result = run("demo", "--fault", "explode")
    assert result.returncode == 2
    assert b"explode" in result.stderr


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name != "posix", reason="sends SIGINT")
def test_serve_prints_its_url_answers_and_stops_cleanly_on_ctrl_c():
    process = subprocess.Popen(
        [sys.executable, "-m", "sse_core", "serve", "--port", "0", "--tokens-per-second", "0", "--latency-ms", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=ENV,
        preexec_fn=default_sigint,
    )
    try:
        url = process.stdout.readline().decode("ascii").strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url), url
        request = urllib.request.Request(
            url + "/v1/chat/completions",
            data=json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            completion = json.load(response)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
        process.wait()
    assert completion["choices"][0]["message"]["content"] == reply_text("hi")
    assert process.returncode == 0, stderr
    assert stdout == b""
    assert b"Traceback" not in stderr
    assert b'"POST /v1/chat/completions HTTP/1.1" 200' in stderr


def test_serve_on_a_taken_port_is_a_one_line_error():
    with socket_taken() as port:
        result = run("serve", "--port", str(port))
    assert result.returncode == 1
    assert result.stderr.decode().startswith(f"sse_core serve: error: cannot listen on 127.0.0.1:{port}")
    assert len(result.stderr.splitlines()) == 1


@contextlib.contextmanager
def socket_taken() -> Iterator[int]:
    """A listening socket on a free loopback port, for as long as the with block lasts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]
