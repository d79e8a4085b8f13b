"""The checker behind a real nginx with its default proxying: buffering on, HTTP/1.0 upstream.

The test starts nginx itself, with a config of its own in a temporary
directory (pid, logs and temp paths there too, one process, listening on a
free loopback port), and kills it in a ``finally``. ``.ci/run`` installs
the nginx package; in CI a missing nginx fails the test (tests/external.py).
"""

import socket
import subprocess
import time

import pytest

from sse_core.checker import check

from . import external
from .hostile_server import HostileServer, Pause, response_head
from .servers import http_server

_EVENTS = 10
_PACE = 0.2  # seconds between the upstream's events
_START_LIMIT = 10.0  # seconds nginx may take to listen

_CONFIG = """\
daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        # nginx's defaults otherwise: proxy_http_version 1.0, proxy_buffering on.
        location /plain/ {{ proxy_pass http://127.0.0.1:{plain}/; }}
        location /ours/ {{ proxy_pass http://127.0.0.1:{ours}/; }}
    }}
}}
"""


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


@pytest.fixture
def nginx(tmp_path):
    """Start nginx in front of both upstreams; yield the URL of each."""
    program = external.program("nginx")
    with HostileServer(_paced_upstream_script()) as plain, http_server(_our_source) as ours_port:
        port = _free_port()
        config = tmp_path / "nginx.conf"
        config.write_text(_CONFIG.format(tmp=tmp_path, port=port, plain=plain.port, ours=ours_port))
        process = subprocess.Popen(
            [program, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            _wait_for_port(process, port, tmp_path)
            yield {"plain": f"http://127.0.0.1:{port}/plain/", "ours": f"http://127.0.0.1:{port}/ours/"}
        finally:
            process.kill()
            process.communicate(timeout=10)


def _wait_for_port(process, port, tmp_path):
    deadline = time.monotonic() + _START_LIMIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (tmp_path / "error.log").read_text() if (tmp_path / "error.log").exists() else ""
            pytest.fail(f"nginx exited with {process.returncode}: {process.stderr.read().decode()} {log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"nginx did not listen on port {port} within {_START_LIMIT} s")


def test_nginx_buffering_is_reported(nginx):
    report = check(nginx["plain"], duration=15.0)
    assert report.status == 200
    assert report.timing["events"] == _EVENTS and report.timing["end"] == "complete"
    rules = {item.rule: item for item in report.findings}
    assert "timing.buffered" in rules, report.to_json()
    assert rules["timing.buffered"].severity == "warning"


def test_our_server_behind_nginx_is_not_buffered(nginx):
    report = check(nginx["ours"], duration=15.0)
    assert report.status == 200
    assert report.timing["events"] == _EVENTS and report.timing["end"] == "complete"
    assert "timing.buffered" not in {item.rule for item in report.findings}, report.to_json()
    # One by one: no read brought more than a few events.
    assert report.timing["reads"] >= _EVENTS // 2, report.to_json()
