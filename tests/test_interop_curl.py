"""``curl -N`` against ``python -m sse_core serve``: the events arrive one at a time."""

import subprocess
import time

from . import external
from .serve_process import serve, stdout_reads

TIMEOUT = 30  # seconds; the stream below takes about two


def test_curl_sees_paced_events_arrive_one_at_a_time():
    curl = external.program("curl")
    with serve() as url:
        process = subprocess.Popen(
            [curl, "-N", "-s", "--max-time", str(TIMEOUT), f"{url}/events?count=5&interval_ms=400"],
            stdout=subprocess.PIPE,
        )
        arrivals = {}  # event id -> when its line was read
        received = b""
        for data in stdout_reads(process, TIMEOUT):
            received += data
            for line in received.split(b"\n"):
                if line.startswith(b"id: "):
                    arrivals.setdefault(line[4:].decode(), time.monotonic())
    assert process.returncode == 0
    assert received.startswith(b'retry: 1000\n\nid: 1\ndata: {"n": 1, "count": 5}\n\n')
    assert list(arrivals) == ["1", "2", "3", "4", "5"]
    # Four pauses of 0.4 s lie between the first and the last: had curl
    # buffered the stream, they would have come together at the end. The
    # margins are wide; the server cannot send faster than its pacing.
    times = list(arrivals.values())
    assert times[-1] - times[0] > 0.8
    assert sum(later - earlier > 0.1 for earlier, later in zip(times, times[1:])) >= 2
