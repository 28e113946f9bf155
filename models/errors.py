"""Problems found in input files, and the one exception type that carries them.

A problem prints the value found (escaped with ``repr`` and cut to ``SHOWN_MAX`` characters,
so a pasted document or a control character cannot flood or garble a terminal), except in
private columns (names, priority, fee category, reduction: SPEC §7), where it is hidden.
"""
from __future__ import annotations

from dataclasses import dataclass

SHOWN_MAX = 60  # characters of a value printed in a message


@dataclass(frozen=True)
class Problem:
    """One defect in an input file; ``row`` is the row number Excel shows (header = 1)."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str | None = None
    severity: str = "error"  # error | warning
    private: bool = False  # the value is a name or category: not printed (SPEC §7)

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            col = self.column if self.column.isprintable() else repr(self.column)[1:-1]
            where += f", column '{col[:SHOWN_MAX]}'"
        text = f"{where}: {self.message}"
        if self.value is not None and self.private:
            text += " (value hidden: private data)" + (
                f" (expected {self.expected})" if self.expected else "")
        elif self.value is not None:
            shown = self.value if len(self.value) <= SHOWN_MAX else \
                self.value[:SHOWN_MAX] + f"… ({len(self.value):,} characters)"
            text += f" (found {shown!r}"
            text += f"; expected {self.expected})" if self.expected else ")"
        elif self.expected:
            text += f" (expected {self.expected})"
        return text


class InputError(Exception):
    """Bad input: carries every problem found, so a user can fix them all in one pass."""

    def __init__(self, problems: list[Problem], lang: str | None = None):
        self.lang = lang  # the school's language when known (the messages' language)
        self.problems = [p for p in problems if p.severity == "error"]
        self.warnings = [p for p in problems if p.severity != "error"]
        super().__init__("\n".join(str(p) for p in self.problems))
