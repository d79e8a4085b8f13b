"""Deliberately broken SSE responses, one or more per checker rule, as hostile-server scripts.

Each :class:`Case` names the rule and severity the checker must report for
it, the script (exact bytes and pauses, see tests/hostile_server.py) and
the options ``check()`` runs with. Everything else in each response is
right, so that the rule under test is what the case shows.
"""

import gzip
import json
from typing import Any, Dict, List, NamedTuple, Sequence, Tuple

from .hostile_server import HOLD, LAST_CHUNK, Pause, ReceivedRequest, Step, chunk, response_head

__all__ = ["GOOD_HEADERS", "Case", "CASES", "good_stream", "ids_script"]

GOOD_HEADERS: List[Tuple[str, str]] = [
    ("Content-Type", "text/event-stream; charset=utf-8"),
    ("Cache-Control", "no-cache, no-transform"),
    ("X-Accel-Buffering", "no"),
]
_CHUNKED = [("Transfer-Encoding", "chunked")]
_EVENTS = b"data: one\n\ndata: two\n\n"


class Case(NamedTuple):
    rule: str
    severity: str
    script: Any  # a list of steps or a function (request, index) -> steps
    options: Dict[str, Any] = {}


def good_stream(*bodies: bytes, headers: Sequence[Tuple[str, str]] = GOOD_HEADERS) -> List[Step]:
    """A right head, each body as one chunk, and the last chunk."""
    return [response_head(200, [*headers, *_CHUNKED], "OK"), *(chunk(body) for body in bodies), LAST_CHUNK]


def _with_headers(*replaced: Tuple[str, str], drop: Sequence[str] = ()) -> List[Step]:
    names = {name.lower() for name, _ in replaced} | {name.lower() for name in drop}
    headers = [(name, value) for name, value in GOOD_HEADERS if name.lower() not in names] + list(replaced)
    return good_stream(_EVENTS, headers=headers)


def _json_events(*payloads: Any) -> bytes:
    return b"".join(b"data: " + json.dumps(payload).encode() + b"\n\n" for payload in payloads)


def ids_script(start_after: Any) -> Any:
    """A server of events with ids 1-6 that resumes after ``start_after(last_event_id)``."""

    def script(request: ReceivedRequest, index: int) -> List[Step]:
        first = start_after(request.headers.get("last-event-id"))
        body = b"".join(b"id: %d\ndata: event %d\n\n" % (n, n) for n in range(first, 7))
        return good_stream(body)

    return script


_OPENAI = {"openai": True}

