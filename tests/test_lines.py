"""LineSplitter: the one place where bytes become lines."""

import pytest

from sse_core._lines import LineSplitter
from sse_core.errors import LimitExceeded


def split(*pieces, max_line_size=None):
    splitter = LineSplitter(max_line_size)
    lines = []
    for piece in pieces:
        lines += splitter.feed(piece)
    return lines, splitter


def test_lf_crlf_and_lone_cr_all_end_lines():
    assert split(b"a\nb\r\nc\rd\n")[0] == [b"a", b"b", b"c", b"d"]


def test_crlf_split_across_reads_is_one_line_end():
    assert split(b"a\r", b"\nb\n")[0] == [b"a", b"b"]


def test_cr_then_empty_read_then_lf_is_one_line_end():
    assert split(b"a\r", b"", b"\nb\n")[0] == [b"a", b"b"]


def test_cr_at_read_end_then_cr_is_two_line_ends():
    assert split(b"a\r", b"\rb\n")[0] == [b"a", b"", b"b"]


def test_lf_cr_lf_is_two_line_ends():
    assert split(b"a\n\r\nb\n")[0] == [b"a", b"", b"b"]


def test_unicode_line_separators_are_not_line_ends():
    text = "a\u2028b\u2029c\x85d\x0be\x0cf".encode()
    assert split(text + b"\n")[0] == [text]


@pytest.mark.parametrize("line_end", [b"\n", b"\r", b"\r\n"])
def test_other_breaks_are_not_line_ends_in_a_read_with_a_cr(line_end):
    # A read holding a CR is split by bytes.splitlines(), which must not
    # know the breaks str.splitlines() does (VT, FF, FS, GS, RS, NEL).
    text = "a\x0bb\x0cc\x1cd\x1de\x1ef\x85g\u2028h".encode()
    assert split(b"x\r" + text + line_end)[0] == [b"x", text]


def test_read_with_a_cr_keeps_its_incomplete_last_line():
    lines, splitter = split(b"a\rb\nc\r\nde")
    assert lines == [b"a", b"b", b"c"]
    assert splitter.pop_pending() == b"de"


def test_incomplete_line_is_held_until_its_end():
    lines, splitter = split(b"da", b"ta", b": x")
    assert lines == []
    assert splitter.pending_size == 7
    assert splitter.feed(b"\n") == [b"data: x"]
    assert splitter.pending_size == 0


def test_pop_pending_returns_the_incomplete_line():
    _, splitter = split(b"x\nab", b"c")
    assert splitter.pop_pending() == b"abc"
    assert splitter.pending_size == 0


def test_long_line_in_one_byte_reads_is_kept_as_pieces_not_rejoined():
    splitter = LineSplitter(None)
    for _ in range(1000):
        splitter.feed(b"x")
    # One piece per read, joined once at the end: linear, not quadratic.
    assert len(splitter._pieces) == 1000
    assert splitter.feed(b"\n") == [b"x" * 1000]


def test_line_at_the_limit_passes():
    assert split(b"12345\n", max_line_size=5)[0] == [b"12345"]


def test_complete_line_over_the_limit_sets_error_after_earlier_lines():
    lines, splitter = split(b"ok\n123456\nlater\n", max_line_size=5)
    assert lines == [b"ok"]
    assert isinstance(splitter.error, LimitExceeded)
    assert splitter.error.limit == "max_line_size"
    assert (splitter.error.maximum, splitter.error.size) == (5, 6)


def test_incomplete_line_over_the_limit_sets_error_as_it_grows():
    splitter = LineSplitter(5)
    for byte in b"12345":
        splitter.feed(bytes([byte]))
    assert splitter.error is None
    splitter.feed(b"6")
    assert splitter.error is not None and splitter.error.size == 6
    assert splitter.pending_size == 0  # the over-long line is dropped, not kept


def test_line_joined_from_pieces_counts_its_earlier_pieces_against_the_limit():
    lines, splitter = split(b"123", b"45\n", b"12", b"3456\n", max_line_size=5)
    assert lines == [b"12345"]
    assert splitter.error is not None and splitter.error.size == 6


@pytest.mark.parametrize("line_end", [b"\n", b"\r", b"\r\n"])
def test_line_end_bytes_do_not_count_toward_the_limit(line_end):
    assert split(b"12345" + line_end, b"x\n", max_line_size=5)[0] == [b"12345", b"x"]
