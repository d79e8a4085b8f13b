"""Report: what one check found, as objects and as one JSON document."""

import json
from typing import Dict, List, Optional, Tuple

from .._http11 import ResponseHead
from ._findings import ERROR, INFO, SEVERITIES, WARNING, Finding

__all__ = ["Report"]


class Report:
    """The result of :func:`~sse_core.checker.check`.

    ``status``, ``reason``, ``http_version`` and ``headers`` (lowercased
    names, in order) describe the response head, ``None``/empty when it was
    malformed; ``timing`` holds the timing figures (seconds since the
    request was sent, and counts); ``findings`` is every :class:`Finding`.
    """

    def __init__(
        self, url: str, method: str, head: Optional[ResponseHead], timing: Dict[str, object], findings: List[Finding]
    ) -> None:
        self.url = url
        self.method = method
        self.status = head.status if head is not None else None
        self.reason = head.reason if head is not None else None
        self.http_version = head.version if head is not None else None
        self.headers: List[Tuple[str, str]] = list(head.headers) if head is not None else []
        self.timing = timing
        self.findings = findings

    @property
    def errors(self) -> List[Finding]:
        return self.at_least(ERROR)

    @property
    def warnings(self) -> List[Finding]:
        return [item for item in self.findings if item.severity == WARNING]

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not self.errors

    def at_least(self, severity: str) -> List[Finding]:
        """The findings of ``severity`` or worse (error > warning > info)."""
        if severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
        worst = SEVERITIES[: SEVERITIES.index(severity) + 1]
        return [item for item in self.findings if item.severity in worst]

    def counts(self) -> Dict[str, int]:
        return {severity: sum(item.severity == severity for item in self.findings) for severity in SEVERITIES}

    def to_dict(self) -> Dict[str, object]:
        return {
            "url": self.url,
            "method": self.method,
            "response": {
                "status": self.status,
                "reason": self.reason,
                "http_version": self.http_version,
                "headers": [[name, value] for name, value in self.headers],
            },
            "timing": dict(self.timing),
            "findings": [item._asdict() for item in self.findings],
            "summary": self.counts(),
        }

    def to_json(self, indent: Optional[int] = 2) -> str:
        """The report as one JSON document."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def summary(self) -> str:
        counts = self.counts()
        return (
            f"{counts[ERROR]} error(s), {counts[WARNING]} warning(s), {counts[INFO]} info; "
            f"{self.timing.get('events', 0)} event(s) in {self.timing.get('elapsed', 0)} s"
        )