CASES: Dict[str, Case] = {
    # status and headers
    "malformed head": Case("http.head", "error", [b"HTTP/1.1 two hundred OK\r\n\r\n"]),
    "status 404": Case("status", "error", [response_head(404, [("Content-Length", "0")])]),
    "status 204": Case("status", "warning", [response_head(204, [])]),
    "status 302": Case("status", "warning", [response_head(302, [("Location", "/x"), ("Content-Length", "0")])]),
    "text/plain": Case("header.content-type", "error", _with_headers(("Content-Type", "text/plain"))),
    "no content type": Case("header.content-type", "error", _with_headers(drop=["Content-Type"])),
    "latin-1 charset": Case(
        "header.charset", "error", _with_headers(("Content-Type", "text/event-stream; charset=iso-8859-1"))
    ),
    "no cache-control": Case("header.cache-control", "warning", _with_headers(drop=["Cache-Control"])),
    "no no-transform": Case("header.cache-control", "warning", _with_headers(("Cache-Control", "no-cache"))),
    "no x-accel-buffering": Case("header.x-accel-buffering", "info", _with_headers(drop=["X-Accel-Buffering"])),
    "x-accel-buffering yes": Case("header.x-accel-buffering", "warning", _with_headers(("X-Accel-Buffering", "yes"))),
    "gzip": Case(
        "header.content-encoding",
        "warning",
        good_stream(gzip.compress(_EVENTS), headers=[*GOOD_HEADERS, ("Content-Encoding", "gzip")]),
    ),
    "content-length": Case(
        "header.content-length",
        "warning",
        [response_head(200, [*GOOD_HEADERS, ("Content-Length", str(len(_EVENTS)))], "OK"), _EVENTS],
    ),
    "content-length cut short": Case(
        "header.content-length",
        "error",
        [response_head(200, [*GOOD_HEADERS, ("Content-Length", "1000")], "OK"), _EVENTS],
    ),
    "transfer-encoding on HTTP/1.0": Case(
        "header.hop-by-hop",
        "error",
        [
            response_head(200, [*GOOD_HEADERS, *_CHUNKED], "OK").replace(b"HTTP/1.1", b"HTTP/1.0", 1),
            chunk(_EVENTS),
            LAST_CHUNK,
        ],
    ),
    "gzip transfer coding": Case(
        "header.hop-by-hop",
        "warning",
        [response_head(200, [*GOOD_HEADERS, ("Transfer-Encoding", "gzip, chunked")], "OK"), chunk(_EVENTS), LAST_CHUNK],
    ),
    "proxy-connection": Case("header.hop-by-hop", "warning", _with_headers(("Proxy-Connection", "keep-alive"))),
    "upgrade": Case("header.hop-by-hop", "warning", _with_headers(("Upgrade", "h2c"))),
    "keep-alive": Case("header.hop-by-hop", "info", _with_headers(("Keep-Alive", "timeout=5"))),
    # framing
    "bad chunk size": Case(
        "framing.chunked", "error", [response_head(200, [*GOOD_HEADERS, *_CHUNKED], "OK"), chunk(_EVENTS), b"zz\r\n"]
    ),
    "no last chunk": Case(
        "framing.chunked", "error", [response_head(200, [*GOOD_HEADERS, *_CHUNKED], "OK"), chunk(_EVENTS)]
    ),
    "chunk without CRLF": Case(
        "framing.chunked",
        "error",
        [response_head(200, [*GOOD_HEADERS, *_CHUNKED], "OK"), b"%x\r\n%sXX" % (len(_EVENTS), _EVENTS)],
    ),
    "line too long": Case(
        "framing.limit",
        "error",
        [response_head(200, [*GOOD_HEADERS, ("Connection", "close")], "OK"), b"data: " + b"x" * (16 * 1024 * 1024 + 1)],
    ),
    "gzip cut short": Case(
        "framing.compression",
        "error",
        good_stream(gzip.compress(_EVENTS)[:-4], headers=[*GOOD_HEADERS, ("Content-Encoding", "gzip")]),
    ),
    "CR line ends": Case("framing.line-endings", "info", good_stream(b"data: one\r\rdata: two\r\r")),
    # A CRLF split across two chunks (two reads) is one CRLF, not a CR and an LF.
    "mixed line ends": Case("framing.line-endings", "warning", good_stream(b"data: one\r", b"\n\r\ndata: two\n\n")),
    "BOM": Case("framing.bom", "warning", good_stream(b"\xef\xbb\xbfdata: one\n\n")),
    "unknown field": Case("framing.unknown-field", "warning", good_stream(b"dat: one\ndata: two\n\n")),
    "retry not digits": Case("framing.retry", "warning", good_stream(b"retry: 1e3\ndata: one\n\n")),
    "id with NUL": Case("framing.id-nul", "warning", good_stream(b"id: 1\x002\ndata: one\n\n")),
    "id-only block": Case("framing.empty-block", "warning", good_stream(b"id: 1\n\ndata: one\n\n")),
    "retry-only block": Case("framing.empty-block", "info", good_stream(b"retry: 1000\n\ndata: one\n\n")),
    "data without blank line at the end": Case("framing.unterminated", "error", good_stream(b"data: one\n\ndata: two\n")),
    "partial line at the end": Case("framing.unterminated", "error", good_stream(b"data: one\n\ndata: tw")),
    "id without blank line at the end": Case("framing.unterminated", "warning", good_stream(b"data: one\n\nid: 7\n")),
    "invalid UTF-8": Case("framing.utf8", "error", good_stream(b"data: caf\xe9\n\n")),
    # timing
    "first byte": Case("timing.first-byte", "info", good_stream(_EVENTS)),
    "first event": Case("timing.first-event", "info", good_stream(_EVENTS)),
    "no event before the end": Case("timing.first-event", "warning", good_stream(b": ping\n\n")),
    "no event within the duration": Case(
        "timing.first-event", "warning", [response_head(200, [*GOOD_HEADERS, *_CHUNKED], "OK"), HOLD], {"duration": 0.5}
    ),
    "gaps": Case("timing.gaps", "info", good_stream(_EVENTS)),
    "silence past the idle limit": Case(
        "timing.heartbeat",
        "warning",
        [
            response_head(200, [*GOOD_HEADERS, *_CHUNKED], "OK"),
            chunk(b"data: one\n\n"),
            Pause(2.0),
            chunk(b"data: two\n\n"),
            LAST_CHUNK,
        ],
        {"idle_limit": 1.0},
    ),
    "too short to judge heartbeats": Case(
        "timing.heartbeat",
        "info",
        [response_head(200, [*GOOD_HEADERS, *_CHUNKED], "OK"), chunk(b"data: one\n\n"), HOLD],
        {"duration": 0.5},
    ),
    # 2.5 s of silence, then six events at once: the burst needs 1 s.
    "burst after silence": Case(
        "timing.buffered",
        "warning",
        [response_head(200, [*GOOD_HEADERS, *_CHUNKED], "OK"), Pause(2.5), chunk(b"data: x\n\n" * 6), LAST_CHUNK],
    ),
    # openai
    "payload not JSON": Case("openai.json", "error", good_stream(b"data: hello\n\ndata: [DONE]\n\n"), _OPENAI),
    "no [DONE]": Case("openai.done", "error", good_stream(_json_events({"choices": []})), _OPENAI),
    "event after [DONE]": Case(
        "openai.after-done", "error", good_stream(b"data: [DONE]\n\n" + _json_events({"choices": []})), _OPENAI
    ),
    "open after [DONE]": Case(
        "openai.after-done",
        "warning",
        [response_head(200, [*GOOD_HEADERS, *_CHUNKED], "OK"), chunk(b"data: [DONE]\n\n"), HOLD],
        {"openai": True, "duration": 0.5},
    ),
    "error event": Case(
        "openai.error-event",
        "warning",
        good_stream(b'event: error\ndata: {"message": "overloaded"}\n\ndata: [DONE]\n\n'),
        _OPENAI,
    ),
    "error object": Case(
        "openai.error-event",
        "warning",
        good_stream(_json_events({"error": {"message": "quota"}}) + b"data: [DONE]\n\n"),
        _OPENAI,
    ),
    # resume
    "no ids": Case("resume.no-ids", "info", good_stream(_EVENTS), {"resume": True}),
    "Last-Event-ID ignored": Case("resume.continuity", "error", ids_script(lambda last: 1), {"resume": True}),
    "events lost on resume": Case(
        "resume.continuity", "error", ids_script(lambda last: 1 if last is None else int(last) + 2), {"resume": True}
    ),
}
