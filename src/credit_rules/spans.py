"""Source positions shared by every stage.

Convention: offsets are 0-based character offsets into the source text; lines and columns
are 1-based, and ``end_line``/``end_column`` point one past the last character (like Lark's
``end_column``). A span inside a ``when:`` string is translated to the YAML file's own
coordinates, so an error points at the character in the catalog file.
"""

from __future__ import annotations

import attrs


@attrs.frozen(slots=True)
class Span:
    """A region of one source (a catalog file, a records file, or a bare expression).

    >>> Span("a.yaml", 0, 3, 1, 1, 1, 4).short()
    'a.yaml:1:1'
    """

    source: str
    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    def short(self) -> str:
        """``file:line:column`` of the start."""
        return f"{self.source}:{self.line}:{self.column}"

    @classmethod
    def point(cls, source: str, line: int, column: int, offset: int = 0) -> Span:
        """A zero-width span, for positions known only by line and column."""
        return cls(source, offset, offset, line, column, line, column)


def line_starts(text: str) -> tuple[int, ...]:
    """Offsets at which each line of ``text`` begins (line 1 first)."""
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    return tuple(starts)


def span_of(source: str, text: str, start: int, end: int) -> Span:
    """The span of ``text[start:end]`` with 1-based line and column numbers."""
    starts = line_starts(text)
    line = _line_index(starts, start)
    end_line = _line_index(starts, end)
    return Span(
        source,
        start,
        end,
        line + 1,
        start - starts[line] + 1,
        end_line + 1,
        end - starts[end_line] + 1,
    )


def _line_index(starts: tuple[int, ...], offset: int) -> int:
    low, high = 0, len(starts) - 1
    while low < high:
        mid = (low + high + 1) // 2
        if starts[mid] <= offset:
            low = mid
        else:
            high = mid - 1
    return low
