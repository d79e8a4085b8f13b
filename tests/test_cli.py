"""``python -m sse_core parse|encode``, run as real subprocesses, no mocks.

Every subprocess is bounded by a timeout, so a hang fails the test instead
of stalling the suite.
"""

import json
import os
import subprocess
import sys
import threading

import pytest

from sse_core import encode, encode_chunk, encode_last_chunk
from sse_core.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 10  # seconds; a healthy run takes a small fraction of this
# Without PYTHONUNBUFFERED, as users run it: with it set, stdout is written
# through and the flush test could not tell a missing flush() apart.
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}


def cli(*args, input=b""):
    return subprocess.run(
        [sys.executable, "-m", "sse_core", *args],
        input=input,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=ENV,
        timeout=TIMEOUT,
    )


def json_lines(stdout):
    # Split the bytes on LF only: str.splitlines() would also cut the raw
    # U+2028 and U+0085 that the JSON output carries unescaped.
    assert stdout == b"" or stdout.endswith(b"\n"), stdout
    return [json.loads(line) for line in stdout.split(b"\n")[:-1]]


def event(data, event="message", id="", retry=None):
    return {"event": event, "data": data, "id": id, "retry": retry}


def assert_one_line_error(result, command, status=1):
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == status, stderr
    assert "Traceback" not in stderr
    assert len(stderr.splitlines()) == 1, stderr
    assert stderr.startswith(f"sse_core {command}: error:"), stderr
    return stderr


# parse


def test_parse_prints_one_json_object_per_event():
    stream = b"event: a\nid: 1\nretry: 5\ndata: x\ndata: y\n\ndata: z\n\n"
    result = cli("parse", input=stream)
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    assert json_lines(result.stdout) == [event("x\ny", "a", "1", 5), event("z", id="1")]


def test_parse_flushes_each_event_as_it_is_dispatched():
    proc = subprocess.Popen(
        [sys.executable, "-m", "sse_core", "parse"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=ENV,
    )
    try:
        proc.stdin.write(b"data: first\n\n")
        proc.stdin.flush()
        # stdin stays open: the line must come while parse still waits for more.
        lines = []
        reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout=5)
        assert lines, "no output within 5 s while stdin was still open"
        assert json.loads(lines[0]) == event("first")
        proc.stdin.write(b"data: second\n\n")
        proc.stdin.close()
        assert proc.wait(timeout=TIMEOUT) == 0
        assert json_lines(proc.stdout.read()) == [event("second")]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=TIMEOUT)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            pipe.close()


def test_parse_chunked_decodes_chunk_encoded_input():
    body = b"data: one\r\n\r\nid: 7\r\ndata: t\xc3\xa9\n\n"
    # Chunk boundaries inside a line, inside the CRLF and inside a UTF-8 sequence.
    pieces = [body[:5], body[5:10], body[10:21], body[21:33], body[33:]]
    stream = b"".join(encode_chunk(p) for p in pieces) + encode_last_chunk([(b"x-end", b"1")])
    result = cli("parse", "--chunked", input=stream)
    assert result.returncode == 0, result.stderr
    assert json_lines(result.stdout) == [event("one"), event("t\u00e9", id="7")]


def test_parse_comments_prints_comment_objects():
    stream = b": hello\ndata: x\n\n:\n"
    with_comments = cli("parse", "--comments", input=stream)
    assert with_comments.returncode == 0, with_comments.stderr
    assert json_lines(with_comments.stdout) == [{"comment": "hello"}, event("x"), {"comment": ""}]
    without = cli("parse", input=stream)
    assert json_lines(without.stdout) == [event("x")]


def test_parse_unterminated_event_is_not_printed_by_default():
    result = cli("parse", input=b"data: a\n\ndata: cut")
    assert result.returncode == 0, result.stderr
    assert json_lines(result.stdout) == [event("a")]


