"""``credit-rules replay``: re-evaluate a decision log and report any difference."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from credit_rules.cli import EXIT_FINDINGS, EXIT_OK
from credit_rules.commands.evaluate import engine_for
from credit_rules.errors import UsageError, error
from credit_rules.log import replay


def cmd_replay(args: argparse.Namespace) -> int:
    """Replay every entry; exit 1 when any decision differs."""
    engine = engine_for(args.catalog)
    try:
        with open(args.log, encoding="utf-8") as handle:
            report = replay(handle, engine, source=args.log)
    except OSError as exc:
        raise UsageError(
            [error("CR-E100", f"cannot read `{args.log}`: {(exc.strerror or str(exc)).lower()}")]
        ) from None
    for difference in report.differences:
        fields = ", ".join(difference.fields)
        sys.stdout.write(
            f"{args.log}:{difference.line}: subject `{difference.subject_id}` differs in {fields}\n"
        )
    count = len(report.differences)
    sys.stdout.write(
        f"replayed {report.entries} decision(s): "
        + ("no differences\n" if not count else f"{count} differ\n")
    )
    return EXIT_FINDINGS if count else EXIT_OK


def register(commands: Any) -> None:
    """Add ``replay`` to the command line."""
    parser = commands.add_parser(
        "replay",
        help="re-evaluate a decision log and report differences",
        description="Re-evaluate every decision in a JSON Lines log written by "
        "`evaluate --log`; refuses when the catalog fingerprint differs.\n\nexample:\n"
        "  credit-rules replay decisions.jsonl --catalog measures/national",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("log", metavar="LOG", help="decision log (JSON Lines)")
    parser.add_argument(
        "--catalog",
        action="append",
        required=True,
        metavar="PATH",
        help="catalog file or directory",
    )
    parser.set_defaults(run=cmd_replay)
