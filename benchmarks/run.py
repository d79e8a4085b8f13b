"""Check, then time, every implementation on every workload.

    python benchmarks/run.py [--quick] [--json FILE] [--only SECTION] [--markdown]

Sections: "speed" (SSE parsing, chunked decoding and encoding, below),
"memory" (peak memory while parsing long streams: memory.py) and "e2e"
(loopback server to client: end_to_end.py). ``--markdown`` prints the
README's Benchmarks section instead of the text report.

For each workload, each implementation's output is first compared with the
expected output: a wrong one is reported as WRONG and not timed. The rest are
timed in turns, one repeat of each per round, keeping each one's fastest
repeat, and printed as ratios to sse_core: "floor 0.60x" means the floor
takes 0.60 of sse_core's time. MB/s (10**6 input bytes per second) is there
for orientation only. Last comes the project's targets, judged on those
ratios (targets.py).

There are no speed assertions: the numbers depend on the machine and on what
else it is running. Compare ratios from one run, not times across runs.
"""

import argparse
import json
import os
import platform
import sys
import time
import timeit
from typing import Any, Callable, Dict, List, Optional, Tuple

try:
    import resource
except ImportError:  # Windows has none: page faults then go unreported
    resource = None  # type: ignore[assignment]

# Run as "python benchmarks/run.py" from anywhere: sys.path[0] is then
# benchmarks/, so put the repository root first, ahead of any installed
# sse_core, to benchmark the working tree.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if sys.path[:1] != [ROOT]:
    sys.path.insert(0, ROOT)

import sse_core  # noqa: E402
from benchmarks import end_to_end, memory, targets  # noqa: E402
from benchmarks import peers as peers_module  # noqa: E402
from benchmarks.tables import markdown_table, text_table  # noqa: E402
from benchmarks.peers import BASELINE  # noqa: E402
from benchmarks.workloads import LONG_LINE_PREFIX, MIB, Workload, all_workloads  # noqa: E402

# (seconds per timed repeat, repeats). On a shared machine, other work
# slows some repeats, so many short repeats give a steadier minimum than a few
# long ones. The speed section takes ~1.5 min quick and ~7 min full, on 2 cores.
QUICK = (0.1, 7)
FULL = (0.25, 15)

# A checking call slower than this is not repeated (see check()).
SLOW_CALL = 2.0
# --quick skips a long line when the peer's time on the shorter one, scaled
# as if quadratic, says it would take longer than this: ssec, requests-sse
# and sseclient-py would spend over a minute on line/8MiB.
QUICK_LONG_LINE_BUDGET = 2.0


class Result:
    """One implementation on one workload."""

    def __init__(self, workload: Workload, name: str, status: str, note: str = "") -> None:
        self.workload = workload
        self.name = name
        self.status = status  # "ok", "WRONG", "ERROR" or "n/a"
        self.note = note
        self.seconds: Optional[float] = None  # best time of one call
        self.faults: Optional[float] = None  # minor page faults per call, on average
        self.number = 0
        self.repeat = 0

    def as_dict(self, baseline: Optional["Result"]) -> Dict[str, Any]:
        ratio = None
        if self.seconds is not None and baseline is not None and baseline.seconds:
            ratio = self.seconds / baseline.seconds
        return {
            "workload": self.workload.name,
            "implementation": self.name,
            "status": self.status,
            "seconds": self.seconds,
            "ratio_to_sse_core": ratio,
            "mb_per_s": self.workload.size / self.seconds / 1e6 if self.seconds else None,
            "number": self.number,
            "repeat": self.repeat,
            "page_faults_per_call": self.faults,
            "note": self.note,
        }


