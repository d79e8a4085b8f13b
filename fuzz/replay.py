"""Run saved inputs through a fuzz target, without a fuzzer.

    python fuzz/replay.py TARGET PATH [PATH ...]

Each PATH is an input file or a directory of them (a corpus). Prints how
many inputs ran; on the first failure prints the file and the traceback and
exits with status 1. Under coverage.py it measures what a corpus reaches:

    python -m coverage run --source=sse_core fuzz/replay.py check_decoder /tmp/corpus
    python -m coverage report
"""

import os
import sys
import traceback
from typing import Iterator, List

from targets import TARGETS


def _files(paths: List[str]) -> Iterator[str]:
    for path in paths:
        if os.path.isdir(path):
            for name in sorted(os.listdir(path)):
                yield os.path.join(path, name)
        else:
            yield path


def main(argv: List[str]) -> int:
    if len(argv) < 2 or argv[0] not in TARGETS:
        print(f"usage: replay.py TARGET PATH [PATH ...]\nTARGET is one of: {', '.join(TARGETS)}", file=sys.stderr)
        return 2
    target = TARGETS[argv[0]]
    count = 0
    for path in _files(argv[1:]):
        with open(path, "rb") as file:
            data = file.read()
        try:
            target(data)
        except Exception:
            print(f"{path}: the target failed", file=sys.stderr)
            traceback.print_exc()
            return 1
        count += 1
    print(f"{argv[0]}: {count} inputs passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
