"""What an import reports: its row errors, its counts and where its time went."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field

PREVIEW_LIMIT = 500  # case_ids listed per outcome in a result (counts are always complete)


@dataclass(frozen=True)
class RowError:
    """One bad cell or line. ``line`` is the physical line where the record starts."""

    line: int
    column: str | None
    reason: str
    accepted: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}" + (f" (accepted: {self.accepted})" if self.accepted else "")


class CellError(ValueError):
    def __init__(self, reason: str, accepted: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.accepted = accepted


def _no_case_ids() -> dict[str, list[str]]:
    return {"created": [], "updated": [], "unchanged": []}


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    outlets_created: int = 0
    sources_created: int = 0
    sources_updated: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    # Up to PREVIEW_LIMIT case_ids per outcome, for the admin preview.
    case_ids: dict[str, list[str]] = field(default_factory=_no_case_ids)
    # Seconds per phase of this import (the PostgreSQL path times its phases;
    # bench/bench_import.py prints them).
    timings: dict[str, float] = field(default_factory=dict)
    # What the apps above testimony say about the written cases (testimony.services.case_warnings),
    # e.g. a case that meets a frozen study's criteria without being on its case list.
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def defectors(self) -> int:
        return self.created + self.updated + self.unchanged

    def count(self, outcome: str, case_id: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        if len(self.case_ids[outcome]) < PREVIEW_LIMIT:
            self.case_ids[outcome].append(case_id)

    @contextlib.contextmanager
    def phase(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start

    def forget_counts(self) -> None:
        """Counts are only reported for an import that was (or would be) written."""
        self.created = self.updated = self.unchanged = 0
        self.outlets_created = self.sources_created = self.sources_updated = 0
        self.case_ids = _no_case_ids()

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return (
            f"{self.rows} rows, {self.defectors} defectors: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged ({verb} written); outlets created: {self.outlets_created}, "
            f"sources created: {self.sources_created}, sources updated: {self.sources_updated}"
        )
