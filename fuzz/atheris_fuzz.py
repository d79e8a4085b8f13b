"""Run one fuzz target under atheris (coverage-guided, libFuzzer).

    python fuzz/atheris_fuzz.py TARGET [libFuzzer args...]

For example, ten minutes on a scratch copy of the seeds, with the dictionary:

    cp -r fuzz/corpus/check_decoder /tmp/corpus
    python fuzz/atheris_fuzz.py check_decoder /tmp/corpus -dict=fuzz/sse.dict -max_total_time=600

Only sse_core is instrumented for coverage; the targets, the standard
library and atheris itself are not. Any exception escaping the target
(AssertionError included) is a crash: libFuzzer writes the input to
``crash-<sha1>`` (or under ``-artifact_prefix=``) and exits.
"""

import os
import shlex
import sys

import atheris

# Run as ``python fuzz/atheris_fuzz.py``, sys.path[0] is fuzz/ (for targets);
# the repo root goes first so the sse_core under test is this checkout's.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, _ROOT)

# targets.py imports sse_core (and sse_core.cli): import it inside the
# hook so those modules are instrumented as they load; nothing else is.
with atheris.instrument_imports(include=["sse_core"]):
    from targets import TARGETS


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        names = ", ".join(TARGETS)
        sys.exit(f"usage: {sys.argv[0]} TARGET [libFuzzer args...]\nTARGET is one of: {names}")
    target = TARGETS[sys.argv[1]]
    # libFuzzer gets the corpus dirs and -flags. Its argv[0] is what it runs
    # (through the shell) to start a child in -minimize_crash=1 and -fork=N
    # modes: this interpreter, this script and the target, so the child
    # fuzzes the same target.
    command = " ".join(shlex.quote(part) for part in (sys.executable, os.path.abspath(__file__), sys.argv[1]))
    atheris.Setup([command] + sys.argv[2:], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
