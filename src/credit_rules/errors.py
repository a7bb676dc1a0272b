"""Diagnostics as data, and the exception family that carries them.

Every stage collects :class:`Diagnostic` values and raises once, at its boundary, with all of
them sorted by position. Nothing here formats Python class names or tracebacks for users.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

import attrs

from credit_rules.spans import Span

MAX_SHOWN = 50


class DiagnosticSeverity(enum.Enum):
    """How bad a finding is: errors stop compilation, warnings are reported."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@attrs.frozen(slots=True)
class Diagnostic:
    """One finding: a stable code, a one-line message, and where it is.

    >>> d = Diagnostic("CR-E101", DiagnosticSeverity.ERROR, "unknown field `titel`",
    ...                span=Span.point("c.yaml", 3, 5))
    >>> d.short()
    'c.yaml:3:5: CR-E101: unknown field `titel`'
    """

    code: str
    severity: DiagnosticSeverity
    message: str
    help: str | None = None
    span: Span | None = None
    catalog_path: str | None = None
    measure_id: str | None = None

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Order by file, line, column, then code and message."""
        if self.span is None:
            return ("", 0, 0, self.code, self.message)
        return (self.span.source, self.span.line, self.span.column, self.code, self.message)

    def short(self) -> str:
        """The one-line form ``file:line:col: code: message``."""
        where = f"{self.span.short()}: " if self.span is not None else ""
        label = (
            self.code
            if self.severity is DiagnosticSeverity.ERROR
            else f"{self.code} ({self.severity.value})"
        )
        return f"{where}{label}: {self.message}"

    def long(self, source_text: str | None = None) -> str:
        """The short form, the offending source line with a caret under the span, and help."""
        lines = [self.short()]
        if self.span is not None and source_text is not None:
            text_lines = source_text.splitlines()
            if 0 < self.span.line <= len(text_lines) and len(text_lines[self.span.line - 1]) <= 300:
                line = text_lines[self.span.line - 1]
                width = (
                    self.span.end_column - self.span.column
                    if self.span.end_line == self.span.line
                    else len(line) - self.span.column + 1
                )
                lines.append(f"    {line}")
                lines.append("    " + " " * (self.span.column - 1) + "^" + "~" * max(width - 1, 0))
        if self.help:
            lines.append(f"  help: {self.help}")
        return "\n".join(lines)


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Sorted and de-duplicated, so output is stable."""
    return tuple(sorted(set(diagnostics), key=Diagnostic.sort_key))


class CreditRulesError(Exception):
    """Root of every error this library raises; always holds at least one diagnostic."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        if not diagnostics:
            raise ValueError("an error needs at least one diagnostic")
        self.diagnostics = sort_diagnostics(diagnostics)
        super().__init__(self.render())

    def render(self, limit: int = MAX_SHOWN) -> str:
        """All diagnostics in short form, one per line, with "... and N more" past ``limit``."""
        shown = [d.short() for d in self.diagnostics[:limit]]
        rest = len(self.diagnostics) - limit
        if rest > 0:
            shown.append(f"... and {rest} more")
        return "\n".join(shown)


class CatalogYamlError(CreditRulesError):
    """The YAML text of a catalog or input file cannot be read."""


class CatalogSchemaError(CreditRulesError):
    """A catalog does not have the shape the schema requires, or refers to what is not there."""


class RecordsError(CreditRulesError):
    """Subjects or records given for evaluation are malformed."""


class ConditionSyntaxError(CreditRulesError):
    """A ``when:`` condition is not in the condition language."""


class ConditionTypeError(CreditRulesError):
    """A ``when:`` condition uses an unknown name or compares incompatible things."""


class CompileError(CreditRulesError):
    """A checked condition cannot be compiled for the requested back end."""


class LintError(CreditRulesError):
    """A catalog breaks a legality or proportionality rule at error severity."""


class EvaluationError(CreditRulesError):
    """Evaluation could not proceed; bad data is normally set aside instead."""


class UsageError(CreditRulesError):
    """A command or API call was given arguments it cannot use."""


def error(code: str, message: str, span: Span | None = None, **extra: str | None) -> Diagnostic:
    """Shorthand for an error-severity diagnostic."""
    return Diagnostic(
        code,
        DiagnosticSeverity.ERROR,
        message,
        help=extra.get("help"),
        span=span,
        catalog_path=extra.get("catalog_path"),
        measure_id=extra.get("measure_id"),
    )
