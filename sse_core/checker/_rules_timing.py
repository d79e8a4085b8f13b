"""Rules on timing: first byte, first event, gaps, heartbeats and buffering on the way.

How ``timing.buffered`` decides. Each read records when the wait for it
began and when it returned, so a read that waited long proves the kernel
received nothing during that time: a real silence on the wire, not a
reader that was late (a late reader finds bytes already queued and does
not wait). Reads that follow within ``_JOIN`` seconds of waiting belong to
the same arrival: a proxy flushing its buffer may take several writes. An
arrival is a *burst* when it comes after at least ``_BURST_SILENCE``
seconds of silence and completes at least ``_BURST_EVENTS`` events at once.
The stream counts as buffered when bursts bring at least half of its
events (and ``_BURST_EVENTS`` or more): a server that streams writes each
event when it is made, so its events arrive one by one; a buffer on the way
holds them and lets them go together, after a silence, when it fills or
the response ends. A server that makes all its events in one go after a
long pause looks the same, and is reported too: its client does not get a
stream either.
"""

from typing import Dict, List, Optional

from ._capture import COMPLETE, CUT, Capture
from ._findings import INFO, WARNING, Finding, finding
from ._observe import StreamObserver

__all__ = ["timing_figures", "timing_findings", "DEFAULT_IDLE_LIMIT"]

# Common proxy idle limits: nginx proxy_read_timeout, AWS ALB, Cloudflare's
# 100 s; 60 s is the smallest default among them.
DEFAULT_IDLE_LIMIT = 60.0

_BURST_SILENCE = 1.0  # seconds a read waited with nothing arriving
_BURST_EVENTS = 3  # events completed by one arrival
_JOIN = 0.05  # seconds of waiting that still count as the same arrival


def timing_figures(capture: Capture, seen: StreamObserver) -> Dict[str, object]:
    """The timing figures of a report: seconds since the request was sent, and counts."""
    gaps = _event_gaps(seen)
    return {
        "connect": _round(capture.connect_time),
        "first_byte": _round(capture.first_byte),
        "first_event": _round(seen.events[0].at if seen.events else None),
        "events": len(seen.events),
        "comments": len(seen.comment_times),
        "body_bytes": capture.body_size,
        "reads": len(capture.reads),
        "longest_gap": _round(max(gaps) if gaps else None),
        "median_gap": _round(sorted(gaps)[len(gaps) // 2] if gaps else None),
        "longest_silence": _round(_longest_silence(capture)),
        "elapsed": _round(capture.elapsed),
        "end": capture.end,
    }


def timing_findings(capture: Capture, seen: StreamObserver, idle_limit: float) -> List[Finding]:
    """Findings on timing; ``idle_limit`` is the proxy idle limit judged against."""
    if capture.head is None or capture.head.status != 200:
        return []
    found = []
    if capture.first_byte is not None:
        found.append(finding("timing.first-byte", f"the response began {_seconds(capture.first_byte)} after the request"))
    if seen.events:
        found.append(finding("timing.first-event", f"the first event came {_seconds(seen.events[0].at)} after the request"))
    elif capture.end in (COMPLETE, CUT):
        found.append(finding("timing.first-event", "the stream ended without an event", WARNING))
    else:
        found.append(finding("timing.first-event", f"no event in the {_seconds(capture.elapsed)} checked", WARNING))
    gaps = _event_gaps(seen)
    if gaps:
        found.append(
            finding(
                "timing.gaps",
                f"{len(seen.events)} events; gaps between them: median {_seconds(sorted(gaps)[len(gaps) // 2])}, "
                f"longest {_seconds(max(gaps))}",
            )
        )
    found += _heartbeat(capture, seen, idle_limit)
    found += _buffered(capture, seen)
    return found


def _event_gaps(seen: StreamObserver) -> List[float]:
    times = [item.at for item in seen.events]
    return [later - earlier for earlier, later in zip(times, times[1:])]


def _longest_silence(capture: Capture) -> float:
    # From the request on: a proxy's idle timer runs while it waits for the head too.
    times = [0.0]
    times += [t for t in (capture.first_byte, capture.head_at) if t is not None]
    times += [read.at for read in capture.reads]
    times.append(capture.elapsed)
    return max(later - earlier for earlier, later in zip(times, times[1:])) if len(times) > 1 else 0.0


def _heartbeat(capture: Capture, seen: StreamObserver, idle_limit: float) -> List[Finding]:
    silence = _longest_silence(capture)
    comments = f"{len(seen.comment_times)} comment(s) seen"
    if silence >= idle_limit:
        return [
            finding(
                "timing.heartbeat",
                f"the stream was silent for {_seconds(silence)}, as long as a {_seconds(idle_limit)} proxy idle "
                f"limit: send a comment (': ping') every 15 s or so ({comments})",
            )
        ]
    if capture.elapsed >= idle_limit:
        return [
            finding(
                "timing.heartbeat",
                f"longest silence {_seconds(silence)} in {_seconds(capture.elapsed)}, under a "
                f"{_seconds(idle_limit)} proxy idle limit ({comments})",
                INFO,
            )
        ]
    if capture.end in (COMPLETE, CUT):
        return []  # a short stream: nothing to keep alive
    return [
        finding(
            "timing.heartbeat",
            f"the check ran {_seconds(capture.elapsed)}, less than a {_seconds(idle_limit)} proxy idle limit, "
            f"so heartbeats are not judged; longest silence so far {_seconds(silence)} ({comments})",
            INFO,
        )
    ]


def _buffered(capture: Capture, seen: StreamObserver) -> List[Finding]:
    total = len(seen.events)
    if total < _BURST_EVENTS:
        return []
    per_read = [0] * len(capture.reads)
    for item in seen.events:
        per_read[item.read] += 1
    bursts = []  # (silence before it, events, bytes)
    current: Optional[List[float]] = None
    for read, events in zip(capture.reads, per_read):
        waited = read.at - read.waited_from
        if current is not None and waited < _JOIN:
            current[1] += events
            current[2] += len(read.body)
            continue
        if current is not None:
            bursts.append(current)
        current = [waited, events, len(read.body)]
    if current is not None:
        bursts.append(current)
    bursts = [burst for burst in bursts if burst[0] >= _BURST_SILENCE and burst[1] >= _BURST_EVENTS]
    in_bursts = int(sum(burst[1] for burst in bursts))
    if not bursts or in_bursts * 2 < total:
        return []
    largest = max(bursts, key=lambda burst: burst[1])
    return [
        finding(
            "timing.buffered",
            f"{in_bursts} of {total} events arrived in {len(bursts)} burst(s) after silences of "
            f"{_seconds(min(burst[0] for burst in bursts))} or more (largest: {int(largest[1])} events, "
            f"{int(largest[2])} bytes at once): something on the way held them back (proxy buffering, "
            "compression, an output buffer)",
        )
    ]


def _round(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(value, 3)


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"
