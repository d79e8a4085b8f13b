"""Peak memory while parsing long streams in 4 KiB reads, for sse_core and the peers.

    python benchmarks/memory.py [--quick]

Each stream repeats one rendered block of events, cut lazily into 4 KiB
reads, so the stream itself costs one read at a time. Every event is
checked against the block's as it arrives (an implementation that gets one
wrong is shown as WRONG) and then dropped, so what remains is what the
parser holds. The peak is tracemalloc's: exact for Python allocations,
counted from just before the parser starts (its imports excluded).

Memory is bounded when the peak does not grow with the stream's length
(10 MB and 100 MB of token events) and, on a stream whose largest event is
1 MiB, stays within a few times that event plus the small constant.
"""

import gc
import os
import sys
import time
import tracemalloc
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Tuple

if __name__ == "__main__":  # "python benchmarks/memory.py": import the working tree's packages
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import peers as peer_helpers  # noqa: E402
from benchmarks.tables import text_table  # noqa: E402
from benchmarks.workloads import MIB, Expected, long_line_stream, token_stream  # noqa: E402

__all__ = ["CyclicStream", "MemoryResult", "streams", "implementations", "measure", "run", "main"]

READ_SIZE = 4096
MB = 10**6

Emit = Callable[[Expected], None]
Parse = Callable[[Iterator[bytes], Emit], None]


class CyclicStream:
    """``size`` bytes (rounded up to whole blocks) of ``block`` repeated, and its events.

    ``block`` must end where an event ends; ``events`` are its events, in order.
    """

    def __init__(self, name: str, block: bytes, events: List[Expected], size: int) -> None:
        self.name = name
        self.events = events
        self.cycles = -(-size // len(block))
        self.size = self.cycles * len(block)
        self.count = self.cycles * len(events)
        self.largest = max(len(data.encode("utf-8")) for _, data, _ in events)
        self.block_size = len(block)
        # Reads are slices of this, so a read that wraps around is one slice too.
        self._padded = block + block[:READ_SIZE]

    def reads(self) -> Iterator[bytes]:
        """The stream in ``READ_SIZE`` reads (the last may be shorter), made as asked for."""
        padded = self._padded
        period = self.block_size
        position = 0
        for start in range(0, self.size, READ_SIZE):
            yield padded[position : position + min(READ_SIZE, self.size - start)]
            position = (position + READ_SIZE) % period


class Mismatch(Exception):
    """An implementation's event differs from the stream's."""


class Checker:
    """Compares each event with the one expected next; keeps nothing else."""

    def __init__(self, stream: CyclicStream) -> None:
        self.events = stream.events
        self.seen = 0

    def __call__(self, event: Expected) -> None:
        want = self.events[self.seen % len(self.events)]
        if event != want:
            raise Mismatch(f"event {self.seen}: expected {want!r:.60}, got {event!r:.60}")
        self.seen += 1


def streams(quick: bool) -> List[CyclicStream]:
    """Token events at two lengths, ten times apart, and a stream with 1 MiB events."""
    block, events = token_stream(1, MIB)
    big_tokens, big_token_events = token_stream(14, MIB)
    big_line, big_line_events = long_line_stream(15, MIB)
    short, long, big = (1 * MB, 10 * MB, 4 * MB) if quick else (10 * MB, 100 * MB, 10 * MB)
    return [
        CyclicStream(f"tokens/{short // MB}MB", block, events, short),
        CyclicStream(f"tokens/{long // MB}MB", block, events, long),
        CyclicStream(
            f"1MiB-events/{big // MB}MB", big_tokens + big_line, big_token_events + big_line_events, big
        ),
    ]


# --- the implementations, each driven event by event -------------------------
#
# The same calls as in peers.py, but each event goes to ``emit`` as it comes
# instead of into a list, which would hold the whole stream.


def _sse_core() -> Parse:
    from sse_core import SSEDecoder

    def parse(reads: Iterator[bytes], emit: Emit) -> None:
        decoder = SSEDecoder()
        for data in reads:
            for event in decoder.feed(data):
                emit((event.event, event.data, event.id))
        for event in decoder.close():
            emit((event.event, event.data, event.id))

    return parse


def _httpx_sse() -> Parse:
    import httpx
    from httpx_sse import EventSource

    def parse(reads: Iterator[bytes], emit: Emit) -> None:
        response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=reads)
        for sse in EventSource(response).iter_sse():
            emit((sse.event, sse.data, sse.id))

    return parse


