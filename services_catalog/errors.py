"""Doorstep's exceptions.

CatalogError                 anything that stops a catalogue from being used
├── CatalogFileError         a folder or file that cannot be read at all
└── CatalogValidationError   the catalogue was read, and has problems: every one of them,
                             each as `file:line: field: message`
StoreError                   the store (DATABASE_URL) cannot be used as configured
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in the catalogue, located as precisely as the YAML allows."""

    file: str  # path relative to the catalogue folder
    line: int  # 1-based; 0 when the problem is not in one place (an empty catalogue)
    field: str  # dotted path of the field, e.g. "facilities[3].opening_hours"
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}: {self.field}: {prefix}{self.message}"


class CatalogError(Exception):
    """The catalogue cannot be used."""


class CatalogFileError(CatalogError):
    """A catalogue folder or file cannot be read."""


class CatalogValidationError(CatalogError):
    """The catalogue has problems; `problems` lists every one found in a single pass."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"the catalogue has {len(errors)} problem(s):\n{lines}")


class StoreError(Exception):
    """The store cannot be used as configured (a database Doorstep does not support, say); the
    message says what to write instead."""