def difference(expected: Any, got: Any) -> str:
    """Where two outputs first differ, briefly."""
    if isinstance(expected, list) and isinstance(got, list):
        for index, (want, have) in enumerate(zip(expected, got)):
            if want != have:
                return f"item {index}: expected {clip(want)}, got {clip(have)}"
        return f"expected {len(expected)} items, got {len(got)}"
    if isinstance(expected, bytes) and isinstance(got, bytes):
        index = next((i for i, (a, b) in enumerate(zip(expected, got)) if a != b), None)
        if index is None:
            return f"expected {len(expected)} bytes, got {len(got)}"
        return f"byte {index}: expected {clip(expected[index:index + 20])}, got {clip(got[index:index + 20])}"
    return f"expected {type(expected).__name__}, got {clip(got)}"


def clip(value: Any, width: int = 70) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def minor_faults() -> Optional[int]:
    if resource is None:
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def check(name: str, function: Callable, workload: Workload, target: float) -> Result:
    """Run ``function`` once and compare its output; size its timing loop if it is right."""
    try:
        start = time.perf_counter()
        output = function(workload.reads)
        first = time.perf_counter() - start
    except Exception as exc:  # a peer's failure is a result to report, not a crash
        return Result(workload, name, "ERROR", f"{type(exc).__name__}: {exc}")
    if workload.check is not None:
        try:
            output = workload.check(output)
        except Exception as exc:  # output a client could not even read back
            return Result(workload, name, "WRONG", f"unreadable output: {type(exc).__name__}: {exc}")
    if output != workload.expected:
        return Result(workload, name, "WRONG", difference(workload.expected, output))
    del output
    result = Result(workload, name, "ok")
    if first > SLOW_CALL:
        # Quadratic peers on the long lines: repeats would take minutes and
        # tell nothing more, so the checking call is the time.
        result.seconds = first
        result.number = result.repeat = 1
        result.note = f"timed once: one call took {format_time(first)}"
        return result
    # The checking call, cold as it is, sizes the loop: enough calls per
    # repeat to fill the target time, so timer resolution never matters.
    result.number = max(1, int(target / max(first, 1e-6)))
    return result


def time_in_turns(timed: List[Tuple[Result, Callable]], reads: List[bytes], repeat: int) -> None:
    """Time each function in turn, ``repeat`` rounds, keeping each one's fastest repeat.

    Taking turns, rather than all of one's repeats and then the next's,
    makes a slow spell on the shared machine fall on every implementation
    alike, and the minimum then compares like with like.
    """
    best = [float("inf")] * len(timed)
    faults = [0] * len(timed)
    for _ in range(repeat):
        for index, (result, function) in enumerate(timed):
            before = minor_faults()
            seconds = timeit.timeit(lambda: function(reads), number=result.number)
            after = minor_faults()
            best[index] = min(best[index], seconds)
            if before is not None and after is not None:
                faults[index] += after - before
    for (result, _), seconds, count in zip(timed, best, faults):
        result.repeat = repeat
        result.seconds = seconds / result.number
        if resource is not None:
            result.faults = count / (result.number * repeat)


def format_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} us"


def format_size(size: int) -> str:
    if size >= MIB:
        return f"{size / MIB:.1f} MiB"
    return f"{size / 1024:.0f} KiB"


def print_table(rows: List[List[str]], right: Callable[[int], bool]) -> None:
    print(text_table(rows, right))


def cell(result: Optional[Result], baseline: Optional[Result]) -> str:
    if result is None:
        return ""  # this implementation is not of the workload's kind
    if result.status != "ok":
        return result.status
    assert result.seconds is not None
    if baseline is None or baseline.seconds is None:
        return format_time(result.seconds)  # no ratio without a timed baseline
    return f"{result.seconds / baseline.seconds:.2f}x"


KIND_TITLES = {"sse": "SSE decoding", "chunked": "Chunked decoding", "encode": "SSE encoding"}