def _httpx2() -> Parse:
    import httpx2

    request = httpx2.Request("GET", "http://127.0.0.1/events")

    def parse(reads: Iterator[bytes], emit: Emit) -> None:
        response = httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, content=reads, request=request
        )
        for sse in httpx2.EventSource(response, max_event_size=64 * MIB):
            emit((sse.event, sse.data, sse.id))

    return parse


def _openai() -> Parse:
    from openai._streaming import SSEDecoder as OpenAIDecoder

    def parse(reads: Iterator[bytes], emit: Emit) -> None:
        for sse in OpenAIDecoder().iter_bytes(reads):
            emit((sse.event or "message", sse.data, sse.id or ""))

    return parse


def _sseclient_py() -> Parse:
    from sseclient import SSEClient

    if not hasattr(SSEClient, "events"):
        raise ImportError("the sseclient module found is not sseclient-py's")

    def parse(reads: Iterator[bytes], emit: Emit) -> None:
        last_id = ""
        for event in SSEClient(reads).events():
            if event.id is not None:
                last_id = event.id
            emit((event.event, event.data, last_id))

    return parse


def _requests_sse() -> Parse:
    from requests_sse import EventSource

    def parse(reads: Iterator[bytes], emit: Emit) -> None:
        with EventSource("http://127.0.0.1/events", session=peer_helpers._FakeSession(reads)) as source:
            try:
                for message in source:
                    emit((message.type, message.data, message.last_event_id))
            except peer_helpers._EndOfReads:
                pass

    return parse


def _sseclient() -> Parse:
    module = peer_helpers.load_btubbs_sseclient()

    def parse(reads: Iterator[bytes], emit: Emit) -> None:
        client = module.SSEClient("http://127.0.0.1/events", session=peer_helpers._FakeSession(reads))
        try:
            for message in client:
                emit((message.event, message.data, client.last_id or ""))
        except peer_helpers._EndOfReads:
            pass

    return parse


def _ssec() -> Parse:
    import collections

    import ssec

    listen = getattr(ssec.EventSource, "_EventSource__listen", None)
    if listen is None:
        raise ImportError("ssec: not the 2.x API this wrapper drives")

    def parse(reads: Iterator[bytes], emit: Emit) -> None:
        source = ssec.EventSource("http://127.0.0.1/events")
        source._listeners = collections.defaultdict(
            lambda: [lambda event: emit((event.type, event.data, source._last_event_id))]
        )
        source._response = peer_helpers._requests_response(reads)
        source._state = source.State.OPEN
        try:
            listen(source)
        except peer_helpers._EndOfReads:
            pass

    return parse


# name -> factory; a factory raising ImportError marks the peer missing.
IMPLEMENTATIONS: Dict[str, Callable[[], Parse]] = {
    "sse_core": _sse_core,
    "httpx-sse": _httpx_sse,
    "httpx2": _httpx2,
    "openai": _openai,
    "sseclient-py": _sseclient_py,
    "requests-sse": _requests_sse,
    "sseclient": _sseclient,
    "ssec": _ssec,
}


def implementations() -> Tuple[List[Tuple[str, Parse]], Dict[str, str]]:
    """``([(name, parse)], {missing name: reason})``."""
    loaded = []
    missing = {}
    for name, factory in IMPLEMENTATIONS.items():
        try:
            loaded.append((name, factory()))
        except ImportError as exc:
            missing[name] = str(exc)
    return loaded, missing


class MemoryResult(NamedTuple):
    implementation: str
    stream: str
    status: str  # "ok", "WRONG" or "ERROR"
    peak: Optional[int]  # bytes, tracemalloc's peak while parsing
    seconds: float  # with tracemalloc on: several times slower than without
    note: str = ""

    def as_dict(self) -> Dict[str, Any]:
        return self._asdict()


