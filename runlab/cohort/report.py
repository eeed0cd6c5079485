"""What an ingest tells people: the report of one ingest and its progress line."""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class IngestReport:
    """What one :func:`ingest` did: files found, read, skipped, failed, and why."""

    files: int = 0  # activity files found
    read: int = 0  # ingested into runs
    skipped: int = 0  # already in the store, unchanged
    failed: int = 0  # new rows in errors (duplicates included)
    duplicates: int = 0  # of which: same content as another file
    ignored: int = 0  # hidden and side files (not activities)
    journals: int = 0  # journal files read
    journal_rows: int = 0
    seconds: float = 0.0
    reasons: Counter = field(default_factory=Counter)

    @property
    def done(self) -> int:
        return self.read + self.skipped + self.failed

    def summary(self, top: int = 5) -> str:
        """Closing summary for people: counts, rate and the most frequent error reasons."""
        rate = self.read / self.seconds if self.seconds > 0 else 0.0
        lines = [f"{self.files} files: {self.read} read, {self.skipped} skipped (already "
                 f"stored), {self.failed} failed ({self.duplicates} duplicates) in "
                 f"{self.seconds:.1f} s ({rate:.1f} files/s)"]
        if self.journals:
            lines.append(f"{self.journals} journal files, {self.journal_rows} rows")
        if self.ignored:
            lines.append(f"{self.ignored} hidden or side files ignored")
        for reason, count in self.reasons.most_common(top):
            lines.append(f"  {count:6d} × {reason}")
        return "\n".join(lines)


class _Progress:
    """A one-line progress bar on stderr (rewritten in place on a terminal)."""

    def __init__(self, report: IngestReport, enabled: bool, stream=None):
        self.report, self.enabled = report, enabled
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = self.last = time.monotonic()

    def update(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self.last < (0.2 if self.tty else 5.0)):
            return
        self.last = now
        r = self.report
        share = r.done / r.files if r.files else 1.0
        bar = "#" * int(share * 24)
        rate = r.read / (now - self.start) if now > self.start else 0.0
        line = (f"ingest [{bar:<24}] {r.done}/{r.files} files, {rate:.1f}/s, "
                f"{r.skipped} skipped, {r.failed} failed")
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()

    def close(self) -> None:
        self.update(force=True)
        if self.enabled and self.tty:
            self.stream.write("\n")