def speed_rows(kind: str, workloads: List[Workload], names: List[str], results: Dict[tuple, Result]) -> List[List[str]]:
    """One row per workload of ``kind``: sse_core's time and MB/s, then every other's ratio."""
    rows_of_kind = [w for w in workloads if w.kind == kind]
    others = [
        name for name in names if name != BASELINE and any((w.name, name) in results for w in rows_of_kind)
    ]
    rows = [["workload", "input", "reads", "events", BASELINE, "MB/s"] + others]
    for workload in rows_of_kind:
        baseline = results.get((workload.name, BASELINE))
        if baseline is not None and baseline.seconds is not None:
            ours = [format_time(baseline.seconds), f"{workload.size / baseline.seconds / 1e6:.1f}"]
        else:
            ours = [baseline.status if baseline else "", ""]
        rows.append(
            [workload.name, format_size(workload.size), str(len(workload.reads)), str(workload.items)]
            + ours
            + [cell(results.get((workload.name, name)), baseline) for name in others]
        )
    return rows


def long_line_rows(workloads: List[Workload], names: List[str], results: Dict[tuple, Result]) -> List[List[str]]:
    """Time (and page faults) per MiB of line, one row per implementation."""
    long_lines = [w for w in workloads if w.name.startswith(LONG_LINE_PREFIX)]
    rows = [["implementation"] + [w.name for w in long_lines]]
    for name in names:
        line_cells = []
        for workload in long_lines:
            result = results.get((workload.name, name))
            if result is None:
                line_cells.append("")
            elif result.seconds is None:
                line_cells.append(result.status)
            else:
                text = format_time(result.seconds * MIB / workload.size) + "/MiB"
                if result.faults is not None:
                    text += f" ({result.faults * MIB / workload.size:.0f} faults)"
                line_cells.append(text)
        if any(line_cells):
            rows.append([name] + line_cells)
    return rows


def kinds(workloads: List[Workload]) -> List[str]:
    return [kind for kind in KIND_TITLES if any(w.kind == kind for w in workloads)]


def report(workloads: List[Workload], names: List[str], results: Dict[tuple, Result]) -> None:
    # One table per kind, each with only the implementations of that kind.
    for kind in kinds(workloads):
        print(f"{KIND_TITLES[kind]}:")
        print_table(speed_rows(kind, workloads, names, results), right=lambda i: i > 0)
        print()
    print(f"{BASELINE}: time per call (min of repeats) and MB/s. Other columns: their time / {BASELINE}'s,")
    print("so below 1.00x is faster than sse_core. \"events\" counts chunks on chunked rows and")
    print("messages on encode rows, whose \"reads\" are messages and whose input is their data's size.")
    print("n/a: not run, the implementation does not handle that workload (the floor needs one line end)")
    print("or would take minutes (a quadratic peer on the longer lines, or --quick's cut: see the notes).")
    print(f"A call over {SLOW_CALL:.0f} s is timed once.")

    if any(w.name.startswith(LONG_LINE_PREFIX) for w in workloads):
        print()
        print("One long data line: time per MiB of line (flat from 1 to 8 MiB means linear),")
        print("and minor page faults per MiB: a 4 KiB page of fresh memory costs about 1-2 us")
        print("to fault in, and whether malloc hands back fresh memory depends on the process's")
        print("history, so compare the times where the fault counts are alike.")
        print_table(long_line_rows(workloads, names, results), right=lambda i: i > 0)

    print()
    print("Workloads:")
    width = max(len(w.name) for w in workloads)
    for workload in workloads:
        print(f"  {workload.name.ljust(width)}  {workload.description}")

    notes = [r for r in results.values() if r.note]
    if notes:
        print()
        for result in notes:
            print(f"{result.status}: {result.name} on {result.workload.name}: {result.note}")


