"""The checker behind a real nginx with its default proxying (buffering on, HTTP/1.0 upstream) and gzip on.

nginx runs with tests/nginx/nginx.conf, which sends /PORT/PATH to the
loopback upstream on PORT. In CI, ``.ci/run`` installs nginx, starts it and
names it in SSE_CORE_NGINX_URL; without that variable the test starts one
itself (its files in a temporary directory) and kills it afterwards. In
CI a missing nginx fails the test (tests/external.py).
"""

import os
import socket
import subprocess
import time
import urllib.parse

import pytest

from sse_core.checker import check

from . import external
from .hostile_server import HostileServer, Pause, response_head
from .servers import http_server

_EVENTS = 10
_PACE = 0.2  # seconds between the upstream's events
_START_LIMIT = 10.0  # seconds nginx may take to listen
_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nginx", "nginx.conf")


def _free_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def _paced_upstream_script():
    # Close-delimited, as an HTTP/1.0 request gets; no X-Accel-Buffering.
    head = response_head(
        200, [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache"), ("Connection", "close")], "OK"
    )
    steps = [head]
    for number in range(1, _EVENTS + 1):
        steps += [b"id: %d\ndata: event %d\n\n" % (number, number), Pause(_PACE)]
    return steps


def _our_source(ctx):
    for number in range(1, _EVENTS + 1):
        yield {"data": f"event {number}", "id": str(number)}
        if ctx.wait(_PACE):
            return


@pytest.fixture(scope="module")
def nginx(tmp_path_factory):
    """The URL of an nginx running tests/nginx/nginx.conf."""
    url = os.environ.get("SSE_CORE_NGINX_URL")
    if url:
        _wait_for_port(None, urllib.parse.urlsplit(url).port, None)
        yield url
        return
    program = external.program("nginx")
    prefix = tmp_path_factory.mktemp("nginx")
    port = _free_port()
    with open(_CONFIG) as template:
        (prefix / "nginx.conf").write_text(template.read().replace("LISTEN_PORT", str(port)))
    process = subprocess.Popen(
        [program, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(prefix / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_port(process, port, prefix)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.communicate(timeout=10)


def _wait_for_port(process, port, tmp_path):
    deadline = time.monotonic() + _START_LIMIT
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            log = (tmp_path / "error.log").read_text() if (tmp_path / "error.log").exists() else ""
            pytest.fail(f"nginx exited with {process.returncode}: {process.stderr.read().decode()} {log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"nginx did not listen on port {port} within {_START_LIMIT} s")


def test_nginx_buffering_is_reported(nginx):
    with HostileServer(_paced_upstream_script()) as upstream:
        report = check(f"{nginx}/{upstream.port}/", duration=15.0)
    assert report.status == 200
    assert report.timing["events"] == _EVENTS and report.timing["end"] == "complete"
    rules = {item.rule: item for item in report.findings}
    assert "timing.buffered" in rules, report.to_json()
    assert rules["timing.buffered"].severity == "warning"


def test_our_server_behind_nginx_is_not_buffered(nginx):
    with http_server(_our_source) as upstream_port:
        report = check(f"{nginx}/{upstream_port}/", duration=15.0)
    assert report.status == 200
    assert report.timing["events"] == _EVENTS and report.timing["end"] == "complete"
    assert "timing.buffered" not in {item.rule for item in report.findings}, report.to_json()
    # One by one: no read brought more than a few events.
    assert report.timing["reads"] >= _EVENTS // 2, report.to_json()


def test_nginx_gzip_is_reported_and_the_stream_still_analysed(nginx):
    with http_server(_our_source) as upstream_port:
        plain = check(f"{nginx}/{upstream_port}/", duration=15.0)
        compressed = check(f"{nginx}/{upstream_port}/", duration=15.0, compressed=True)
    assert "header.content-encoding" not in {item.rule for item in plain.findings}  # not asked, not compressed
    rules = {item.rule: item for item in compressed.findings}
    assert rules["header.content-encoding"].severity == "warning", compressed.to_json()
    assert "Content-Encoding: gzip in answer to Accept-Encoding" in rules["header.content-encoding"].message
    # Decoded: the events are all there, and no field noise from compressed bytes.
    assert compressed.timing["events"] == _EVENTS and compressed.timing["end"] == "complete"
    assert not compressed.errors and "framing.unknown-field" not in rules, compressed.to_json()
