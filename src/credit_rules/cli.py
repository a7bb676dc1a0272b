"""The ``credit-rules`` command line.

Input: argv. Output: text or JSON on stdout, diagnostics on stderr, and an exit code —
0 ok, 1 findings or failures (invalid catalog, lint errors, failing cases, replay
differences), 2 usage or input errors. No Python traceback reaches the user: internal errors
print one line (set ``CREDIT_RULES_DEBUG=1`` to see the traceback).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import TextIO

from credit_rules.catalog import load_catalog
from credit_rules.errors import CreditRulesError, Diagnostic
from credit_rules.model import Catalog
from credit_rules.schema import SCHEMA_NAMES, load_schema

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

Command = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors with exit code 2 and no traceback."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def print_diagnostics(
    diagnostics: Sequence[Diagnostic], *, sources: dict[str, str] | None = None, out: TextIO
) -> None:
    """Diagnostics in long form (source line and caret where the text is known)."""
    texts = dict(sources or {})
    for diagnostic in diagnostics:
        source = diagnostic.span.source if diagnostic.span is not None else None
        if source is not None and source not in texts:
            texts[source] = _read_quietly(source)
        text = texts.get(source) if source is not None else None
        out.write(diagnostic.long(text or None) + "\n")


def _read_quietly(path: str) -> str:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return ""


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a date written YYYY-MM-DD") from None


# -- validate ---------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    """Read a catalog and check its conditions; print every problem."""
    from credit_rules.engine import compile_measures

    try:
        catalog = load_catalog(*args.paths)
        compile_measures(catalog)
    except CreditRulesError as exc:
        print_diagnostics(exc.diagnostics, out=sys.stderr)
        count = len(exc.diagnostics)
        sys.stderr.write(f"{count} error{'s' if count != 1 else ''}\n")
        return EXIT_FINDINGS
    _summary(catalog, sys.stdout)
    return EXIT_OK


def _summary(catalog: Catalog, out: TextIO) -> None:
    from collections import Counter

    out.write(f"ok: {catalog.info.id} — {catalog.info.title}\n")
    for info in catalog.layers:
        count = sum(1 for m in catalog.measures if m.catalog_id == info.id)
        number = f" {info.document.number}" if info.document and info.document.number else ""
        out.write(
            f"  {info.level.value:<13} {info.id:<28} {count:>3} measures  {info.issuer}{number}\n"
        )
    kinds = Counter((m.kind.value, m.list.value) for m in catalog.measures)
    parts = ", ".join(f"{n} {k} {lst}" for (k, lst), n in sorted(kinds.items()))
    out.write(f"  {len(catalog.measures)} measures: {parts}\n")
    out.write(f"  fingerprint {catalog.fingerprint}\n")


# -- schema -----------------------------------------------------------------------------------


def cmd_schema(args: argparse.Namespace) -> int:
    """Print a JSON Schema shipped with the library."""
    json.dump(load_schema(args.name), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return EXIT_OK


# -- wiring -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with an example in every subcommand's help."""
    parser = _Parser(
        prog="credit-rules",
        description="Compile and apply catalogs of joint incentive and joint punishment measures.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit codes: 0 ok, 1 findings or failures, 2 usage or input errors",
    )
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    validate = commands.add_parser(
        "validate",
        help="check a catalog's YAML, schema and conditions",
        description="Check a catalog's YAML, schema and conditions; print every problem with "
        "file:line:column.\n\nexample:\n  credit-rules validate measures/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    validate.add_argument("paths", nargs="+", metavar="PATH", help="catalog file or directory")
    validate.set_defaults(run=cmd_validate)

    schema = commands.add_parser(
        "schema",
        help="print a JSON Schema (catalog, records, cases)",
        description="Print a JSON Schema, for editors and validators.\n\nexample:\n"
        "  credit-rules schema catalog > catalog.schema.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    schema.add_argument("name", choices=SCHEMA_NAMES)
    schema.set_defaults(run=cmd_schema)
    return parser


def _version() -> str:
    from credit_rules import __version__

    return f"credit-rules {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Command = args.run
    try:
        return run(args)
    except CreditRulesError as exc:
        print_diagnostics(exc.diagnostics, out=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        if os.environ.get("CREDIT_RULES_DEBUG"):
            traceback.print_exc()
        sys.stderr.write(
            f"credit-rules: internal error: {type(exc).__name__}: {exc} "
            "(set CREDIT_RULES_DEBUG=1 for details)\n"
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
