"""``credit-rules validate`` and ``credit-rules schema``: catalogs as their authors see them."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any, TextIO

from credit_rules.catalog import load_catalog
from credit_rules.cli import EXIT_FINDINGS, EXIT_OK, print_diagnostics
from credit_rules.errors import CreditRulesError
from credit_rules.model import Catalog
from credit_rules.schema import SCHEMA_NAMES, load_schema


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


def cmd_schema(args: argparse.Namespace) -> int:
    """Print a JSON Schema shipped with the library."""
    json.dump(load_schema(args.name), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return EXIT_OK


def register(commands: Any) -> None:
    """Add ``validate`` and ``schema`` to the command line."""
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
        help="print a JSON Schema (catalog, records, cases, decision)",
        description="Print a JSON Schema, for editors and validators.\n\nexample:\n"
        "  credit-rules schema catalog > catalog.schema.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    schema.add_argument("name", choices=SCHEMA_NAMES)
    schema.set_defaults(run=cmd_schema)
