"""assert_conforms(): one line in a pytest test checks an SSE server's URL.

It runs :func:`sse_core.checker.check` and fails with a message that lists
each violation on a line of its own, with its rule id and spec section.
Hypothesis is not needed here.
"""

from typing import Any

from ..checker import ERROR, SEVERITIES, Report, check

__all__ = ["assert_conforms"]


def assert_conforms(url: str, *, fail_on: str = ERROR, **check_options: Any) -> Report:
    """Check ``url``; raise AssertionError if a finding is ``fail_on`` or worse.

    ``fail_on`` is "error" (the default), "warning" or "info".
    ``check_options`` go to :func:`~sse_core.checker.check` (``method``,
    ``headers``, ``body``, ``openai``, ``duration``, ``resume``, ``compressed``, ...).
    Returns the report when the server passes.
    """
    if fail_on not in SEVERITIES:
        raise ValueError(f"fail_on must be one of {', '.join(SEVERITIES)}, not {fail_on!r}")
    report = check(url, **check_options)
    violations = report.at_least(fail_on)
    if violations:
        lines = [f"{url} does not conform: {len(violations)} finding(s) of severity {fail_on} or worse"]
        lines += [f"  {item.severity} {item.rule}: {item.message} ({item.spec})" for item in violations]
        raise AssertionError("\n".join(lines))
    return report
