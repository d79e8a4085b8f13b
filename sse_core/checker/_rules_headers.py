"""Rules on the status line and the header fields of the response."""

from typing import Dict, List, Optional, Tuple

from .._http11 import ResponseHead, header_value
from ._findings import ERROR, INFO, WARNING, Finding, finding

__all__ = ["head_findings"]


def head_findings(head: Optional[ResponseHead], head_error: Optional[str]) -> List[Finding]:
    """Findings on the response head; header rules apply to a 200 response only."""
    if head_error is not None:
        return [finding("http.head", f"the response head is malformed: {head_error}")]
    if head is None:
        return []
    if head.status != 200:
        return [_status(head)]
    found: List[Finding] = []
    headers = head.headers
    found += _content_type(header_value(headers, "content-type"))
    found += _cache_control(header_value(headers, "cache-control"))
    found += _x_accel_buffering(header_value(headers, "x-accel-buffering"))
    encoding = header_value(headers, "content-encoding")
    if encoding is not None and encoding.strip().lower() != "identity":
        found.append(
            finding(
                "header.content-encoding",
                f"Content-Encoding: {encoding}: a compressor holds events back until its buffer fills; "
                "send event streams uncompressed",
            )
        )
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


def _status(head: ResponseHead) -> Finding:
    status = f"{head.status} {head.reason}".strip()
    if head.status == 204:
        return finding("status", f"{status}: no stream; EventSource stops reconnecting on 204", WARNING)
    if 300 <= head.status < 400:
        location = header_value(head.headers, "location") or "(no Location)"
        return finding("status", f"{status}: a redirect to {location}; check that URL instead", WARNING)
    return finding("status", f"{status}: EventSource needs 200 OK and fails the connection on {head.status}")


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
                "no Cache-Control: send 'no-cache, no-transform' so that caches and proxies pass the stream through",
            )
        ]
    directives = {item.split("=")[0].strip().lower() for item in value.split(",")}
    missing = []
    if not directives & {"no-cache", "no-store"}:
        missing.append("no-cache")
    if "no-transform" not in directives:
        missing.append("no-transform")
    if not missing:
        return []
    return [
        finding(
            "header.cache-control",
            f"Cache-Control: {value} lacks {' and '.join(missing)}: a cache may store the stream, "
            "or a proxy rewrite (compress) it",
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