def measure(name: str, parse: Parse, stream: CyclicStream) -> MemoryResult:
    """Parse ``stream`` under tracemalloc, checking every event."""
    checker = Checker(stream)
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    try:
        parse(stream.reads(), checker)
        _, peak = tracemalloc.get_traced_memory()
    except Mismatch as exc:
        return MemoryResult(name, stream.name, "WRONG", None, time.perf_counter() - start, str(exc))
    except Exception as exc:  # a peer's failure is a result to report
        return MemoryResult(name, stream.name, "ERROR", None, time.perf_counter() - start, f"{type(exc).__name__}: {exc}")
    finally:
        tracemalloc.stop()
    seconds = time.perf_counter() - start
    if checker.seen != stream.count:
        note = f"expected {stream.count} events, got {checker.seen}"
        return MemoryResult(name, stream.name, "WRONG", None, seconds, note)
    return MemoryResult(name, stream.name, "ok", peak, seconds)


def run(quick: bool, progress: Callable[[str], None] = lambda text: None) -> Tuple[List[CyclicStream], List[MemoryResult], Dict[str, str]]:
    """Every implementation on every stream: ``(streams, results, missing)``."""
    loaded, missing = implementations()
    stream_list = streams(quick)
    results = []
    for name, parse in loaded:
        progress(name)
        for stream in stream_list:
            results.append(measure(name, parse, stream))
    return stream_list, results, missing


def format_bytes(size: int) -> str:
    if size >= MIB:
        return f"{size / MIB:.2f} MiB"
    return f"{size / 1024:.0f} KiB"


def table(stream_list: List[CyclicStream], results: List[MemoryResult]) -> List[List[str]]:
    """Rows of text: one per implementation, a peak per stream, and the growth."""
    header = ["implementation"] + [stream.name for stream in stream_list]
    header += ["long/short", "big - short"]
    rows = [header]
    by_key = {(result.implementation, result.stream): result for result in results}
    names = list(dict.fromkeys(result.implementation for result in results))
    short, long, big = stream_list
    for name in names:
        found = [by_key[(name, stream.name)] for stream in stream_list]
        row = [name] + [format_bytes(r.peak) if r.peak is not None else r.status for r in found]
        peaks = [r.peak for r in found]
        if peaks[0] and peaks[1] is not None:
            row.append(f"{peaks[1] / peaks[0]:.2f}x")
        else:
            row.append("")
        if peaks[0] and peaks[2] is not None:
            row.append(f"{(peaks[2] - peaks[0]) / big.largest:.2f} x event")
        else:
            row.append("")
        rows.append(row)
    return rows


def legend(stream_list: List[CyclicStream]) -> List[str]:
    short, long, big = stream_list
    return [
        f"Peak memory (tracemalloc) while parsing in {READ_SIZE // 1024} KiB reads, every event checked",
        f"and dropped. {short.name}, {long.name}: token events (~150 B). {big.name}: token events",
        f"and one {format_bytes(big.largest)} data line per {format_bytes(big.block_size)}.",
        f"long/short: peak on {long.name} / peak on {short.name}; 1.00x means it does not grow",
        f"with the stream. big - short: the extra peak on {big.name}, in units of its largest event.",
    ]


def print_report(stream_list: List[CyclicStream], results: List[MemoryResult], missing: Dict[str, str]) -> None:
    for line in legend(stream_list):
        print(line)
    print()
    print(text_table(table(stream_list, results), right=lambda i: i > 0))
    for name, reason in missing.items():
        print(f"skipped {name}: {reason}")
    for result in results:
        if result.note:
            print(f"{result.status}: {result.implementation} on {result.stream}: {result.note}")


def main(argv: Optional[List[str]] = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 and 10 MB streams instead of 10 and 100 MB")
    args = parser.parse_args(argv)
    report = run(args.quick, progress=lambda name: print(f"  {name} ...", file=sys.stderr, flush=True))
    print_report(*report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