def test_parse_dispatch_unterminated_prints_the_last_event():
    result = cli("parse", "--dispatch-unterminated", input=b"data: a\n\nevent: e\ndata: cut")
    assert result.returncode == 0, result.stderr
    assert json_lines(result.stdout) == [event("a"), event("cut", "e")]


def test_parse_line_over_max_line_size_is_a_one_line_error():
    result = cli("parse", "--max-line-size", "10", input=b"data: ok\n\ndata: 0123456789\n\n")
    stderr = assert_one_line_error(result, "parse")
    assert "max_line_size" in stderr
    assert json_lines(result.stdout) == [event("ok")]


@pytest.mark.parametrize(
    "stream",
    [b"zz\r\ndata: x\n\n\r\n0\r\n\r\n", b"3\r\nabcX\r\n0\r\n\r\n", b"-1\r\n", b"5\nhello\r\n"],
    ids=["bad-size", "no-crlf-after-data", "negative-size", "bare-lf"],
)
def test_parse_malformed_chunked_input_is_a_one_line_error(stream):
    assert_one_line_error(cli("parse", "--chunked", input=stream), "parse")


def test_parse_truncated_chunked_input_is_a_one_line_error():
    # Everything up to the cut is still printed; then the missing end is an error.
    result = cli("parse", "--chunked", input=encode_chunk(b"data: x\n\n") + encode_chunk(b"data: y"))
    assert_one_line_error(result, "parse")
    assert json_lines(result.stdout) == [event("x")]


# encode


def test_encode_json_lines_to_exact_sse_bytes():
    lines = [
        {"data": "a\nb", "event": "update", "id": "42", "retry": 3000, "comment": "hi"},
        {"data": ""},
        {"comment": "ping"},
        {"id": ""},
    ]
    result = cli("encode", input=b"".join(json.dumps(line).encode() + b"\n" for line in lines))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        b": hi\nevent: update\nid: 42\nretry: 3000\ndata: a\ndata: b\n\n"
        b"data: \n\n"
        b": ping\n\n"
        b"id: \n\n"
    )


def test_encode_output_matches_the_library():
    line = {"data": " lead\r\ntrail\n", "event": "e", "id": "9", "retry": 0}
    result = cli("encode", input=json.dumps(line).encode() + b"\n")
    assert result.stdout == encode(**line)


def test_encode_skips_blank_lines():
    result = cli("encode", input=b'\n   \n{"data": "a"}\n\t\r\n\n{"data": "b"}\n\n')
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"data: a\n\ndata: b\n\n"


def test_encode_without_final_newline_still_encodes_the_last_line():
    result = cli("encode", input=b'{"data": "a"}')
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"data: a\n\n"


def test_encode_chunked_round_trips_through_parse_chunked():
    lines = [
        {"data": "one", "event": "e", "id": "1"},
        {"comment": "ping"},
        {"data": "two\r\nlines", "retry": 10},
        {"data": "", "id": ""},
    ]
    encoded = cli("encode", "--chunked", input="".join(json.dumps(x) + "\n" for x in lines).encode())
    assert encoded.returncode == 0, encoded.stderr
    assert encoded.stdout.endswith(encode_last_chunk())
    parsed = cli("parse", "--chunked", "--comments", input=encoded.stdout)
    assert parsed.returncode == 0, parsed.stderr
    assert json_lines(parsed.stdout) == [
        event("one", "e", "1"),
        {"comment": "ping"},
        event("two\nlines", id="1", retry=10),
        event("", id=""),
    ]


