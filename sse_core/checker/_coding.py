"""Undo the body's Content-Encoding (gzip, deflate) read by read, so a compressed stream is still analysed.

A client application sees the events after its HTTP library has undone
the compression, so the checker does the same before the observer sees
the bytes. Output comes in pieces of at most ``_PIECE`` bytes (zlib's
``max_length``), so a small read that inflates a thousandfold never makes
a large buffer. Codings the standard library cannot undo (br, zstd, a
chain of several) leave the body unanalysed.
"""

import zlib
from typing import Iterator, List, Optional

__all__ = ["ContentDecoder", "content_codings"]

_PIECE = 64 * 1024

# zlib's wbits for each coding (RFC 9110 8.4.1): gzip is RFC 1952, deflate
# the zlib format of RFC 1950, though some servers send raw RFC 1951 data.
_GZIP = 16 + zlib.MAX_WBITS
_ZLIB = zlib.MAX_WBITS
_RAW_DEFLATE = -zlib.MAX_WBITS
_DECODABLE = ("gzip", "x-gzip", "deflate")


def content_codings(value: Optional[str]) -> List[str]:
    """The codings a Content-Encoding value lists, lowercased, identity left out."""
    codings = [item.strip().lower() for item in (value or "").split(",")]
    return [coding for coding in codings if coding and coding != "identity"]


class ContentDecoder:
    """Feed it the de-chunked body; it yields the decoded bytes.

    ``decodable`` is False for a coding it cannot undo: then it yields
    nothing. After a fault ``error`` says what it was, and it yields
    nothing more.
    """

    def __init__(self, content_encoding: Optional[str]) -> None:
        codings = content_codings(content_encoding)
        self.coding = ", ".join(codings)
        self.decodable = not codings or (len(codings) == 1 and codings[0] in _DECODABLE)
        self.error: Optional[str] = None
        self._compressed = bool(codings) and self.decodable
        self._inflater: Optional["zlib._Decompress"] = None
        self._start = b""  # deflate's first bytes, until they tell zlib from raw data
        self._fed = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not self.decodable or self.error is not None or not data:
            return
        if not self._compressed:
            yield data
            return
        self._fed = True
        if self._inflater is None:
            data = self._begin(data)
            if self._inflater is None:
                return
        try:
            yield from self._inflate(data)
        except zlib.error as exc:
            self.error = f"the {self.coding} body does not decode: {exc}"

    def close(self) -> Iterator[bytes]:
        """The body ended as its framing says: check that the compressed data ended too."""
        if not self._compressed or self.error is not None or not self._fed:
            return
        if self._inflater is None:  # fewer than two bytes of deflate
            self.error = f"the {self.coding} body ended after {len(self._start)} byte(s)"
            return
        try:
            rest = self._inflater.flush()
        except zlib.error as exc:
            self.error = f"the {self.coding} body does not decode: {exc}"
            return
        if rest:
            yield rest
        if not self._inflater.eof:
            self.error = f"the {self.coding} body ended before the end of its compressed data"

    def _begin(self, data: bytes) -> bytes:
        if self.coding != "deflate":
            self._inflater = zlib.decompressobj(_GZIP)
            return data
        self._start += data
        if len(self._start) < 2:
            return b""
        first, second = self._start[0], self._start[1]
        # A zlib header: compression method 8, and the two bytes a multiple of 31 (RFC 1950 2.2).
        is_zlib = first & 0x0F == 8 and (first << 8 | second) % 31 == 0
        self._inflater = zlib.decompressobj(_ZLIB if is_zlib else _RAW_DEFLATE)
        data, self._start = self._start, b""
        return data

    def _inflate(self, data: bytes) -> Iterator[bytes]:
        inflater = self._inflater
        assert inflater is not None
        while True:
            out = inflater.decompress(data, _PIECE)
            data = inflater.unconsumed_tail
            if out:
                yield out
            if inflater.eof:
                data = inflater.unused_data + data
                if not data:
                    return
                if self.coding == "deflate":
                    self.error = f"{len(data)} byte(s) follow the end of the deflate data"
                    return
                # gzip allows several members one after another (RFC 1952 2.2).
                inflater = self._inflater = zlib.decompressobj(_GZIP)
                continue
            # A full piece may leave output inside zlib even with no input left.
            if not data and len(out) < _PIECE:
                return
