"""Headless Chromium loads the mock server's page; its own EventSource reads both streams.

The page logs what it sees to the console (``sse_core KIND {json}``),
which Chromium prints on stderr with ``--enable-logging=stderr``; the
server records what the browser sent, ``Last-Event-ID`` included.
"""

import json
import queue
import re
import subprocess
import threading
import time
import urllib.parse
from typing import Dict, List, Tuple

from sse_core.mock import MockOptions, MockServer, reply_text

from . import external

TIMEOUT = 60.0  # seconds for the browser to start and see everything; a healthy run takes a few
PROMPT = "Hello from Chromium ✓"
EVENTS = "count=5&close_after=2&interval_ms=20&retry=100"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]
CONSOLE_LINE = re.compile(r'"sse_core (\S+) (.*)", source: ')


def watch_page(chromium: str, url: str, profile: str) -> List[Tuple[str, Dict]]:
    """Load ``url``; return the page's reports until the chat has ended and /events has closed."""
    process = subprocess.Popen(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    lines: "queue.Queue[bytes]" = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stderr])
    reader.start()
    reports = []
    deadline = time.monotonic() + TIMEOUT
    try:
        while not {"chat", "events-closed"} <= {kind for kind, _ in reports}:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"the page did not finish within {TIMEOUT} s; it reported {reports}") from None
            match = CONSOLE_LINE.search(line.decode("utf-8", "replace"))
            if match:
                reports.append((match.group(1), json.loads(match.group(2))))
    finally:
        process.kill()
        process.wait()
        reader.join()
        process.stderr.close()
    return reports


def test_the_page_streams_tokens_and_events_with_a_reconnect_by_last_event_id(tmp_path):
    chromium = external.program("chromium")
    query = urllib.parse.urlencode({"events": EVENTS, "prompt": PROMPT})
    with MockServer(options=MockOptions(latency_ms=0, tokens_per_second=200)) as server:
        reports = watch_page(chromium, f"{server.url}/?{query}", str(tmp_path / "profile"))
        events_requests = [request for request in server.requests if request.target.startswith("/events?")]

    chat = [detail for kind, detail in reports if kind == "chat"]
    assert chat == [{"ended": "[DONE]", "tokens": chat[0]["tokens"], "text": reply_text(PROMPT)}]

    events = [detail for kind, detail in reports if kind == "event"]
    assert events == [{"id": str(n), "data": json.dumps({"n": n, "count": 5})} for n in range(1, 6)]
    assert [detail["connection"] for kind, detail in reports if kind == "events-open"] == [1, 2, 3]
    assert [detail for kind, detail in reports if kind == "events-closed"] == [{"connections": 3, "events": 5}]

    # The browser reconnected after each close_after, sending the last id it
    # had; after the last event the server answered 204 and it stopped.
    assert [request.target for request in events_requests] == [f"/events?{EVENTS}"] * 4
    assert [request.headers.get("last-event-id") for request in events_requests] == [None, "2", "4", "5"]
