"""``credit-rules lint``: a catalog's legality and proportionality findings, as authors see them.

Input: catalog files and directories. Output: every finding on stdout — lint findings
(``CR-L1xx``, acknowledged ones as ``info`` with their reason) or, when the catalog cannot be
read or its conditions do not check, those errors instead — as text (``file:line:col: code
(severity): message``, the source line with a caret, and help) or as JSON. Exit code 1 when
any finding is an error, else 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any, TextIO

from credit_rules.catalog import load_catalog
from credit_rules.cli import EXIT_FINDINGS, EXIT_OK
from credit_rules.errors import CreditRulesError, Diagnostic, DiagnosticSeverity
from credit_rules.lint import lint
from credit_rules.model import Catalog


def lint_paths(paths: Sequence[str]) -> tuple[tuple[Diagnostic, ...], Catalog | None]:
    """Every finding for the catalog at ``paths`` (its reading and checking errors, if any,
    else its lint findings), and the catalog when it could be read."""
    from credit_rules.engine import compile_measures

    try:
        catalog = load_catalog(*paths)
    except CreditRulesError as exc:
        return exc.diagnostics, None
    try:
        measures = compile_measures(catalog)
    except CreditRulesError as exc:
        return exc.diagnostics, catalog
    return lint(catalog, {item.measure.id: item.checked for item in measures}), catalog


def render_text(diagnostics: Sequence[Diagnostic], catalog: Catalog | None, out: TextIO) -> None:
    """Each finding: ``file:line:col: code (severity): message``, the line, a caret, help."""
    texts: dict[str, str] = {}
    for diagnostic in diagnostics:
        span = diagnostic.span
        text = None
        if span is not None:
            if span.source not in texts:
                texts[span.source] = _source_text(span.source, catalog)
            text = texts[span.source] or None
        _, _, rest = diagnostic.long(text).partition("\n")
        out.write(headline(diagnostic) + ("\n" + rest if rest else "") + "\n")
    out.write(summary(diagnostics) + "\n")


def headline(diagnostic: Diagnostic) -> str:
    """``file:line:col: code (severity): message`` (the severity written for errors too)."""
    where = f"{diagnostic.span.short()}: " if diagnostic.span is not None else ""
    return f"{where}{diagnostic.code} ({diagnostic.severity.value}): {diagnostic.message}"


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    """``N errors, N warnings, N acknowledged``."""
    counts = Counter(d.severity for d in diagnostics)

    def plural(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    return ", ".join(
        [
            plural(counts[DiagnosticSeverity.ERROR], "error"),
            plural(counts[DiagnosticSeverity.WARNING], "warning"),
            f"{counts[DiagnosticSeverity.INFO]} acknowledged",
        ]
    )


def finding_data(diagnostic: Diagnostic) -> dict[str, Any]:
    """One finding as JSON-ready data (positions 1-based; null when unknown)."""
    span = diagnostic.span
    return {
        "code": diagnostic.code,
        "severity": diagnostic.severity.value,
        "message": diagnostic.message,
        "help": diagnostic.help,
        "file": span.source if span is not None else None,
        "line": span.line if span is not None else None,
        "column": span.column if span is not None else None,
        "end_line": span.end_line if span is not None else None,
        "end_column": span.end_column if span is not None else None,
        "catalog_path": diagnostic.catalog_path,
        "measure": diagnostic.measure_id,
    }


def _source_text(path: str, catalog: Catalog | None) -> str:
    if catalog is not None:
        known = catalog.source_text(path)
        if known is not None:
            return known
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return ""


def cmd_lint(args: argparse.Namespace) -> int:
    """Lint the catalog; print every finding; exit 1 on any error."""
    diagnostics, catalog = lint_paths(args.paths)
    if args.format == "json":
        counts = Counter(d.severity.value for d in diagnostics)
        data = {
            "findings": [finding_data(d) for d in diagnostics],
            "errors": counts["error"],
            "warnings": counts["warning"],
            "acknowledged": counts["info"],
        }
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        render_text(diagnostics, catalog, sys.stdout)
    failed = any(d.severity is DiagnosticSeverity.ERROR for d in diagnostics)
    return EXIT_FINDINGS if failed else EXIT_OK


def register(commands: Any) -> None:
    """Add ``lint`` to the command line."""
    parser = commands.add_parser(
        "lint",
        help="check a catalog's legality, proportion and relevance (CR-L1xx)",
        description="Check a catalog against the rules of legality, relevance and proportion "
        "(合法、关联、比例) and print every finding with file:line:column; acknowledged "
        "findings are shown as info with their reason. Exit code 1 when any finding is an "
        "error.\n\nexample:\n  credit-rules lint measures/\n"
        "  credit-rules lint measures/national measures/seeds/fujian-province.yaml --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="catalog file or directory")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )
    parser.set_defaults(run=cmd_lint)
