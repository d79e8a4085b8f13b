"""Rules on the status line and the header fields of the response."""

import json
from typing import Any, Dict, List, Optional, Tuple

from .._http11 import ResponseHead, header_value
from ._coding import ContentDecoder
from ._findings import ERROR, INFO, WARNING, Finding, finding

__all__ = ["head_findings", "ACCEPT_COMPRESSED"]

# What a browser's EventSource request accepts: the --compressed probe sends it.
ACCEPT_COMPRESSED = "gzip, deflate, br"

_SHOWN_BODY = 300  # characters of an error response's body shown


def head_findings(
    head: Optional[ResponseHead], head_error: Optional[str], error_body: bytes = b"", compressed_probe: bool = False
) -> List[Finding]:
    """Findings on the response head; header rules apply to a 200 response only.

    ``error_body`` is the start of the body of a response other than 200;
    ``compressed_probe`` says the request accepted compression.
    """
    if head_error is not None:
        return [finding("http.head", f"the response head is malformed: {head_error}")]
    if head is None:
        return []
    if head.status != 200:
        return [_status(head, error_body)]
    found: List[Finding] = []
    headers = head.headers
    found += _content_type(header_value(headers, "content-type"))
    found += _cache_control(header_value(headers, "cache-control"))
    found += _x_accel_buffering(header_value(headers, "x-accel-buffering"))
    found += _content_encoding(header_value(headers, "content-encoding"), compressed_probe)
    length = header_value(headers, "content-length")
    if length is not None:
        found.append(
            finding(
                "header.content-length",
                f"Content-Length: {length} on an event stream: the stream is finite, and its body was "
                "probably produced whole before sending",
            )
        )
    found += _hop_by_hop(head)
    return found


def _status(head: ResponseHead, body: bytes) -> Finding:
    status = f"{head.status} {head.reason}".strip()
    if head.status == 204:
        return finding("status", f"{status}: no stream; EventSource stops reconnecting on 204", WARNING)
    if 300 <= head.status < 400:
        location = header_value(head.headers, "location") or "(no Location)"
        return finding("status", f"{status}: a redirect to {location}; check that URL instead", WARNING)
    message = f"{status}: EventSource needs 200 OK and fails the connection on {head.status}"
    said = _what_the_body_says(body)
    return finding("status", message + (f"; the body says: {said}" if said else ""))


def _what_the_body_says(body: bytes) -> str:
    """An error body as its message (``{"error": {"message": ...}}`` as APIs send it), else its text."""
    text = body.decode("utf-8", "replace").strip()
    try:
        payload: Any = json.loads(text)
    except (ValueError, RecursionError):
        payload = text
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        text = error["message"]
    elif isinstance(error, str):
        text = error
    text = " ".join(text.split())  # one line
    return text if len(text) <= _SHOWN_BODY else text[:_SHOWN_BODY] + "..."


def _media_type(value: str) -> Tuple[str, Dict[str, str]]:
    media_type, *parameters = value.split(";")
    params = {}
    for parameter in parameters:
        name, _, param_value = parameter.partition("=")
        params[name.strip().lower()] = param_value.strip().strip('"')
    return media_type.strip().lower(), params


def _content_type(value: Optional[str]) -> List[Finding]:
    if value is None:
        return [finding("header.content-type", "no Content-Type: EventSource needs text/event-stream")]
    media_type, params = _media_type(value)
    if media_type != "text/event-stream":
        return [finding("header.content-type", f"Content-Type: {value}, not text/event-stream")]
    charset = params.get("charset")
    if charset is not None and charset.lower() != "utf-8":
        return [
            finding(
                "header.charset",
                f"charset={charset}: event streams are always decoded as UTF-8; send utf-8 or no charset",
            )
        ]
    return []


