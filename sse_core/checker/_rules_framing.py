"""Rules on the body bytes: chunk framing, lines, fields and the end of the stream."""

from typing import List

from .._http11 import header_value
from ._capture import CUT, Capture
from ._findings import INFO, WARNING, Finding, finding
from ._observe import StreamObserver

__all__ = ["framing_findings"]


def framing_findings(capture: Capture, seen: StreamObserver) -> List[Finding]:
    """Findings on the body as it came; ``seen`` has been closed if the stream ended."""
    found: List[Finding] = []
    if capture.body_error is not None and capture.end == CUT and capture.head is not None:
        # Only a chunked or a Content-Length body can be cut (one until
        # the close cannot): Transfer-Encoding tells which this was.
        if header_value(capture.head.headers, "transfer-encoding") is not None:
            found.append(finding("framing.chunked", f"the chunked body is malformed: {capture.body_error}"))
        else:
            found.append(finding("header.content-length", f"the body was cut short: {capture.body_error}", "error"))
    if seen.limit_error is not None:
        found.append(finding("framing.limit", f"the stream passed a decoder bound: {seen.limit_error}"))
    found += _line_endings(seen)
    if seen.bom:
        found.append(finding("framing.bom", "the stream starts with a UTF-8 BOM (EF BB BF)"))
    for name, count in sorted(seen.unknown_fields.items()):
        found.append(
            finding("framing.unknown-field", f"unknown field {name!r} ({_times(count)}), ignored by clients")
        )
    if seen.other_unknown_fields:
        found.append(
            finding(
                "framing.unknown-field",
                f"{seen.other_unknown_fields} more line(s) with other unknown field names, ignored by clients",
            )
        )
    if seen.invalid_retry_count:
        found.append(
            finding(
                "framing.retry",
                f"a retry value that is not all ASCII digits ({_times(seen.invalid_retry_count)}), "
                f"e.g. {', '.join(seen.invalid_retries)}; clients ignore it",
            )
        )
    if seen.nul_ids:
        found.append(
            finding(
                "framing.id-nul",
                f"an id containing NUL ({_times(seen.nul_ids)}): clients ignore the field and keep the previous id",
            )
        )
    for fields, count in sorted(seen.empty_blocks.items()):
        only_retry = fields == ("retry",)
        found.append(
            finding(
                "framing.empty-block",
                f"a block with {', '.join(fields)} but no data ({_times(count)}): it dispatches nothing, "
                "but many clients (the openai SDK among them) dispatch an empty event for it",
                # Setting the reconnection time in a block of its own is a
                # common idiom, so only a hint.
                INFO if only_retry else WARNING,
            )
        )
    if seen.invalid_utf8_lines:
        found.append(
            finding(
                "framing.utf8",
                f"{seen.invalid_utf8_lines} line(s) are not valid UTF-8 and reach clients with U+FFFD, "
                f"e.g. {seen.invalid_utf8_examples[0]}",
            )
        )
    if seen.unterminated is not None:
        found.append(
            finding(
                "framing.unterminated",
                f"the stream ended inside an event, with {seen.unterminated}; clients discard it",
                "error" if seen.unterminated_data else WARNING,
            )
        )
    return found


def _line_endings(seen: StreamObserver) -> List[Finding]:
    used = {style: count for style, count in seen.line_endings.items() if count}
    if not used:
        return []
    described = ", ".join(f"{style} ({count})" for style, count in used.items())
    if len(used) == 1:
        return [finding("framing.line-endings", f"lines end in {described}")]
    return [
        finding(
            "framing.line-endings",
            f"lines end in a mix of {described}: valid, but it trips readers that know one style",
            WARNING,
        )
    ]


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"
