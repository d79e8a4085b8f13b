"""README.md's examples run as written.

Every ```python block runs in a fresh interpreter, in a temporary directory
with the checkout on PYTHONPATH: as a script, or, when it defines test_
functions, under pytest, where each of them must pass (none skipped); there
the fixture ``live_server_url`` is a small server whose ``/events`` sends
ids 1 to 10 at once and resumes after ``Last-Event-ID``. A fenced block in
a language this file does not run fails the test, so no block goes unrun.

The blocks reach a server at http://127.0.0.1:8000, where ``python -m
sse_core serve`` listens by default. Here a MockServer (no latency, tokens
at once) listens on a free loopback port, and every ``127.0.0.1:8000`` in
a block is replaced with its address before the block runs.

The shell one-liners that drive ``parse`` or ``encode`` with input of their
own (no server, no usage brackets) run too.
"""

import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple

import pytest

from sse_core.mock import MockOptions, MockServer

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
README_ADDRESS = "127.0.0.1:8000"
# Python blocks run; sh blocks are commands (a few run below); a fence with
# no language shows output.
KNOWN_LANGUAGES = ("python", "sh", "")
TIMEOUT = 120

CONFTEST = '''
import http.server
import threading

import pytest
from hypothesis import settings

from sse_core.adapters.httpserver import send_event_stream

# Fewer examples than hypothesis' default keep the suite quick; no deadline
# keeps a busy machine from failing a block.
settings.register_profile("readme", max_examples=25, deadline=None)
settings.load_profile("readme")


def _numbered(ctx):
    after = int(ctx.last_event_id) if ctx.last_event_id.isdigit() else 0
    for number in range(after + 1, 11):
        yield {"id": str(number), "data": "event %d" % number}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        send_event_stream(self, _numbered)

    def log_message(self, *args):
        pass


@pytest.fixture
def live_server_url():
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler) as server:
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        yield "http://127.0.0.1:%d" % server.server_address[1]
        server.shutdown()
'''


class Block(NamedTuple):
    name: str  # the section's heading, and the block's number in it if it has several
    line: int  # of the opening fence
    language: str
    text: str


# A fence, indented or not (a block in a list item): ``` or ~~~ and the language.
FENCE = re.compile(r"\s*(```|~~~)\s*(\S*)")


def _blocks() -> List[Block]:
    blocks: List[Block] = []
    heading = "top"
    opening: Optional[Tuple[int, str, str]] = None  # line, fence, language
    lines: List[str] = []
    for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), start=1):
        fence = FENCE.match(line)
        if opening is None:
            if line.startswith("#"):
                heading = line.lstrip("#").strip()
            elif fence:
                opening = (number, fence.group(1), fence.group(2))
                lines = []
        elif fence and fence.group(1) == opening[1]:
            # Indented blocks lose their indentation, as Markdown renders them.
            text = textwrap.dedent("\n".join(lines)) + "\n"
            blocks.append(Block(heading, opening[0], opening[2], text))
            opening = None
        else:
            lines.append(line)
    assert opening is None, f"README.md line {opening[0]}: a code block is never closed"
    return blocks


def _python_blocks() -> List[Block]:
    blocks = [block for block in _blocks() if block.language == "python"]
    named = [block.name for block in blocks]
    return [
        block._replace(name=f"{block.name} {named[:index].count(block.name) + 1}")
        if named.count(block.name) > 1
        else block
        for index, block in enumerate(blocks)
    ]


PYTHON_BLOCKS = _python_blocks()


@pytest.fixture(scope="module")
def server():
    with MockServer(options=MockOptions(latency_ms=0, tokens_per_second=0)) as mock:
        yield mock


def _environment() -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _test_functions(source: str) -> List[str]:
    return [
        node.name
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test")
    ]


def test_readme_code_blocks_are_in_languages_this_test_knows():
    unknown = [block for block in _blocks() if block.language not in KNOWN_LANGUAGES]
    assert not unknown, "\n".join(
        f"README.md line {block.line}: a ```{block.language} block, which tests/test_readme.py does not run"
        for block in unknown
    )


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=[block.name for block in PYTHON_BLOCKS])
def test_readme_python_block_runs_as_written(block, server, tmp_path):
    source = block.text.replace(README_ADDRESS, f"{server.host}:{server.port}")
    tests = _test_functions(source)
    if tests:
        (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
        (tmp_path / "test_readme_block.py").write_text(source, encoding="utf-8")
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_readme_block.py"]
    else:
        (tmp_path / "readme_block.py").write_text(source, encoding="utf-8")
        command = [sys.executable, "readme_block.py"]
    result = subprocess.run(
        command, cwd=str(tmp_path), env=_environment(), capture_output=True, text=True, timeout=TIMEOUT
    )
    # Under pytest every test must pass: none skipped, deselected or expected to fail.
    passed = not tests or re.search(rf"^{len(tests)} passed in ", result.stdout, re.MULTILINE)
    if result.returncode != 0 or not passed:
        pytest.fail(f"README.md line {block.line} ({block.name}):\n{result.stdout}{result.stderr}", pytrace=False)


def _local_one_liners() -> List[str]:
    # A command that feeds parse or encode from printf or echo needs no
    # server; a line with [ ] is a usage synopsis, not a command.
    return [
        line
        for block in _blocks()
        if block.language == "sh"
        for line in block.text.splitlines()
        if re.match(r"(printf|echo) .*\| python -m sse_core (parse|encode)( [^\[]*)?$", line)
    ]


def test_readme_shell_one_liners_without_a_server_run():
    lines = _local_one_liners()
    assert lines, "README.md no longer has a printf ... | python -m sse_core parse example"
    for line in lines:
        command = line.replace("python -m sse_core", f"'{sys.executable}' -m sse_core")
        result = subprocess.run(
            ["bash", "-c", "set -o pipefail; " + command],
            cwd=str(ROOT), env=_environment(), capture_output=True, text=True, timeout=TIMEOUT,
        )
        if result.returncode != 0 or not result.stdout.strip():
            pytest.fail(f"{line}\nexit status {result.returncode}\n{result.stdout}{result.stderr}", pytrace=False)
