"""The ``credit-rules`` command line.

Input: argv. Output: text or JSON on stdout, diagnostics on stderr, and an exit code —
0 ok, 1 findings or failures (invalid catalog, lint errors, failing cases, replay
differences), 2 usage or input errors. No Python traceback reaches the user: internal errors
print one line (set ``CREDIT_RULES_DEBUG=1`` to see the traceback).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import TextIO

from credit_rules.errors import CreditRulesError, Diagnostic

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

Command = Callable[[argparse.Namespace], int]


class CommandParser(argparse.ArgumentParser):
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


def parse_date(text: str) -> datetime.date:
    """An argparse type for ``--as-of`` and similar options."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a date written YYYY-MM-DD") from None


# -- wiring -----------------------------------------------------------------------------------


#: modules under ``credit_rules.commands``, each with ``register(subparsers)``; the order is
#: the order of ``credit-rules --help``
COMMAND_MODULES = ("catalog", "lint", "evaluate", "replay", "cases", "diff")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with an example in every subcommand's help."""
    parser = CommandParser(
        prog="credit-rules",
        description="Compile and apply catalogs of joint incentive and joint punishment measures.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit codes: 0 ok, 1 findings or failures, 2 usage or input errors",
    )
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True, parser_class=CommandParser)

    for module in COMMAND_MODULES:
        importlib.import_module(f"credit_rules.commands.{module}").register(commands)
    return parser


def _version() -> str:
    from credit_rules.version import __version__

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