def _cache_control(value: Optional[str]) -> List[Finding]:
    if value is None:
        return [
            finding(
                "header.cache-control",
                "no Cache-Control: a cache may store the stream and replay it to later clients, and a proxy "
                "may rewrite (compress) it; send 'no-cache, no-transform'",
            )
        ]
    directives = {item.split("=")[0].strip().lower() for item in value.split(",")}
    found = []
    # What keeps a cache from serving a stored copy (RFC 9111 5.2.2): each
    # is enough for a stream; no-cache is the usual one.
    if "no-store" in directives:
        kept = "no-store keeps every cache from storing the stream"
    elif "no-cache" in directives:
        kept = "no-cache makes a cache ask the server before reusing a stored response, so no client gets a replay"
    elif "private" in directives:
        kept = "private keeps shared caches (proxies, CDNs) from storing the stream; the browser's own cache may"
    else:
        kept = ""
        found.append(
            finding(
                "header.cache-control",
                f"Cache-Control: {value} lets a cache store the stream and replay it to later clients; "
                "add no-cache (or no-store)",
            )
        )
    if "no-transform" not in directives:
        found.append(
            finding(
                "header.cache-control",
                f"Cache-Control: {value}" + (f" ({kept})" if kept else "") + " lacks no-transform: a proxy may "
                "rewrite the stream (compress it, which holds events back); add no-transform",
            )
        )
    return found


def _content_encoding(value: Optional[str], compressed_probe: bool) -> List[Finding]:
    decoder = ContentDecoder(value)
    if not decoder.coding:
        if not compressed_probe:
            return []
        message = f"the stream came uncompressed, though the request accepted {ACCEPT_COMPRESSED} as a browser's does"
        return [finding("header.content-encoding", message, INFO)]
    said = f"Content-Encoding: {value}"
    if compressed_probe:
        said += f" in answer to Accept-Encoding: {ACCEPT_COMPRESSED} (as a browser sends)"
    analysed = (
        "decoded here to analyse its events"
        if decoder.decodable
        else f"{decoder.coding} cannot be decoded here, so its events are not analysed"
    )
    return [
        finding(
            "header.content-encoding",
            f"{said}: a compressor holds events back until its buffer fills; send event streams "
            f"uncompressed ({analysed})",
        )
    ]


def _x_accel_buffering(value: Optional[str]) -> List[Finding]:
    if value is None:
        return [
            finding(
                "header.x-accel-buffering",
                "no X-Accel-Buffering: no; an nginx in front buffers the stream unless its proxy_buffering is off",
            )
        ]
    if value.strip().lower() != "no":
        return [
            finding(
                "header.x-accel-buffering", f"X-Accel-Buffering: {value} asks nginx to buffer the stream", WARNING
            )
        ]
    return []


def _hop_by_hop(head: ResponseHead) -> List[Finding]:
    headers = head.headers
    found = []
    connection = {item.strip().lower() for item in (header_value(headers, "connection") or "").split(",")}
    transfer = header_value(headers, "transfer-encoding")
    if transfer is not None:
        if head.version == "1.0":
            found.append(
                finding(
                    "header.hop-by-hop",
                    f"Transfer-Encoding: {transfer} in an HTTP/1.0 response: the client must treat the "
                    "framing as faulty",
                    ERROR,
                )
            )
        codings = [item.strip().lower() for item in transfer.split(",") if item.strip()]
        if codings[:-1] or codings[-1:] != ["chunked"]:
            found.append(
                finding(
                    "header.hop-by-hop",
                    f"Transfer-Encoding: {transfer}: a coding besides chunked (compression) holds events back",
                )
            )
    if header_value(headers, "upgrade") is not None and "upgrade" not in connection:
        found.append(
            finding("header.hop-by-hop", "Upgrade sent without Connection: upgrade on a 200 response")
        )
    if header_value(headers, "proxy-connection") is not None:
        found.append(finding("header.hop-by-hop", "Proxy-Connection is not a standard field; proxies may mishandle it"))
    if header_value(headers, "keep-alive") is not None and "keep-alive" not in connection:
        found.append(
            finding(
                "header.hop-by-hop",
                "Keep-Alive without Connection: keep-alive: a connection-specific field proxies must drop",
                INFO,
            )
        )
    return found
