"""Subprocesses for tests: ``python -m sse_core serve`` to point other clients at, and reading a child's output."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
from typing import Iterator

__all__ = ["serve", "stdout_reads", "default_sigint"]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 30  # seconds to start, and to stop


@contextlib.contextmanager
def serve(*options: str) -> Iterator[str]:
    """Run the mock server on a free loopback port with ``options``; yield its URL; stop it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sse_core", "serve", "--port", "0", "--quiet", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        preexec_fn=default_sigint if os.name == "posix" else None,
    )
    watchdog = threading.Timer(TIMEOUT, process.kill)  # bounds the wait for the URL line
    watchdog.start()
    try:
        url = process.stdout.readline().decode("ascii").strip()
        watchdog.cancel()
        if not re.fullmatch(r"http://127\.0\.0\.1:\d+", url):
            raise AssertionError(f"serve printed no URL: {url!r} {process.stderr.read()!r}")
        yield url
    finally:
        watchdog.cancel()
        watchdog.join()
        if process.poll() is None and os.name == "posix":
            process.send_signal(signal.SIGINT)
        try:
            process.wait(TIMEOUT)
        finally:
            process.kill()
            process.wait()
            process.stdout.close()
            process.stderr.close()


def default_sigint() -> None:
    """A ``preexec_fn`` for a child that must act on Ctrl-C.

    A shell's background job ignores SIGINT, a child inherits that, and a
    Python started so never raises KeyboardInterrupt.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stdout_reads(process: "subprocess.Popen[bytes]", timeout: float) -> Iterator[bytes]:
    """Yield each read of ``process``'s stdout as it comes, until it exits; kill it after ``timeout`` s."""
    watchdog = threading.Timer(timeout, process.kill)  # bounds the reads
    watchdog.start()
    try:
        while True:
            data = os.read(process.stdout.fileno(), 65536)
            if not data:
                break
            yield data
        process.wait(timeout)
    finally:
        watchdog.cancel()
        watchdog.join()
        process.kill()
        process.wait()
        process.stdout.close()
