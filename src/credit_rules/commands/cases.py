"""``credit-rules test``: run YAML case tests of catalogs, with differences and coverage.

The report is rendered here from :class:`~credit_rules.cases.RunReport` data: as text (a
readable difference per failing case, then coverage) or as JSON (the same content as data).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from credit_rules.cases import (
    CaseResult,
    Coverage,
    Failure,
    RunReport,
    run_cases,
)
from credit_rules.cli import EXIT_FINDINGS, EXIT_OK

#: what ``--require-coverage`` can ask for
REQUIREMENTS = ("measures", "branches")


def cmd_test(args: argparse.Namespace) -> int:
    """Run the case files; exit 1 on any failure (or unmet required coverage)."""
    report = run_cases(args.paths, strict=not args.allow_lint_errors)
    unmet = coverage_unmet(report.coverage, args.require_coverage)
    if args.format == "json":
        data = report_data(report)
        data["coverage"]["required"] = args.require_coverage
        data["coverage"]["met"] = not unmet
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        write_report(report, sys.stdout, verbose=args.verbose)
        for line in unmet:
            sys.stdout.write(f"coverage required: {line}\n")
    return EXIT_OK if report.passed and not unmet else EXIT_FINDINGS


def coverage_unmet(coverage: Coverage, required: str | None) -> list[str]:
    """What the required coverage lacks (empty when it is met or nothing is required)."""
    unmet: list[str] = []
    if required in REQUIREMENTS and coverage.unexercised:
        unmet.append(f"{len(coverage.unexercised)} measure(s) not exercised")
    if required == "branches" and coverage.missing_branches():
        unmet.append(f"{len(coverage.missing_branches())} branch(es) not reached")
    return unmet


# -- text -------------------------------------------------------------------------------------


def write_report(report: RunReport, out: TextIO, *, verbose: bool = False) -> None:
    """The text report: failing cases with their differences, coverage, then the summary."""
    for result in report.results:
        if not result.passed:
            write_failure(result, out)
        elif verbose:
            out.write(f"PASS {_where(result)}{result.case.name}\n")
    write_coverage(report.coverage, out)
    total = len(report.results)
    failed = len(report.failed)
    out.write(
        f"{total} case{'s' if total != 1 else ''}: {total - failed} passed, {failed} failed\n"
    )


def write_failure(result: CaseResult, out: TextIO) -> None:
    """One failing case: its name and place, then each failure with its field differences."""
    out.write(f"FAIL {_where(result)}{result.case.name}\n")
    for failure in result.failures:
        _write_one(failure, out)


def _where(result: CaseResult) -> str:
    span = result.case.span
    return f"{span.short()}: " if span is not None else (f"{result.file}: " if result.file else "")


def _write_one(failure: Failure, out: TextIO) -> None:
    where = f"{failure.span.short()}: " if failure.span is not None else ""
    out.write(f"  {where}{failure.message}\n")
    if failure.differences:
        width = max(len("field"), *(len(d.field) for d in failure.differences))
        value_width = max(len("expected"), *(len(d.expected) for d in failure.differences))
        out.write(f"      {'field':<{width}}  {'expected':<{value_width}}  actual\n")
        for difference in failure.differences:
            out.write(
                f"      {difference.field:<{width}}  {difference.expected:<{value_width}}  "
                f"{difference.actual}\n"
            )
    for diagnostic in failure.diagnostics:
        out.write(f"      {diagnostic.short()}\n")


def write_coverage(coverage: Coverage, out: TextIO) -> None:
    """Measure and branch coverage, then every measure and branch not covered."""
    total = len(coverage.measures)
    exercised = total - len(coverage.unexercised)
    branches = coverage.branch_count
    reached = coverage.branches_reached
    out.write(
        f"coverage: {exercised} of {total} measures exercised ({_percent(exercised, total)}), "
        f"{reached} of {branches} branches reached ({_percent(reached, branches)})\n"
    )
    if coverage.unexercised:
        out.write("  measures no case exercises:\n")
        for item in coverage.unexercised:
            span = item.measure.span
            where = f"{span.short()}: " if span is not None else f"{item.file}: "
            out.write(f"    {where}{item.measure.id}\n")
    missing = coverage.missing_branches()
    if missing:
        out.write("  branches no case reaches:\n")
        for item, branch, value in missing:
            word = "true" if value else "false"
            out.write(
                f"    {branch.span.short()}: {item.measure.id}: `{branch.text}` never {word}\n"
            )


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "100.0%"


# -- JSON -------------------------------------------------------------------------------------


def report_data(report: RunReport) -> dict[str, Any]:
    """The report as JSON-ready data."""
    coverage = report.coverage
    return {
        "cases": [_result_data(r) for r in report.results],
        "summary": {
            "cases": len(report.results),
            "passed": len(report.results) - len(report.failed),
            "failed": len(report.failed),
        },
        "coverage": {
            "measures": len(coverage.measures),
            "exercised": len(coverage.measures) - len(coverage.unexercised),
            "branches": coverage.branch_count,
            "branches_reached": coverage.branches_reached,
            "unexercised": [
                {"measure": m.measure.id, "file": m.file} for m in coverage.unexercised
            ],
            "missing_branches": [
                {
                    "measure": m.measure.id,
                    "condition": b.text,
                    "value": value,
                    "at": b.span.short(),
                }
                for m, b, value in coverage.missing_branches()
            ],
        },
    }


def _result_data(result: CaseResult) -> dict[str, Any]:
    data: dict[str, Any] = {
        "file": result.file,
        "name": result.case.name,
        "passed": result.passed,
    }
    if result.failures:
        data["failures"] = [_failure_data(f) for f in result.failures]
    return data


def _failure_data(failure: Failure) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": failure.kind.value, "message": failure.message}
    if failure.measure_id is not None:
        data["measure"] = failure.measure_id
    if failure.target is not None:
        data["target"] = failure.target
    if failure.span is not None:
        data["at"] = failure.span.short()
    if failure.differences:
        data["differences"] = [
            {"field": d.field, "expected": d.expected, "actual": d.actual}
            for d in failure.differences
        ]
    if failure.diagnostics:
        data["errors"] = [
            {"code": d.code, "message": d.message, "at": d.span.short() if d.span else None}
            for d in failure.diagnostics
        ]
    return data


def register(commands: Any) -> None:
    """Add ``test`` to the command line."""
    test = commands.add_parser(
        "test",
        help="run YAML case tests of catalogs, with differences and coverage",
        description="Run YAML case tests: evaluate each case's dossier with its catalog and "
        "compare the decision with what the case expects; report the measures no case "
        "exercises and the branches of each `when:` no case reaches.\n\nexample:\n"
        "  credit-rules test measures/cases/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    test.add_argument("paths", nargs="+", metavar="PATH", help="case file or directory")
    test.add_argument("--format", choices=("text", "json"), default="text")
    test.add_argument("-v", "--verbose", action="store_true", help="also list the cases that pass")
    test.add_argument(
        "--require-coverage",
        choices=REQUIREMENTS,
        default=None,
        help="fail (exit 1) unless every measure is exercised, or also every branch reached",
    )
    test.add_argument(
        "--allow-lint-errors",
        action="store_true",
        help="evaluate catalogs with unacknowledged lint errors instead of refusing them",
    )
    test.set_defaults(run=cmd_test)
