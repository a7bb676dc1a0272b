"""``credit-rules diff OLD NEW``: what changed between two catalog versions, and for whom.

Renders :class:`~credit_rules.diff.CatalogDiff` and :class:`~credit_rules.diff.Impact` as text
(``+`` added, ``-`` removed, ``~`` changed, each changed field with its old and new value) or as
JSON with the same content.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from typing import Any, TextIO

from credit_rules.catalog import load_catalog
from credit_rules.cli import EXIT_FINDINGS, EXIT_OK, parse_date
from credit_rules.diff import (
    CatalogDiff,
    FieldChange,
    Impact,
    TargetChange,
    diff_catalogs,
    population_impact,
)
from credit_rules.engine import compile_catalog
from credit_rules.records import load_dossiers


def cmd_diff(args: argparse.Namespace) -> int:
    """Compare two catalogs; with ``--population``, evaluate both on every dossier."""
    old = load_catalog(args.old)
    new = load_catalog(args.new)
    difference = diff_catalogs(old, new)
    impact = None
    if args.population is not None:
        dossiers = load_dossiers(args.population)
        as_of = args.as_of or datetime.date.today()
        impact = population_impact(
            compile_catalog(old, strict=False),
            compile_catalog(new, strict=False),
            dossiers,
            as_of=as_of,
        )
    if args.format == "json":
        json.dump(diff_data(difference, impact), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        write_diff(difference, sys.stdout)
        if impact is not None:
            write_impact(impact, sys.stdout)
    changed = not difference.empty or (impact is not None and (impact.gains or impact.losses))
    return EXIT_FINDINGS if args.exit_code and changed else EXIT_OK


# -- text -------------------------------------------------------------------------------------


def write_diff(difference: CatalogDiff, out: TextIO) -> None:
    """Measures added (+), removed (-) and changed (~) field by field, then catalog changes."""
    out.write(f"old {difference.old_fingerprint}\nnew {difference.new_fingerprint}\n")
    out.write(
        f"measures: {len(difference.added)} added, {len(difference.removed)} removed, "
        f"{len(difference.changed)} changed\n"
    )
    for measure in difference.added:
        out.write(f"+ {measure.id}  {measure.title}\n")
    for measure in difference.removed:
        out.write(f"- {measure.id}  {measure.title}\n")
    for change in difference.changed:
        out.write(f"~ {change.measure_id}\n")
        for field in change.changes:
            _write_field(field, out)
    if difference.catalog:
        out.write("catalog:\n")
        for field in difference.catalog:
            _write_field(field, out)


def _write_field(field: FieldChange, out: TextIO) -> None:
    out.write(f"    {field.field}\n")
    if field.old is not None:
        out.write(f"      - {field.old}\n")
    if field.new is not None:
        out.write(f"      + {field.new}\n")


def write_impact(impact: Impact, out: TextIO) -> None:
    """Gains and losses per target, then counts per measure."""
    out.write(
        f"impact on {impact.subjects} subject{'s' if impact.subjects != 1 else ''} as of "
        f"{impact.as_of.isoformat()}: {len(impact.gains)} gained, {len(impact.losses)} lost, "
        f"{impact.affected} subject{'s' if impact.affected != 1 else ''} affected\n"
    )
    for word, changes in (("gained", impact.gains), ("lost", impact.losses)):
        if not changes:
            continue
        out.write(f"  {word}:\n")
        for change in changes:
            out.write(f"    {_change_text(change)}\n")
    if impact.per_measure:
        width = max(len("measure"), *(len(m.measure_id) for m in impact.per_measure))
        out.write(f"  {'measure':<{width}}  gained  lost\n")
        for item in impact.per_measure:
            out.write(f"  {item.measure_id:<{width}}  {item.gained:>6}  {item.lost:>4}\n")


def _change_text(change: TargetChange) -> str:
    old = change.old.value if change.old is not None else "none"
    new = change.new.value if change.new is not None else "none"
    who = change.target_text
    if who != change.subject_id and change.target.via_id != change.subject_id:
        who += f" (dossier {change.subject_id})"
    return f"{who}: {change.measure_id} ({old} → {new})"


# -- JSON -------------------------------------------------------------------------------------


def diff_data(difference: CatalogDiff, impact: Impact | None) -> dict[str, Any]:
    """The difference (and impact) as JSON-ready data."""
    data: dict[str, Any] = {
        "old": {"fingerprint": difference.old_fingerprint},
        "new": {"fingerprint": difference.new_fingerprint},
        "measures": {
            "added": [{"id": m.id, "title": m.title} for m in difference.added],
            "removed": [{"id": m.id, "title": m.title} for m in difference.removed],
            "changed": [
                {"id": c.measure_id, "changes": [_field_data(f) for f in c.changes]}
                for c in difference.changed
            ],
        },
        "catalog": [_field_data(f) for f in difference.catalog],
    }
    if impact is not None:
        data["impact"] = {
            "as_of": impact.as_of.isoformat(),
            "subjects": impact.subjects,
            "affected": impact.affected,
            "gains": [_change_data(c) for c in impact.gains],
            "losses": [_change_data(c) for c in impact.losses],
            "per_measure": [
                {"measure": m.measure_id, "gained": m.gained, "lost": m.lost}
                for m in impact.per_measure
            ],
        }
    return data


def _field_data(field: FieldChange) -> dict[str, Any]:
    return {"field": field.field, "old": field.old, "new": field.new}


def _change_data(change: TargetChange) -> dict[str, Any]:
    target = change.target
    data: dict[str, Any] = {
        "subject": change.subject_id,
        "measure": change.measure_id,
        "target": target.subject_id,
        "old": change.old.value if change.old is not None else None,
        "new": change.new.value if change.new is not None else None,
    }
    if target.role is not None:
        data["via"] = target.via_id
        data["role"] = target.role.value
    return data


def register(commands: Any) -> None:
    """Add ``diff`` to the command line."""
    diff = commands.add_parser(
        "diff",
        help="compare two catalog versions, and their impact on a population",
        description="List the measures added, removed and changed field by field between two "
        "catalog versions (conditions in canonical form), and the changes to layers, "
        "vocabulary and policy. With --population, evaluate both versions on every dossier "
        "and report which subjects gain or lose which measures in force, with counts per "
        "measure.\n\nexample:\n"
        "  credit-rules diff old/measures/national measures/national "
        "--population examples/population.jsonl --as-of 2024-06-01",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    diff.add_argument("old", metavar="OLD", help="the old catalog (file or directory)")
    diff.add_argument("new", metavar="NEW", help="the new catalog (file or directory)")
    diff.add_argument(
        "--population",
        metavar="FILE",
        help="dossiers to evaluate with both versions (.jsonl, .json or .yaml)",
    )
    diff.add_argument(
        "--as-of",
        type=parse_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="evaluation date for --population (default: today)",
    )
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when the versions differ (like `git diff --exit-code`)",
    )
    diff.set_defaults(run=cmd_diff)
