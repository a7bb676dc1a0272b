"""A progress display for long batch runs, on standard error.

Input: step names and completion percentages reported by the back ends. Output: one line per
step (and, on a terminal, the percentage of the running step updated in place, at most twice
a second), each with the time elapsed since the run began. Errors: none; a display never fails
a run.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

#: what a back end reports to: the step's name and its completion in percent (None: unknown)
Progress = Callable[[str, float | None], None]


class ProgressDisplay:
    """Writes ``[credit-rules] 12.3s step … 45%`` lines to a stream (standard error)."""

    def __init__(self, stream: TextIO | None = None, *, interactive: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.started = time.perf_counter()
        self.step = ""
        self._last = 0.0
        self._open = False

    def elapsed(self) -> float:
        """Seconds since the display was made."""
        return time.perf_counter() - self.started

    def __call__(self, step: str, percent: float | None) -> None:
        """Report a new step (``step`` non-empty) or the progress of the current one."""
        try:
            if step:
                self._finish_line()
                self.step = step
                self.stream.write(f"[credit-rules] {self.elapsed():7.1f}s {step}")
                self._open = True
                if not self.interactive:
                    self._finish_line()
                self.stream.flush()
                return
            now = time.perf_counter()
            if not self.interactive or percent is None or now - self._last < 0.5:
                return
            self._last = now
            self.stream.write(
                f"\r[credit-rules] {self.elapsed():7.1f}s {self.step} {percent:5.1f}%"
            )
            self._open = True
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken stream must not stop the run
            return

    def done(self, summary: str) -> None:
        """End the display with a summary line."""
        try:
            self._finish_line()
            self.stream.write(f"[credit-rules] {self.elapsed():7.1f}s {summary}\n")
            self.stream.flush()
        except (OSError, ValueError):
            return

    def _finish_line(self) -> None:
        if self._open:
            self.stream.write("\n")
            self._open = False
