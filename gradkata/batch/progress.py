"""The batch's progress on stderr: submissions done, failed and left.

On a terminal it is one line, rewritten in place with a bar; otherwise (a
log file, CI) one plain line per finished submission, which reads well in a
file and costs nothing to scroll.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from .words import say

_BAR_WIDTH = 24


@dataclass
class Progress:
    total: int
    lang: str = "en"
    stream: object = field(default_factory=lambda: sys.stderr)
    done: int = 0
    failed: int = 0

    @property
    def live(self) -> bool:
        return bool(getattr(self.stream, "isatty", lambda: False)())

    def counts(self) -> str:
        return say(self.lang, "progress", done=self.done, total=self.total, failed=self.failed,
                   left=self.total - self.done)

    def start(self, kept: int = 0) -> None:
        """Grading begins; ``kept`` submissions were graded by an earlier run and count as done."""
        self.done = kept
        if kept:
            print(say(self.lang, "resuming", kept=kept, total=self.total), file=self.stream)
        if self.live:
            self._rewrite()

    def finished(self, name: str, graded: bool, seconds: float) -> None:
        """One more submission is finished (graded, or found impossible to grade)."""
        self.done += 1
        self.failed += 0 if graded else 1
        if self.live:
            self._rewrite()
            return
        state = say(self.lang, "state_graded" if graded else "state_ungradable")
        print(say(self.lang, "progress_line", state=state, name=name, seconds=seconds,
                  counts=self.counts()), file=self.stream, flush=True)

    def close(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()

    def _rewrite(self) -> None:
        filled = _BAR_WIDTH * self.done // max(1, self.total)
        bar = "█" * filled + "░" * (_BAR_WIDTH - filled)
        self.stream.write(f"\r{bar} {self.counts()}\033[K")
        self.stream.flush()
