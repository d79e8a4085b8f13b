"""End to end over loopback: events per second and per-event latency, server to client.

    python benchmarks/end_to_end.py [--quick]

Every server runs in a subprocess of its own, so it never shares a GIL
with the clients, which run in this process; each client is run against
each server. A server answers ``GET /events?count=N&interval=US`` with N
events, each produced ``US`` microseconds after the previous one is due
(0: as fast as it can), and each stamped when produced:
``"<seq> <perf_counter_ns> <padding>"``, about 150 bytes like an LLM token
event. The client notes ``perf_counter_ns()`` as each event is yielded
to it; on Linux both clocks are CLOCK_MONOTONIC, one clock for every
process, which the run checks before it trusts the stamps.

For each pair, a short stream is checked first (every event, in order);
a pair that gets it wrong is shown as WRONG and not timed. Then:

- throughput: N events as fast as the server produces them; events per
  second over the whole request, best of a few runs, and the CPU time per
  event each side spent over those runs (the server's from /proc, Linux
  only);
- latency: events paced 1 ms apart; median and p99 of receive - stamp.

    python benchmarks/end_to_end.py serve KIND    (what the subprocesses run)
"""

import math
import os
import subprocess
import sys
import time
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple
from urllib.parse import parse_qs, urlsplit

if __name__ == "__main__":  # "python benchmarks/end_to_end.py": import the working tree's packages
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.tables import text_table  # noqa: E402

__all__ = [
    "SERVERS",
    "CLIENTS",
    "PairResult",
    "percentile",
    "event_data",
    "check_events",
    "run",
    "main",
]

# Brings a token event's JSON to about 150 bytes of data.
PADDING = '{"object":"chat.completion.chunk","model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":" token"}}]}'

Received = List[Tuple[int, str]]  # (perf_counter_ns when yielded, data)

# What a client gets per call: a URL to read, the events it yielded.
Receive = Callable[[str], Received]


def event_data(seq: int) -> str:
    """The data of event ``seq``, stamped now."""
    return f"{seq} {time.perf_counter_ns()} {PADDING}"


def parse_target(target: str) -> Tuple[int, float]:
    """``(count, interval in seconds)`` from ``/events?count=N&interval=US``."""
    query = parse_qs(urlsplit(target).query)
    return int(query["count"][0]), int(query.get("interval", ["0"])[0]) / 1e6


def paced(count: int, interval: float, wait: Callable[[float], bool]) -> Iterator[int]:
    """Yield 0..count-1, the n-th no sooner than ``n * interval`` after the first.

    ``wait(seconds)`` sleeps and returns True to stop early. Due times are
    counted from the start, so a late event does not delay the next ones.
    """
    start = time.perf_counter()
    for seq in range(count):
        delay = start + seq * interval - time.perf_counter()
        if delay > 0 and wait(delay):
            return
        yield seq


# --- servers (each in a subprocess: "serve KIND") -----------------------------