def machine() -> str:
    """CPU model, cores, Python and OS, for the README's table."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as file:
            models = [line.split(":", 1)[1].strip() for line in file if line.startswith("model name")]
        if models:
            cpu = models[0]
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}"
    )


def target_rows(
    speed: Optional[Tuple[List[Workload], List[str], Dict[tuple, Result]]], memory_report: Optional[tuple]
) -> List[List[str]]:
    """The targets (targets.py) judged on the sections run: a header row, then one per check."""
    rows = []
    if speed is not None:
        rows += targets.speed_rows(*speed)
    if memory_report is not None:
        rows += targets.memory_rows(memory_report[0], memory_report[1])
    return [targets.HEADER] + rows if rows else []


def markdown(
    mode: str,
    speed: Optional[Tuple[List[Workload], List[str], Dict[tuple, Result]]],
    memory_report: Optional[tuple],
    e2e_report: Optional[tuple],
    judged: List[List[str]],
) -> str:
    """The README's "Benchmarks" section body: date, machine, each table run, then the targets."""
    parts = [
        f"Measured {time.strftime('%Y-%m-%d', time.gmtime())} on {machine()}, sse_core "
        f"{sse_core.__version__}, with `python benchmarks/run.py{' --quick' if mode == 'quick' else ''} --markdown`"
        " (what follows is its output). The machine is shared, so compare ratios within one run.",
    ]
    if speed is not None:
        workloads, names, results = speed
        parts.append(
            f"Ratios are each implementation's time / {BASELINE}'s on the same input in the same run: below"
            f" 1.00x is faster than {BASELINE}. WRONG: its output differed, so it was not timed; n/a: not run"
            " (the floor, which is not a parser, needs one line end throughout; btubbs's quadratic"
            " sseclient would take minutes on the lines past 1 MiB)."
        )
        for kind in kinds(workloads):
            parts.append(f"**{KIND_TITLES[kind]}**")
            parts.append(markdown_table(speed_rows(kind, workloads, names, results), right=lambda i: i > 0))
        if any(w.name.startswith(LONG_LINE_PREFIX) for w in workloads):
            parts.append("**One long data line in 1460-byte reads: time per MiB** (flat means linear)")
            parts.append(markdown_table(long_line_rows(workloads, names, results), right=lambda i: i > 0))
        wrong = [r for r in results.values() if r.status in ("WRONG", "ERROR")]
        if wrong:
            parts.append("Where the wrong outputs first differ:")
            parts.append("\n".join(f"- {r.name} on {r.workload.name}: {r.note}" for r in wrong))
    if memory_report is not None:
        streams, memory_results, _ = memory_report
        parts.append("**Peak memory while parsing**")
        parts.append(" ".join(memory.legend(streams)))
        parts.append(markdown_table(memory.table(streams, memory_results), right=lambda i: i > 0))
    if e2e_report is not None:
        pairs, _, sizes = e2e_report
        parts.append("**End to end over loopback**")
        parts.append(" ".join(end_to_end.legend(sizes)))
        parts.append(markdown_table(end_to_end.table(pairs), right=lambda i: i > 1))
    if judged:
        parts.append("**Targets**, judged on the ratios above (benchmarks/targets.py)")
        parts.append(markdown_table(judged, right=lambda i: False))
    return "\n\n".join(parts)


SECTIONS = ("speed", "memory", "e2e")


def predicted_seconds(workload: Workload, name: str, results: Dict[tuple, Result], workloads: List[Workload]) -> float:
    """A long line's time for ``name``, from its time on the longest shorter one, as if quadratic."""
    estimate = 0.0
    for shorter in workloads:
        if shorter.name.startswith(LONG_LINE_PREFIX) and shorter.size < workload.size:
            result = results.get((shorter.name, name))
            if result is not None and result.seconds is not None:
                estimate = result.seconds * (workload.size / shorter.size) ** 2
    return estimate


def run_speed(
    target: float, repeat: int, quick: bool
) -> Tuple[List[Workload], List[str], Dict[tuple, Result], Dict[str, str]]:
    """Check and time every implementation on every workload."""
    loaded, missing = peers_module.load()
    workloads = all_workloads()
    results: Dict[tuple, Result] = {}
    for workload in workloads:
        progress(f"{workload.name} ...")
        timed = []
        for entry, function in loaded:
            if entry.kind != workload.kind:
                continue
            estimate = 0.0
            if quick and workload.name.startswith(LONG_LINE_PREFIX):
                estimate = predicted_seconds(workload, entry.name, results, workloads)
            if not entry.applies(workload):
                result = Result(workload, entry.name, "n/a")
            elif estimate > QUICK_LONG_LINE_BUDGET:
                result = Result(workload, entry.name, "n/a", f"skipped by --quick: it would take ~{estimate:.0f} s")
            else:
                result = check(entry.name, function, workload, target)
                if result.status == "ok" and result.seconds is None:
                    timed.append((result, function))
            results[(workload.name, entry.name)] = result
        time_in_turns(timed, workload.reads, repeat)
    names = []
    for entry, _ in loaded:
        if entry.name not in names and any(key[1] == entry.name for key in results):
            names.append(entry.name)
    return workloads, names, results, missing


