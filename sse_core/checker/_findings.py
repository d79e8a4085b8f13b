"""What the checker reports: findings, and the table of the rules behind them."""

from typing import Dict, NamedTuple

__all__ = ["ERROR", "WARNING", "INFO", "SEVERITIES", "Finding", "Rule", "RULES", "finding", "rules_markdown"]

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)

_SSE = "WHATWG HTML 9.2"
_MEDIA_TYPE = "WHATWG HTML, text/event-stream media type registration"


class Finding(NamedTuple):
    """One observation about the server: ``severity`` is error, warning or info."""

    severity: str
    rule: str
    message: str
    spec: str


class Rule(NamedTuple):
    """A rule's usual severity, what it checks in one sentence, and where the spec says so.

    ``variants`` names the other severities some cases get, and which
    (e.g. ``"warning: 204, 3xx"``); empty when there are none.
    """

    severity: str
    summary: str
    spec: str
    variants: str = ""


# Stable ids: tools and tests match on them, so an id is never renamed.
# ``severity`` is the rule's usual one; a few rules report a milder case
# (e.g. one line-ending style is info, a mix of them a warning).
RULES: Dict[str, Rule] = {
    "http.head": Rule(
        ERROR, "The response head must be a well-formed HTTP/1.x head.", "RFC 9112 2-5"
    ),
    "status": Rule(
        ERROR,
        "EventSource processes only a 200 response; anything else fails or stops the connection.",
        f"{_SSE}.3 Processing model; RFC 9110 15.3.1",
        variants="warning: 204, 3xx",
    ),
    "header.content-type": Rule(
        ERROR,
        "The Content-Type must be text/event-stream, or EventSource fails the connection.",
        f"{_SSE}.3 Processing model",
    ),
    "header.charset": Rule(
        ERROR,
        "Event streams are always UTF-8; a charset parameter, if any, must be utf-8.",
        f"{_MEDIA_TYPE}; {_SSE}.5 Parsing an event stream",
    ),
    "header.cache-control": Rule(
        WARNING,
        "Cache-Control: no-cache (or no-store) keeps caches from replaying the stream, no-transform keeps proxies "
        "from rewriting it.",
        "RFC 9111 5.2.2.4, 5.2.2.5, 5.2.2.6",
    ),
    "header.x-accel-buffering": Rule(
        INFO,
        "X-Accel-Buffering: no tells nginx not to buffer the stream, which it does by default.",
        "nginx ngx_http_proxy_module, proxy_buffering",
        variants="warning: a value other than `no`",
    ),
    "header.content-encoding": Rule(
        WARNING,
        "A compressed stream is held back by the compressor until its buffer fills; gzip and deflate are decoded "
        "to analyse the events.",
        "RFC 9110 8.4",
        variants="info: uncompressed though `--compressed` allowed it",
    ),
    "header.content-length": Rule(
        WARNING,
        "A Content-Length makes the stream finite, and usually means the body was produced whole before sending.",
        "RFC 9110 8.6; RFC 9112 6.3",
        variants="error: body cut short of it",
    ),
    "header.hop-by-hop": Rule(
        WARNING,
        "Connection-specific fields (Transfer-Encoding, Keep-Alive, Upgrade, Proxy-Connection) must fit the exchange.",
        "RFC 9110 7.6.1; RFC 9112 6.1",
        variants="error: Transfer-Encoding on HTTP/1.0; info: Keep-Alive",
    ),
    "framing.chunked": Rule(
        ERROR,
        "The chunked framing of the body must be valid, and end with the last chunk.",
        "RFC 9112 7.1",
    ),
    "framing.limit": Rule(
        ERROR,
        "A line or an event passed the decoder's bounds (16 MiB a line, 64 MiB an event).",
        f"{_SSE}.10 Implementation advice",
    ),
    "framing.compression": Rule(
        ERROR,
        "A compressed body must decode in full with its Content-Encoding, or clients fail it.",
        "RFC 9110 8.4.1; RFC 1950; RFC 1952",
    ),
    "framing.line-endings": Rule(
        INFO,
        "Lines may end in CRLF, LF or CR; mixing them trips line readers that know only one.",
        f"{_SSE}.5 Parsing an event stream",
        variants="warning: a mix",
    ),
    "framing.bom": Rule(
        WARNING,
        "One leading BOM is allowed and stripped, but clients that do not strip it corrupt the first field.",
        f"{_SSE}.5 Parsing an event stream",
    ),
    "framing.unknown-field": Rule(
        WARNING,
        "A field other than data, event, id and retry is ignored by clients; it is usually a typo.",
        f"{_SSE}.6 Interpreting an event stream",
    ),
    "framing.retry": Rule(
        WARNING,
        "A retry value that is not all ASCII digits is ignored.",
        f"{_SSE}.6 Interpreting an event stream",
    ),
    "framing.id-nul": Rule(
        WARNING,
        "An id containing NUL is ignored, so a reconnecting client resumes from an older id.",
        f"{_SSE}.6 Interpreting an event stream",
    ),
    "framing.empty-block": Rule(
        WARNING,
        "A block without data dispatches nothing, but many clients dispatch an empty event for it.",
        f"{_SSE}.6 Interpreting an event stream",
        variants="info: a `retry`-only block",
    ),
    "framing.unterminated": Rule(
        ERROR,
        "The stream ended inside an event (no closing blank line), which clients discard.",
        f"{_SSE}.6 Interpreting an event stream",
        variants="warning: no data lost",
    ),
    "framing.utf8": Rule(
        ERROR,
        "Event streams are UTF-8; invalid bytes reach the client as U+FFFD.",
        f"{_SSE}.5 Parsing an event stream",
    ),
    "timing.first-byte": Rule(
        INFO, "How long the response head took to begin arriving after the request was sent.", f"{_SSE}.7 Authoring notes"
    ),
    "timing.first-event": Rule(
        INFO,
        "How long the first event took; none within the check is a warning.",
        f"{_SSE}.7 Authoring notes",
        variants="warning: no event",
    ),
    "timing.gaps": Rule(INFO, "The gaps between consecutive events.", f"{_SSE}.7 Authoring notes"),
    "timing.heartbeat": Rule(
        WARNING,
        "A silence as long as a proxy's idle limit (60 s by default) gets the connection closed; comments every "
        "quarter of that limit prevent it.",
        f"{_SSE}.7 Authoring notes",
        variants="info: under the limit, or not judged",
    ),
    "timing.buffered": Rule(
        WARNING,
        "Events that arrive in bursts after silences were held back on the way (a proxy, a compressor, an output buffer).",
        f"{_SSE}.7 Authoring notes",
    ),
    "openai.json": Rule(
        ERROR,
        "Every data payload of an OpenAI-style stream is a JSON value, except the final [DONE].",
        "OpenAI API reference, streaming",
    ),
    "openai.done": Rule(
        ERROR,
        "An OpenAI-style stream ends with data: [DONE].",
        "OpenAI API reference, streaming",
        variants="info: the check stopped first",
    ),
    "openai.after-done": Rule(
        ERROR,
        "Nothing follows data: [DONE]; the stream closes.",
        "OpenAI API reference, streaming",
        variants="warning: stays open after it",
    ),
    "openai.error-event": Rule(
        WARNING,
        "The server reported an error in the stream (event: error, or a data object with an error key).",
        "OpenAI API reference, streaming",
    ),
    "resume.no-ids": Rule(
        INFO, "The stream carries no ids, so a reconnecting client cannot resume it.", f"{_SSE}.4 The Last-Event-ID header"
    ),
    "resume.continuity": Rule(
        ERROR,
        "After a reconnect with Last-Event-ID, events continue right after that id: no repeats, no gaps.",
        f"{_SSE}.4 The Last-Event-ID header; {_SSE}.3 Processing model",
        variants="warning: non-integer ids differ from an uninterrupted read; info: continuous",
    ),
}


def finding(rule: str, message: str, severity: str = "") -> Finding:
    """A finding of ``rule`` (its usual severity unless ``severity`` is given)."""
    entry = RULES[rule]
    return Finding(severity or entry.severity, rule, message, entry.spec)


def rules_markdown() -> str:
    """The table of :data:`RULES` in Markdown, as README's "Checking a server" shows it."""
    lines = ["| rule | severity | checks | spec |", "|---|---|---|---|"]
    for name, rule in RULES.items():
        severity = rule.severity + (f" ({rule.variants})" if rule.variants else "")
        cells = [f"`{name}`", severity, rule.summary, rule.spec]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"