def _serve_httpserver(sock: Any) -> None:
    import http.server

    from sse_core.adapters.httpserver import send_event_stream

    def source(context: Any) -> Iterator[str]:
        count, interval = parse_target(context.request_head.target)
        for seq in paced(count, interval, context.wait):
            yield event_data(seq)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            send_event_stream(self, source, heartbeat=None)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(sock.getsockname(), Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    server.daemon_threads = True
    server.serve_forever()


def _serve_rawsocket(sock: Any) -> None:
    import threading

    from sse_core.adapters.rawsocket import serve_event_stream

    def source(context: Any) -> Iterator[str]:
        count, interval = parse_target(context.request_head.target)
        for seq in paced(count, interval, context.wait):
            yield event_data(seq)

    while True:
        connection, _ = sock.accept()
        threading.Thread(target=serve_event_stream, args=(connection, source), kwargs={"heartbeat": None}, daemon=True).start()


def _serve_sse_starlette(sock: Any) -> None:
    import asyncio

    import uvicorn
    from sse_starlette import EventSourceResponse
    from starlette.applications import Starlette
    from starlette.routing import Route

    async def events(request: Any) -> EventSourceResponse:
        count, interval = parse_target(str(request.url))

        async def generate() -> Any:  # paced() with asyncio.sleep
            start = time.perf_counter()
            for seq in range(count):
                delay = start + seq * interval - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                yield {"data": event_data(seq)}

        return EventSourceResponse(generate())

    app = Starlette(routes=[Route("/events", events)])
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


# name -> (function serving on a listening socket, modules it needs)
SERVERS: Dict[str, Tuple[Callable[[Any], None], Sequence[str]]] = {
    "sse_core httpserver": (_serve_httpserver, ()),
    "sse_core rawsocket": (_serve_rawsocket, ()),
    "sse-starlette": (_serve_sse_starlette, ("uvicorn", "sse_starlette", "starlette")),
}


def serve(kind: str) -> None:
    """Listen on a free loopback port, print "PORT STAMP_NS", serve until killed."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    print(sock.getsockname()[1], time.perf_counter_ns(), flush=True)
    SERVERS[kind][0](sock)


class ServerProcess:
    """A server subprocess, its port, and whether its clock is ours."""

    def __init__(self, kind: str) -> None:
        before = time.perf_counter_ns()
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "serve", kind],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        try:
            line = self.process.stdout.readline()  # type: ignore[union-attr]
            port, stamp = (int(word) for word in line.split())
        except ValueError:
            self.close()
            raise RuntimeError(f"server {kind!r} did not start (exit status {self.process.poll()})") from None
        # Its clock was read after we started it and before we read its line.
        self.same_clock = before < stamp < time.perf_counter_ns()
        self.url = f"http://127.0.0.1:{port}/events"

    def cpu_seconds(self) -> Optional[float]:
        """User + system CPU time the server has used so far (Linux only, 10 ms ticks), or None."""
        try:
            with open(f"/proc/{self.process.pid}/stat", encoding="ascii") as file:
                fields = file.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError, AttributeError):
            return None

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


# --- clients (in this process) ------------------------------------------------


def _sse_core_client(transport: str) -> Callable[[], Receive]:
    def factory() -> Receive:
        from sse_core.adapters.client import Timeouts, stream

        def receive(url: str) -> Received:
            received: Received = []
            append = received.append
            clock = time.perf_counter_ns
            with stream("GET", url, transport=transport, timeouts=Timeouts(idle=30)) as response:
                for event in response:
                    append((clock(), event.data))
            return received

        return receive

    return factory


def _httpx_sse_client() -> Receive:
    import httpx
    from httpx_sse import connect_sse

    def receive(url: str) -> Received:
        received: Received = []
        append = received.append
        clock = time.perf_counter_ns
        with httpx.Client(timeout=30) as client:
            with connect_sse(client, "GET", url) as source:
                for sse in source.iter_sse():
                    append((clock(), sse.data))
        return received

    return receive


# name -> factory; a factory raising ImportError marks the client missing.
CLIENTS: Dict[str, Callable[[], Receive]] = {
    "sse_core socket": _sse_core_client("socket"),
    "sse_core http.client": _sse_core_client("http.client"),
    "httpx-sse": _httpx_sse_client,
}


# --- measuring ---------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with ``fraction`` of them at or below it."""
    if not values or not 0 < fraction <= 1:
        raise ValueError("percentile needs values and 0 < fraction <= 1")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def check_events(received: Received, count: int) -> Optional[str]:
    """What is wrong with ``received`` for a request of ``count`` events, or None."""
    for seq, (when, data) in enumerate(received):
        fields = data.split(" ", 2)
        if len(fields) != 3 or fields[0] != str(seq) or fields[2] != PADDING:
            return f"event {seq}: got {data[:60]!r}"
        if not int(fields[1]) <= when:
            return f"event {seq}: received before it was stamped"
    if len(received) != count:
        return f"expected {count} events, got {len(received)}"
    return None


class Sizes(NamedTuple):
    check: int  # events in the checking run
    throughput: int  # events per throughput run
    runs: int  # throughput runs, the best kept
    paced: int  # events in the latency run
    interval_us: int


# Loopback throughput swings by 2-3x from run to run on a busy machine (how
# many events each recv() happens to find), so several runs, the best kept.
QUICK = Sizes(check=50, throughput=3000, runs=3, paced=300, interval_us=1000)
FULL = Sizes(check=200, throughput=10000, runs=5, paced=2000, interval_us=1000)


class PairResult(NamedTuple):
    server: str
    client: str
    status: str  # "ok", "WRONG" or "ERROR"
    events_per_second: Optional[float] = None
    # CPU time per event over the throughput runs: steadier than events/s on
    # a busy machine, and it says which side the cost is on.
    server_cpu_us: Optional[float] = None
    client_cpu_us: Optional[float] = None
    median_us: Optional[float] = None  # of receive - stamp, paced events
    p99_us: Optional[float] = None
    note: str = ""

    def as_dict(self) -> Dict[str, Any]:
        return self._asdict()


class _Wrong(Exception):
    pass


def _checked(receive: Receive, url: str, count: int, interval_us: int = 0) -> Received:
    received = receive(f"{url}?count={count}&interval={interval_us}")
    problem = check_events(received, count)
    if problem is not None:
        raise _Wrong(problem)
    return received


def measure_pair(server: str, client: str, process: ServerProcess, receive: Receive, sizes: Sizes) -> PairResult:
    url = process.url
    try:
        _checked(receive, url, sizes.check)
        best = 0.0
        server_cpu = process.cpu_seconds()
        client_cpu = time.thread_time()
        for _ in range(sizes.runs):
            start = time.perf_counter_ns()
            _checked(receive, url, sizes.throughput)
            best = max(best, sizes.throughput * 1e9 / (time.perf_counter_ns() - start))
        per_event = 1e6 / (sizes.runs * sizes.throughput)
        client_us = (time.thread_time() - client_cpu) * per_event
        server_after = process.cpu_seconds()
        server_us = None if server_cpu is None or server_after is None else (server_after - server_cpu) * per_event
        received = _checked(receive, url, sizes.paced, sizes.interval_us)
    except _Wrong as exc:
        return PairResult(server, client, "WRONG", note=str(exc))
    except Exception as exc:  # a failing pair is a result to report
        return PairResult(server, client, "ERROR", note=f"{type(exc).__name__}: {exc}")
    if not process.same_clock:
        note = "server clock is not ours: no latency"
        return PairResult(server, client, "ok", best, server_us, client_us, note=note)
    latencies = [(when - int(data.split(" ", 2)[1])) / 1e3 for when, data in received]
    median, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    return PairResult(server, client, "ok", best, server_us, client_us, median, p99)


def run(quick: bool, progress: Callable[[str], None] = lambda text: None) -> Tuple[List[PairResult], Dict[str, str], Sizes]:
    """Every client against every server: ``(results, {missing name: reason}, sizes)``."""
    import importlib.util

    sizes = QUICK if quick else FULL
    missing: Dict[str, str] = {}
    clients = []
    for name, factory in CLIENTS.items():
        try:
            clients.append((name, factory()))
        except ImportError as exc:
            missing[name] = str(exc)
    results = []
    for server, (_, modules) in SERVERS.items():
        absent = [module for module in modules if importlib.util.find_spec(module) is None]
        if absent:
            missing[server] = f"needs {', '.join(absent)}"
            continue
        process = ServerProcess(server)
        try:
            for client, receive in clients:
                progress(f"{server} -> {client}")
                results.append(measure_pair(server, client, process, receive, sizes))
        finally:
            process.close()
    return results, missing, sizes


def table(results: List[PairResult]) -> List[List[str]]:
    rows = [["server", "client", "events/s", "server CPU", "client CPU", "median", "p99"]]
    for result in results:
        if result.status != "ok":
            rows.append([result.server, result.client, result.status, "", "", "", ""])
            continue
        rows.append(
            [result.server, result.client, f"{result.events_per_second:.0f}"]
            + [
                f"{value:.0f} us" if value is not None else ""
                for value in (result.server_cpu_us, result.client_cpu_us, result.median_us, result.p99_us)
            ]
        )
    return rows


def legend(sizes: Sizes) -> List[str]:
    return [
        f"End to end over loopback, each server in a subprocess. events/s: {sizes.throughput} events",
        f"of ~150 B as fast as the server makes them, best of {sizes.runs} runs; server CPU, client CPU:",
        "CPU time per event in those runs (steadier than events/s on a busy machine). median, p99:",
        f"from the server's stamp to the client's, {sizes.paced} events paced {sizes.interval_us} us apart.",
    ]


def print_report(results: List[PairResult], missing: Dict[str, str], sizes: Sizes) -> None:
    for line in legend(sizes):
        print(line)
    print()
    print(text_table(table(results), right=lambda i: i > 1))
    for name, reason in missing.items():
        print(f"skipped {name}: {reason}")
    for result in results:
        if result.note:
            print(f"{result.status}: {result.server} -> {result.client}: {result.note}")


def main(argv: Optional[List[str]] = None) -> int:
    import argparse

    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["serve"] and len(argv) == 2:
        serve(argv[1])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer events")
    args = parser.parse_args(argv)
    report = run(args.quick, progress=lambda text: print(f"  {text} ...", file=sys.stderr, flush=True))
    print_report(*report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
