"""Rows of cells as a plain-text table or a Markdown one."""

from typing import Callable, List

__all__ = ["text_table", "markdown_table"]

Rows = List[List[str]]


def text_table(rows: Rows, right: Callable[[int], bool]) -> str:
    """Columns padded to width, a rule under the header row; ``right(i)``: align column i right."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        cells = [cell.rjust(w) if right(i) else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(rows: Rows, right: Callable[[int], bool]) -> str:
    """A GitHub-flavoured Markdown table of the same rows."""
    rule = ["---:" if right(i) else "---" for i in range(len(rows[0]))]
    lines = [rows[0], rule] + rows[1:]
    return "\n".join("| " + " | ".join(cell.replace("|", "\\|") for cell in line) + " |" for line in lines)
