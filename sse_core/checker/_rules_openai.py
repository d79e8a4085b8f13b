"""Rules for OpenAI-style streams: JSON payloads, a final [DONE], in-band errors."""

import json
from typing import List

from ._capture import COMPLETE, CUT, Capture
from ._findings import INFO, WARNING, Finding, finding
from ._observe import StreamObserver

__all__ = ["openai_findings", "DONE"]

DONE = "[DONE]"
_EXAMPLES = 3


def openai_findings(capture: Capture, seen: StreamObserver) -> List[Finding]:
    """Findings on the events of an OpenAI-style (chat completions) stream."""
    if capture.head is None or capture.head.status != 200:
        return []
    found = []
    events = [item.event for item in seen.events]
    done_at = next((index for index, event in enumerate(events) if event.data == DONE), None)
    before = events if done_at is None else events[:done_at]
    not_json = []
    errors = []
    for number, event in enumerate(before, start=1):
        try:
            payload = json.loads(event.data)
        except (ValueError, RecursionError) as exc:
            not_json.append(f"event {number}: {event.data[:60]!r} ({exc})")
            payload = None
        if event.event == "error" or (isinstance(payload, dict) and "error" in payload):
            errors.append(f"event {number}: {event.data[:200]}")
    if not_json:
        found.append(
            finding(
                "openai.json",
                f"{len(not_json)} of {len(before)} data payloads are not JSON, e.g. {'; '.join(not_json[:_EXAMPLES])}",
            )
        )
    for message in errors[:_EXAMPLES]:
        found.append(finding("openai.error-event", f"the server reported an error in the stream: {message}"))
    ended = capture.end in (COMPLETE, CUT)
    if done_at is None:
        if ended:
            found.append(finding("openai.done", f"the stream ended without data: {DONE}"))
        else:
            found.append(
                finding("openai.done", f"no data: {DONE} in the {capture.elapsed:.1f} s checked: not judged", INFO)
            )
        return found
    after = events[done_at + 1 :]
    if after:
        found.append(
            finding("openai.after-done", f"{len(after)} event(s) followed data: {DONE}, e.g. {after[0].data[:60]!r}")
        )
    elif not ended:
        found.append(
            finding(
                "openai.after-done",
                f"the stream stayed open after data: {DONE} until the check stopped; close it after {DONE}",
                WARNING,
            )
        )
    return found
