"""The project's speed and memory targets, judged on the ratios of one run.

Each row is one target on one workload: what it asks, what the run
measured, and whether that meets it. Nothing here times anything; a target
whose implementations were not all measured is shown as not judged.
"""

from typing import Any, Dict, List, Optional, Sequence

from .peers import BASELINE, FLOOR
from .workloads import LONG_LINE_PREFIX, MIB

__all__ = ["speed_rows", "memory_rows", "HEADER"]

HEADER = ["target", "workload", "measured", "met"]

# The extra peak on a stream with big events, in events: holding an event's
# bytes and its str at once is the least a parser that returns str can do.
EVENTS_HELD = 2.1
# The peak on a stream ten times longer, over the peak on the shorter one.
GROWTH = 1.1


def _seconds(results: Dict[tuple, Any], workload: str, name: str) -> Optional[float]:
    result = results.get((workload, name))
    if result is None or result.status != "ok":
        return None
    return result.seconds


def _row(target: str, workload: str, measured: str, met: Optional[bool]) -> List[str]:
    verdict = "not judged" if met is None else "yes" if met else "NO"
    return [target, workload, measured, verdict]


def _ratio_row(target: str, results: Dict[tuple, Any], workload: str, peer: str, least: float) -> List[str]:
    """``peer``'s time over ours on ``workload``, which must be at least ``least``."""
    ours = _seconds(results, workload, BASELINE)
    theirs = _seconds(results, workload, peer)
    if ours is None or theirs is None:
        return _row(target, workload, f"{peer} not measured", None)
    ratio = theirs / ours
    return _row(target, workload, f"{peer} {ratio:.2f}x", ratio >= least)


def speed_rows(workloads: Sequence[Any], names: Sequence[str], results: Dict[tuple, Any]) -> List[List[str]]:
    """One row per target and workload, from run.py's speed results."""
    rows = []
    sse = [w.name for w in workloads if w.kind == "sse"]
    for workload in sse:
        timed = []  # (seconds, name) of each peer that got it right
        for name in names:
            seconds = _seconds(results, workload, name)
            if name not in (BASELINE, FLOOR) and seconds is not None:
                timed.append((seconds, name))
        if timed:
            rows.append(_ratio_row("2x the fastest correct peer", results, workload, min(timed)[1], 2.0))
        else:
            rows.append(_row("2x the fastest correct peer", workload, "no peer measured", None))
    for workload in sse:
        if workload.startswith("tokens/"):
            rows.append(_ratio_row("within 2x of the floor", results, workload, FLOOR, 0.5))
    lines = [w for w in workloads if w.kind == "sse" and w.name.startswith(LONG_LINE_PREFIX)]
    per_mib = [_seconds(results, w.name, BASELINE) for w in lines]
    if per_mib and None not in per_mib:
        times = [seconds * MIB / w.size for seconds, w in zip(per_mib, lines)]  # type: ignore[operator]
        spread = max(times) / min(times)
        measured = ", ".join(f"{t * 1e6:.0f}" for t in times) + f" us/MiB: {spread:.2f}x"
        rows.append(_row("time per MiB flat within 20%", LONG_LINE_PREFIX + "*", measured, spread <= 1.2))
    for workload, least in (("chunked/16K", 1.0), ("chunked/1-10B", 1.5)):
        for peer in ("stdlib read1", "stdlib read"):
            rows.append(_ratio_row(f"{least:g}x http.client", results, workload, peer, least))
    for workload in [w.name for w in workloads if w.kind == "chunked"]:
        rows.append(_ratio_row("5x h11", results, workload, "h11", 5.0))
    for workload in [w.name for w in workloads if w.kind == "encode"]:
        rows.append(_ratio_row("2x sse-starlette", results, workload, "sse-starlette", 2.0))
    return rows


def memory_rows(streams: Sequence[Any], results: Sequence[Any]) -> List[List[str]]:
    """Two rows from memory.py's report: no growth with length, and a bound on the largest event."""
    short, long, big = streams
    peaks = {r.stream: r.peak for r in results if r.implementation == BASELINE and r.status == "ok"}
    target = "memory does not grow with the stream"
    if peaks.get(short.name) and peaks.get(long.name) is not None:
        growth = peaks[long.name] / peaks[short.name]
        rows = [_row(target, f"{long.name} / {short.name}", f"{growth:.2f}x", growth <= GROWTH)]
    else:
        rows = [_row(target, f"{long.name} / {short.name}", "not measured", None)]
    target = "memory bounded by the largest event"
    if peaks.get(short.name) and peaks.get(big.name) is not None:
        events = (peaks[big.name] - peaks[short.name]) / big.largest
        rows.append(_row(target, f"{big.name} - {short.name}", f"{events:.2f} x event", events <= EVENTS_HELD))
    else:
        rows.append(_row(target, f"{big.name} - {short.name}", "not measured", None))
    return rows
