"""``credit-rules evaluate`` and ``credit-rules explain``: decisions for subjects, and why."""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from credit_rules.catalog import load_catalog
from credit_rules.cli import EXIT_OK, parse_date
from credit_rules.engine import Engine, compile_catalog
from credit_rules.errors import UsageError, error
from credit_rules.explain import Explainer
from credit_rules.log import write_entry
from credit_rules.model import Dossier
from credit_rules.records import load_dossiers
from credit_rules.render.data import decision_data, explanation_data
from credit_rules.render.markdown import render_decision_markdown, render_explanation_markdown
from credit_rules.render.text import render_decision, render_explanation

PROGRESS_FROM = 200


def add_common(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that evaluates subjects."""
    parser.add_argument(
        "--catalog",
        action="append",
        required=True,
        metavar="PATH",
        help="catalog file or directory (repeat for basic + supplementary)",
    )
    parser.add_argument(
        "--as-of",
        type=parse_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="evaluation date (default: today)",
    )
    parser.add_argument("--matter", default=None, help="the matter being handled, e.g. air_travel")
    parser.add_argument(
        "--format", choices=("text", "json", "markdown"), default="text", help="output format"
    )
    parser.add_argument(
        "--lang", choices=("zh", "en"), default="zh", help="language of text output"
    )
    parser.add_argument(
        "--unmasked",
        action="store_true",
        help="print resident identity numbers in full (masked by default)",
    )


def engine_for(paths: Sequence[str]) -> Engine:
    """Load and compile the catalogs named on the command line."""
    return compile_catalog(load_catalog(*paths))


def _as_of(args: argparse.Namespace) -> datetime.date:
    value: datetime.date | None = args.as_of
    return value if value is not None else datetime.date.today()


class Progress:
    """A one-line progress display on stderr for long runs."""

    def __init__(self, total: int, *, out: TextIO, enabled: bool) -> None:
        self.total = total
        self.out = out
        self.enabled = enabled and total >= PROGRESS_FROM
        self.step = max(total // 100, 1)

    def update(self, done: int) -> None:
        """Show ``done`` of ``total`` every percent and at the end."""
        if self.enabled and (done % self.step == 0 or done == self.total):
            percent = done * 100 // self.total
            self.out.write(f"\r  {done}/{self.total} subjects ({percent}%)")
            if done == self.total:
                self.out.write("\n")
            self.out.flush()


def _positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not `{text}`")
    return value


def cmd_evaluate_batch(args: argparse.Namespace) -> int:
    """Evaluate a population in DuckDB or Spark; write the outcomes; print a summary."""
    from credit_rules.batch import run_batch

    result = run_batch(
        args.catalog,
        subjects=args.input,
        records=args.records,
        relations=args.relations,
        as_of=_as_of(args),
        matter=args.matter,
        backend=args.backend,
        output=args.output,
        output_format=args.output_format,
        database=args.database,
        statistics=args.statistics or ("-" if args.format == "text" else None),
        progress=True if args.progress else None,
        partitions=args.partitions,
    )
    summary = {
        "backend": result.backend,
        "as_of": result.as_of.isoformat(),
        "matter": result.matter,
        "catalog": {"id": result.catalog_id, "fingerprint": result.catalog_fingerprint},
        "subjects": result.subjects,
        "outcomes": result.outcomes,
        "seconds": round(result.seconds, 3),
        "output": result.output,
    }
    if args.format == "json":
        if result.statistics is not None:
            summary["statistics"] = result.statistics.to_data()
        _json_out(summary)
        return EXIT_OK
    sys.stdout.write(
        f"{result.subjects} subjects, {result.outcomes} outcomes in {result.seconds:.1f} s "
        f"({result.backend}, catalog {result.catalog_id} {result.catalog_fingerprint[:19]})"
        + (f" → {result.output}" if result.output else "")
        + "\n"
    )
    if result.statistics is not None:
        sys.stdout.write(result.statistics.table() + "\n")
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Evaluate every dossier of the input and print the decisions."""
    if args.batch:
        return cmd_evaluate_batch(args)
    engine = engine_for(args.catalog)
    dossiers = load_dossiers(args.input)
    as_of = _as_of(args)
    progress = Progress(len(dossiers), out=sys.stderr, enabled=args.progress or sys.stderr.isatty())
    log = open(args.log, "a", encoding="utf-8") if args.log else None  # noqa: SIM115
    outputs: list[dict[str, Any]] = []
    try:
        for done, dossier in enumerate(dossiers, start=1):
            decision = engine.evaluate(dossier, as_of=as_of, matter=args.matter)
            if log is not None:
                write_entry(log, decision, dossier)
            if args.format == "json":
                outputs.append(decision_data(decision, unmasked=args.unmasked))
            elif args.format == "markdown":
                sys.stdout.write(
                    render_decision_markdown(decision, lang=args.lang, unmasked=args.unmasked)
                    + "\n"
                )
            else:
                sys.stdout.write(
                    render_decision(decision, lang=args.lang, unmasked=args.unmasked) + "\n"
                )
            progress.update(done)
    finally:
        if log is not None:
            log.close()
    if args.format == "json":
        _json_out(outputs[0] if len(outputs) == 1 else outputs)
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    """Explain the decision for one subject: every outcome, or the named measures."""
    engine = engine_for(args.catalog)
    dossiers = load_dossiers(args.input)
    dossier = _pick(dossiers, args.subject, args.input)
    known = {item.measure.id for item in engine.measures}
    unknown = [m for m in args.measure or () if m not in known]
    if unknown:
        raise UsageError([error("CR-E402", f"unknown measure `{m}`") for m in unknown])
    explanation = Explainer(engine).explain(
        dossier, as_of=_as_of(args), matter=args.matter, measure_ids=args.measure or None
    )
    if args.format == "json":
        _json_out(explanation_data(explanation, unmasked=args.unmasked))
    elif args.format == "markdown":
        sys.stdout.write(
            render_explanation_markdown(explanation, lang=args.lang, unmasked=args.unmasked)
        )
    else:
        sys.stdout.write(render_explanation(explanation, lang=args.lang, unmasked=args.unmasked))
    return EXIT_OK


def _pick(dossiers: Sequence[Dossier], subject_id: str | None, source: str) -> Dossier:
    if subject_id is None:
        if len(dossiers) != 1:
            raise UsageError(
                [
                    error(
                        "CR-E403",
                        f"`{source}` holds {len(dossiers)} subjects; name one with --subject",
                    )
                ]
            )
        return dossiers[0]
    for dossier in dossiers:
        if dossier.subject.id == subject_id:
            return dossier
    raise UsageError([error("CR-E403", f"no subject `{subject_id}` in `{source}`")])


def _json_out(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, sort_keys=False)
    sys.stdout.write("\n")


def register(commands: Any) -> None:
    """Add ``evaluate`` and ``explain`` to the command line."""
    evaluate = commands.add_parser(
        "evaluate",
        help="decide which measures apply to subjects",
        description="Evaluate subjects (YAML, JSON or JSON Lines dossiers) against a catalog."
        "\n\nexample:\n  credit-rules evaluate --catalog measures/national "
        "--as-of 2024-06-01 examples/dossiers/judgment-defaulter.yaml\n"
        "  credit-rules evaluate --batch --catalog measures/national --as-of 2024-06-01 "
        "--records records.parquet --relations relations.parquet --output out.parquet "
        "subjects.parquet",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common(evaluate)
    evaluate.add_argument("input", metavar="DOSSIERS", help="dossier file (.yaml, .json, .jsonl)")
    evaluate.add_argument("--log", metavar="FILE", help="append each decision to a JSON Lines log")
    evaluate.add_argument(
        "--progress", action="store_true", help="show progress on stderr even when not a terminal"
    )
    batch = evaluate.add_argument_group(
        "batch",
        "with --batch, DOSSIERS is the subjects table (Parquet, CSV, JSON Lines, or "
        "table:NAME of --database) and the population is evaluated in DuckDB or Spark",
    )
    batch.add_argument("--batch", action="store_true", help="evaluate a whole population")
    batch.add_argument("--records", metavar="PATH", help="records table")
    batch.add_argument("--relations", metavar="PATH", help="relations table")
    batch.add_argument("--backend", choices=("duckdb", "spark"), default="duckdb")
    batch.add_argument("--database", metavar="FILE", help="an existing DuckDB database")
    batch.add_argument("--output", metavar="PATH", help="write outcomes here")
    batch.add_argument(
        "--output-format", choices=("parquet", "csv", "jsonl"), help="default: by suffix"
    )
    batch.add_argument("--statistics", metavar="FILE", help="write statistics as JSON")
    batch.add_argument(
        "--partitions",
        metavar="N",
        type=_positive,
        help="DuckDB: evaluate in N partitions of subjects, one at a time, so memory holds one "
        "partition (default: one per 250,000 subjects)",
    )
    evaluate.set_defaults(run=cmd_evaluate)

    explain = commands.add_parser(
        "explain",
        help="why a measure applied, or why not",
        description="Explain a subject's decision: every measure that applies, or (with "
        "--measure) why a named measure did or did not apply.\n\nexample:\n"
        "  credit-rules explain --catalog measures/national --as-of 2024-06-01 "
        "--measure cn-green-channel examples/dossiers/a-rated-taxpayer.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common(explain)
    explain.add_argument("input", metavar="DOSSIERS", help="dossier file (.yaml, .json, .jsonl)")
    explain.add_argument("--subject", help="subject id, when the file holds several")
    explain.add_argument(
        "--measure", action="append", metavar="ID", help="explain this measure (repeatable)"
    )
    explain.set_defaults(run=cmd_explain)
