"""Which redirects a client follows, where to, and which request headers go along, decided without I/O."""

from typing import List, NamedTuple, Optional, Tuple, Union
from urllib.parse import quote, urljoin

from ..errors import LocalProtocolError
from ._request import origin
from ._response_policy import HTTPStatusError, Refusal

__all__ = ["Redirect", "follow_redirect", "REDIRECT_STATUSES", "CROSS_ORIGIN_SAFE_HEADERS", "DEFAULT_MAX_REDIRECTS"]

DEFAULT_MAX_REDIRECTS = 10  # as requests' default is 30 and browsers' 20, with less need
REDIRECT_STATUSES = (301, 302, 303, 307, 308)

# The caller's headers that still go to another origin (scheme, host or
# port) after a redirect: content negotiation and caching, which carry no
# secret. Every other header the caller set is dropped there, as browsers
# drop all but the CORS-safelisted ones: a credential has many names
# (Authorization, Cookie, Proxy-Authorization, Azure's api-key,
# Anthropic's x-api-key, ...) and cannot be told by its name.
CROSS_ORIGIN_SAFE_HEADERS = frozenset(
    (
        "accept",
        "accept-language",
        "cache-control",
        "content-language",
        "content-type",
        "last-event-id",
        "pragma",
        "user-agent",
    )
)

# What a request target may hold unencoded; the other bytes of a Location
# (blanks, tabs, non-ASCII) are percent-encoded, as browsers do.
_PRINTABLE_ASCII = "".join(chr(code) for code in range(0x21, 0x7F))


class Redirect(NamedTuple):
    """The request to make next: its absolute URL and its headers."""

    url: str
    headers: List[Tuple[str, str]]


def follow_redirect(
    method: str,
    url: str,
    headers: List[Tuple[str, str]],
    status: int,
    location: Optional[str],
    *,
    redirects: int,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
) -> Union[None, Redirect, Refusal]:
    """Decide what a response to ``method url`` with ``headers`` leads to.

    None: it is not a redirect to follow (not a redirect status, no
    ``Location``, or not a GET: a body is never sent again), so it is the
    response. A :class:`Redirect`: the next request, ``Location`` resolved
    against ``url``, with only :data:`CROSS_ORIGIN_SAFE_HEADERS` of
    ``headers`` if it leaves the origin. A :class:`Refusal`: ``redirects``
    were already followed and ``max_redirects`` is reached, or the
    ``Location`` cannot be followed (malformed, not http(s)).
    """
    if status not in REDIRECT_STATUSES or method != "GET" or location is None:
        return None
    if redirects >= max_redirects:
        return Refusal(HTTPStatusError, f"more than {max_redirects} redirects")
    try:
        # The head's bytes came as latin-1 text: encode them back and
        # percent-encode the bytes themselves (UTF-8, from most servers).
        target = urljoin(url, quote(location.encode("latin-1"), safe=_PRINTABLE_ASCII))
        leaves_origin = origin(target) != origin(url)
    except (ValueError, LocalProtocolError):  # urljoin's ValueError: an unclosed "[" and the like
        return Refusal(HTTPStatusError, f"redirect to a URL that cannot be followed: {location!r}")
    if leaves_origin:
        headers = [(name, value) for name, value in headers if name.lower() in CROSS_ORIGIN_SAFE_HEADERS]
    return Redirect(target, headers)