def progress(text: str) -> None:
    print(f"  {text}", file=sys.stderr, flush=True)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (about a minute in all)")
    parser.add_argument("--json", metavar="FILE", help="also write every result to FILE as JSON")
    parser.add_argument(
        "--only", choices=SECTIONS, action="append",
        help="run only this section (repeatable): speed (parsing, chunked, encoding), memory, e2e (loopback)",
    )
    parser.add_argument(
        "--markdown", action="store_true",
        help="print the README's Benchmarks section (date, machine, tables) instead of the text report",
    )
    args = parser.parse_args(argv)
    target, repeat = QUICK if args.quick else FULL
    sections = args.only or list(SECTIONS)
    mode = "quick" if args.quick else "full"
    # With --markdown, stdout is the README section alone.
    say = (lambda *text: None) if args.markdown else print

    started = time.perf_counter()
    say(f"sse_core {sse_core.__version__} from {os.path.dirname(sse_core.__file__)}")
    say(
        f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}, "
        f"{mode} run: min of {repeat} repeats of ~{target} s each"
    )
    document: Dict[str, Any] = {
        "sse_core": {"version": sse_core.__version__, "path": os.path.dirname(sse_core.__file__)},
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": machine(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "mode": mode,
    }
    speed = memory_report = e2e_report = None

    if "speed" in sections:
        workloads, names, results, missing = run_speed(target, repeat, args.quick)
        speed = (workloads, names, results)
        for name, reason in missing.items():
            say(f"skipped {name}: {reason}")
        say()
        if not args.markdown:
            report(workloads, names, results)
        document.update(
            seconds_per_repeat=target,
            repeat=repeat,
            missing=missing,
            workloads=[
                {
                    "name": w.name,
                    "kind": w.kind,
                    "description": w.description,
                    "bytes": w.size,
                    "reads": len(w.reads),
                    "items": w.items,
                }
                for w in workloads
            ],
            results=[
                result.as_dict(results.get((result.workload.name, BASELINE)))
                for result in results.values()
            ],
        )

    if "memory" in sections:
        progress("memory:")
        memory_report = memory.run(args.quick, progress=lambda name: progress(f"  {name} ..."))
        if not args.markdown:
            print()
            memory.print_report(*memory_report)
        streams, memory_results, memory_missing = memory_report
        document["memory"] = {
            "streams": [
                {"name": s.name, "bytes": s.size, "events": s.count, "largest_event": s.largest} for s in streams
            ],
            "missing": memory_missing,
            "results": [result.as_dict() for result in memory_results],
        }

    if "e2e" in sections:
        progress("end to end:")
        e2e_report = end_to_end.run(args.quick, progress=lambda pair: progress(f"  {pair} ..."))
        if not args.markdown:
            print()
            end_to_end.print_report(*e2e_report)
        pairs, e2e_missing, sizes = e2e_report
        document["end_to_end"] = {
            "sizes": sizes._asdict(),
            "missing": e2e_missing,
            "results": [pair.as_dict() for pair in pairs],
        }

    judged = target_rows(speed, memory_report)
    if judged and not args.markdown:
        print()
        print("Targets, judged on the ratios above (benchmarks/targets.py):")
        print_table(judged, right=lambda i: False)
    if judged:
        document["targets"] = [dict(zip(judged[0], row)) for row in judged[1:]]
    say(f"\n({time.perf_counter() - started:.0f} s)")
    if args.markdown:
        print(markdown(mode, speed, memory_report, e2e_report, judged))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump(document, file, indent=2)
            file.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
