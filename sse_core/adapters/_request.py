"""The request a client sends: URL, default headers and body, checked once."""

import json as _json
from typing import Any, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union
from urllib.parse import urlsplit

from .._http11 import encode_request_head
from .._version import __version__
from ..errors import LocalProtocolError

__all__ = ["Headers", "Request", "build_request", "header_list", "origin"]

Headers = Union[Mapping[str, str], Sequence[Tuple[str, str]]]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_METHODS_WITH_BODY = ("POST", "PUT", "PATCH")


class Request(NamedTuple):
    """Everything a transport needs; ``head`` is the validated request head."""

    method: str
    url: str
    scheme: str
    host: str
    port: int
    target: str
    headers: List[Tuple[str, str]]
    body: bytes
    head: bytes


def origin(url: str) -> Tuple[str, str, int]:
    """Return (scheme, host, port) of an http(s) URL; LocalProtocolError otherwise."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # an unclosed "[", a netloc NFKC would change
        raise LocalProtocolError(f"invalid URL {url!r} ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise LocalProtocolError(f"unsupported URL scheme in {url!r} (http or https)")
    if not parts.hostname:
        raise LocalProtocolError(f"no host in URL {url!r}")
    if parts.username is not None or parts.password is not None:
        raise LocalProtocolError("credentials in the URL are not sent; pass an Authorization header")
    try:
        port = parts.port
    except ValueError:
        raise LocalProtocolError(f"invalid port in URL {url!r}") from None
    return scheme, parts.hostname, port or _DEFAULT_PORTS[scheme]


def build_request(
    method: str,
    url: str,
    headers: Optional[Headers] = None,
    *,
    json: Any = None,
    content: Union[bytes, str, None] = None,
) -> Request:
    """Build and validate a request; raise LocalProtocolError for anything unsendable.

    ``json`` is serialised with ``Content-Type: application/json``;
    ``content`` is a raw body (bytes, or str sent as UTF-8). User headers
    replace the defaults of the same name, whatever their case.
    """
    scheme, host, port = origin(url)
    parts = urlsplit(url)
    target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    body = _body(json, content)
    host_header = f"[{host}]" if ":" in host else host
    if port != _DEFAULT_PORTS[scheme]:
        host_header += f":{port}"
    defaults = [
        ("Host", host_header),
        ("User-Agent", f"sse_core/{__version__}"),
        ("Accept", "text/event-stream"),
        ("Cache-Control", "no-cache"),
    ]
    if json is not None:
        defaults.append(("Content-Type", "application/json"))
    if body or method.upper() in _METHODS_WITH_BODY:
        defaults.append(("Content-Length", str(len(body))))
    user = header_list(headers)
    overridden = {name.lower() for name, _ in user if isinstance(name, str)}
    merged = [(name, value) for name, value in defaults if name.lower() not in overridden] + user
    head = encode_request_head(method, target, merged)
    return Request(method, url, scheme, host, port, target, merged, body, head)


def header_list(headers: Optional[Headers]) -> List[Tuple[str, str]]:
    """Return headers given as a mapping or as pairs as a new list of pairs."""
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers or ())


def _body(json: Any, content: Union[bytes, str, None]) -> bytes:
    if json is not None and content is not None:
        raise LocalProtocolError("pass json= or content=, not both")
    if json is not None:
        return _json.dumps(json, ensure_ascii=False).encode("utf-8")
    raw = content
    if raw is None:
        return b""
    if isinstance(raw, str):
        return raw.encode("utf-8")
    if isinstance(raw, (bytes, bytearray, memoryview)):
        return bytes(raw)
    raise LocalProtocolError(f"a body must be bytes or str, not {type(raw).__name__}")