@pytest.mark.parametrize(
    "bad_line",
    [
        b'{"data": "x"',
        b"not json",
        b"\xff\xfe",
        b'["data", "x"]',
        b'"x"',
        b"null",
        b'{"data": "x", "colour": "red"}',
        b'{"data": "x", "id": "a\\nb"}',
        b'{"data": "x", "event": "a\\rb"}',
        b'{"data": "x", "id": "a\\u0000b"}',
        b'{"data": "x", "retry": -1}',
        b'{"data": "x", "retry": true}',
        b'{"data": "x", "retry": 1.5}',
        b'{"data": 5}',
        b'{"data": "\\ud800"}',
        b"{}",
    ],
    ids=[
        "truncated-json",
        "not-json",
        "not-utf8",
        "array",
        "string",
        "null",
        "unknown-key",
        "id-with-newline",
        "event-with-cr",
        "id-with-nul",
        "negative-retry",
        "bool-retry",
        "float-retry",
        "int-data",
        "lone-surrogate",
        "empty-object",
    ],
)
def test_encode_bad_line_is_a_one_line_error_naming_the_line(bad_line):
    # A good line, a blank line (still counted), then the bad one: line 3.
    result = cli("encode", input=b'{"data": "ok"}\n\n' + bad_line + b"\n")
    stderr = assert_one_line_error(result, "encode")
    assert "line 3" in stderr
    assert result.stdout == b"data: ok\n\n"


@pytest.mark.parametrize(
    "retry, shown",
    [(b"-1", "not -1"), (b"1000000000000000000", "not 1000000000000000000"), (b"1" + b"0" * 30, "not an int of 100 bits")],
)
def test_encode_bad_retry_error_shows_the_value(retry, shown):
    result = cli("encode", input=b'{"data": "x", "retry": ' + retry + b"}\n")
    stderr = assert_one_line_error(result, "encode")
    assert stderr.rstrip("\n").endswith(f"retry must be an int from 0 to 999999999999999999, {shown}")


def test_encode_deeply_nested_json_is_a_one_line_error_not_a_traceback():
    # json.loads raises RecursionError, not ValueError, past ~1000 levels.
    result = cli("encode", input=b"[" * 100_000 + b"\n")
    stderr = assert_one_line_error(result, "encode")
    assert "line 1" in stderr


def test_non_ascii_text_round_trips():
    text = "h\u00e9llo \u20ac \u4e2d\u6587 \U0001f600 \u2028 \x85"
    line = json.dumps({"data": text, "event": "\u00e9v", "id": "\u2603"}, ensure_ascii=True)
    encoded = cli("encode", input=line.encode("ascii") + b"\n")
    assert encoded.returncode == 0, encoded.stderr
    assert encoded.stdout == ("event: \u00e9v\nid: \u2603\ndata: " + text + "\n\n").encode("utf-8")
    parsed = cli("parse", input=encoded.stdout)
    assert parsed.returncode == 0, parsed.stderr
    # Real characters on the wire, not \u escapes, but for the C1 control.
    assert "h\u00e9llo \u20ac \u4e2d\u6587 \U0001f600 \u2028".encode("utf-8") in parsed.stdout
    assert parsed.stdout.count(b"\\u") == parsed.stdout.count(b"\\u0085") == 1
    assert json_lines(parsed.stdout) == [event(text, "\u00e9v", "\u2603")]


# the package


def test_import_sse_core_loads_no_command_line_or_adapter_module():
    code = (
        "import sys, sse_core\n"
        "wings = [name for name in sys.modules if name.startswith(('sse_core.cli', 'sse_core.adapters',"
        " 'sse_core.checker', 'sse_core.mock', 'sse_core.__main__'))]\n"
        "assert not wings, wings\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=ENV, timeout=TIMEOUT, check=True)


def test_main_is_importable_from_sse_core_main_for_the_console_script():
    from sse_core.__main__ import main as console_script

    assert console_script is main


# usage


@pytest.mark.parametrize(
    "argv",
    [["parse"], ["encode"], ["get", "http://h/"], ["check", "http://h/"], ["serve"], ["demo"]],
    ids=lambda argv: argv[0],
)
def test_an_unknown_option_prints_the_commands_own_usage(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main([*argv, "--bogus"])
    assert info.value.code == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith(f"usage: python -m sse_core {argv[0]} [-h]"), stderr
    assert stderr.endswith(f"python -m sse_core {argv[0]}: error: unrecognized arguments: --bogus\n"), stderr
