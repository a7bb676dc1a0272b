"""The benchmark: credit_rules against rule-engine, zen-engine, cedarpy and hand-written Python.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/run.py``; ``--quick`` for a smoke
run). Input: nothing but the seed; populations and catalogs come from ``generate.py`` and
``measures/``. Output: a Markdown table on stdout, ``benchmarks/results/latest.json`` and
``latest.md``, and the results block of ``benchmarks/README.md``. Exit status: 0, or 1 when any
implementation's answers differ from ours (the subject and measure are printed; timing is
skipped unless ``--keep-going``), or 2 on bad arguments.

Method (see README.md): every implementation answers the same question for the same subjects —
which measures' conditions hold on ``AS_OF``, and which of them hold only because of records
under objection (suspended). Answers are compared before anything is timed. Timings are
interleaved: each round runs every implementation once over the same subjects, and the figure
kept is the best round (the least disturbed by other processes on the machine); the median is
in the JSON. The clock is the process's CPU time (``time.process_time``), which other
processes on a shared machine do not inflate; wall-clock times are kept in the JSON too.
Single process, single thread (the peers' native code runs in the calling thread), gc on.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(ROOT))

from benchmarks import handwritten, peers  # noqa: E402
from benchmarks.generate import (  # noqa: E402
    AS_OF,
    catalog_measures,
    generate,
    synthetic_catalog,
)
from credit_rules.catalog import load_catalog, load_catalog_text  # noqa: E402
from credit_rules.engine import Engine, compile_catalog  # noqa: E402
from credit_rules.facts import build_facts  # noqa: E402
from credit_rules.model import Catalog, Dossier, ListKind  # noqa: E402

Answer = frozenset[tuple[str, bool]]

#: the issue's targets on the synthetic 150-measure workload: (peer, least speed-up of ours)
TARGETS = {"rule-engine": 50.0, "zen-engine": 5.0, "cedarpy": 5.0, "hand-written": 0.5}


# ---------------------------------------------------------------------------------------------
# Implementations under test


def ours_screen(engine: Engine) -> Callable[[Dossier], Answer]:
    """Ours, answering what the peers answer: ``Engine.screen`` (records classified, windows
    applied, candidate conditions evaluated over per-query counters; no witnesses): the
    public call itself, with no wrapper of ours in between."""
    return functools.partial(engine.screen, as_of=AS_OF)


def ours_match(engine: Engine) -> Callable[[Dossier], Answer]:
    """Ours on the explaining path: ``build_facts`` and ``Engine.triggered``, which find the
    same measures with the records that witness each (what ``evaluate`` builds on)."""
    catalog = engine.catalog
    vocabulary, policy = catalog.vocabulary, catalog.policy

    def run(dossier: Dossier) -> Answer:
        facts = build_facts(dossier, as_of=AS_OF, vocabulary=vocabulary, policy=policy)
        return frozenset(
            (hit.compiled.measure.id, hit.suspended)
            for hit in engine.triggered(facts, as_of=AS_OF, matter=None)
        )

    return run


def ours_evaluate(engine: Engine) -> Callable[[Dossier], object]:
    """Ours, the public call: a full Decision (targets, periods, checks, withholding)."""

    def run(dossier: Dossier) -> object:
        return engine.evaluate(dossier, as_of=AS_OF)

    return run


def dishonest_lists(catalog: Catalog) -> frozenset[str]:
    """Lists whose entries record dishonest conduct (black and key-attention lists)."""
    kinds = (ListKind.BLACK, ListKind.KEY_ATTENTION)
    return frozenset(name for name, item in catalog.vocabulary.lists.items() if item.kind in kinds)


@dataclass
class Impl:
    """One implementation on one workload: how to answer, how to time, what it was handed."""

    name: str
    #: subject index → answer (for the comparison), or None when it is not compared
    answer: Callable[[int], Answer] | None
    #: subject index → anything (the timed call)
    timed: Callable[[int], object]
    subjects: Sequence[int]
    note: str = ""
    build_seconds: float | None = None
    #: rounds to time at most (the very slow peers are timed in fewer)
    max_rounds: int = 1_000
    timings: list[float] = field(default_factory=list)  # CPU µs per subject, one per round
    wall: list[float] = field(default_factory=list)  # wall-clock µs per subject, per round

    @property
    def best(self) -> float:
        return min(self.timings)

    @property
    def median(self) -> float:
        return statistics.median(self.timings)


@dataclass
class Workload:
    """A catalog, a population, and the implementations evaluated on them."""

    key: str
    title: str
    catalog: Catalog
    engine: Engine
    dossiers: list[Dossier]
    impls: list[Impl] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)
    disagreements: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


def build_workload(
    key: str,
    title: str,
    catalog: Catalog,
    dossiers: list[Dossier],
    *,
    hand: Callable[[Dossier, datetime.date], Answer] | None,
    hand_note: str,
    peer_classes: Sequence[type[peers.Peer]],
    records_sample: int,
    evaluate: bool = True,
) -> Workload:
    """Compile ours, build the hand-written function and the peers, prepare their inputs."""
    started = time.process_time()
    engine = compile_catalog(catalog)
    compile_seconds = time.process_time() - started
    work = Workload(key, title, catalog, engine, dossiers)
    work.info["compile_s"] = round(compile_seconds, 3)
    work.info["measures"] = len(catalog.measures)
    work.info["subjects"] = len(dossiers)
    work.info["records_per_subject"] = round(
        sum(len(d.records) for d in dossiers) / max(1, len(dossiers)), 1
    )
    # What the trigger index leaves to evaluate per subject (outside every timing): the
    # distinct conditions a subject's records can make true, and the measures sharing them.
    plan = engine._plan(AS_OF, None)
    tried = conditions_of = 0
    for dossier in dossiers:
        facts = build_facts(
            dossier, as_of=AS_OF, vocabulary=catalog.vocabulary, policy=catalog.policy
        )
        found = plan.candidates(facts)
        tried += len(found)
        conditions_of += sum(len(plan.members[c]) for c in found)
    work.info["conditions_tried"] = round(tried / max(1, len(dossiers)), 1)
    work.info["measures_reached"] = round(conditions_of / max(1, len(dossiers)), 1)
    everyone = range(len(dossiers))
    screen = ours_screen(engine)
    # timed as an integrator writes the call (a ``partial`` would add its keyword merge)
    call = engine.screen
    ours = Impl(
        "ours", lambda i: screen(dossiers[i]), lambda i: call(dossiers[i], as_of=AS_OF), everyone
    )
    ours.note = "Engine.screen: records classified and filtered, windows applied, by the engine"
    ours.build_seconds = compile_seconds
    work.impls.append(ours)
    match = ours_match(engine)
    work.impls.append(
        Impl(
            "ours (witnesses)",
            lambda i: match(dossiers[i]),
            lambda i: match(dossiers[i]),
            everyone,
            note="build_facts + Engine.triggered: the same answer with each hit's witnesses",
        )
    )
    if evaluate:
        full = ours_evaluate(engine)
        work.impls.append(
            Impl(
                "ours (evaluate)",
                None,
                lambda i: full(dossiers[i]),
                everyone,
                note="Engine.evaluate: the full Decision, targets, periods, checks",
            )
        )
    if hand is not None:
        hand_fn = hand
        work.impls.append(
            Impl(
                "hand-written",
                lambda i: hand_fn(dossiers[i], AS_OF),
                lambda i: hand_fn(dossiers[i], AS_OF),
                everyone,
                note=hand_note,
            )
        )
    else:
        work.unavailable["hand-written"] = hand_note
    # The peers get hand-written views (records that count) and their own precomputed input.
    black = dishonest_lists(catalog)
    started = time.process_time()
    views = [handwritten.views(d, AS_OF, black) for d in dossiers]
    views_seconds = time.process_time() - started
    measures = [(item.measure.id, item.checked) for item in engine.measures]
    schemes = sorted(catalog.vocabulary.ratings)
    translation = peers.Translation(measures)  # shared by the flat peers, features computed once
    started = time.process_time()
    for confirmed, with_pending in views:
        peers.features(translation, confirmed, AS_OF)
        if with_pending is not None:
            peers.features(translation, with_pending, AS_OF)
    flat_seconds = time.process_time() - started
    work.info["precompute_us"] = {
        "subject views (records that count)": round(views_seconds / len(dossiers) * 1e6, 1),
        "flat attributes": round(flat_seconds / len(dossiers) * 1e6, 1),
    }
    work.info["flat_attributes"] = len(translation.features)
    for peer_class in peer_classes:
        try:
            started = time.process_time()
            peer = peer_class(measures, schemes=schemes, translation=translation)
            build = time.process_time() - started
        except peers.PeerUnavailable as problem:
            work.unavailable[peer_class.name] = f"not installed: {problem}"
            continue
        except NotImplementedError as problem:
            work.unavailable[peer_class.name] = f"cannot express this catalog: {problem}"
            continue
        slow = peer_class.slow
        subjects = list(everyone)[: records_sample if slow else len(dossiers)]
        started = time.process_time()
        inputs = {i: peers.peer_inputs(peer, *views[i], AS_OF) for i in subjects}
        prepare = (time.process_time() - started) / (len(subjects) or 1)
        impl = Impl(
            peer.name,
            lambda i, p=peer, inp=inputs: peers.peer_answer(p, inp[i]),  # type: ignore[misc]
            lambda i, p=peer, inp=inputs: peers.peer_answer(p, inp[i]),  # type: ignore[misc]
            subjects,
            note=f"{peer.package} {peer.version}; handed {peer.handed}",
            build_seconds=build,
            max_rounds=2 if slow else 1_000,
        )
        if slow or peer_class in peers.RECORDS_PEERS:
            work.info["precompute_us"][f"{peer.name} input"] = round(prepare * 1e6, 1)
        work.impls.append(impl)
    translation.cache.clear()
    return work


# ---------------------------------------------------------------------------------------------
# Checking and timing


def compare(work: Workload, limit: int = 20) -> None:
    """Every implementation's answers against ours, subject by subject (before any timing)."""
    ours = work.impls[0]
    assert ours.answer is not None
    expected: dict[int, Answer] = {}
    for impl in work.impls[1:]:
        if impl.answer is None:
            continue
        for i in impl.subjects:
            if i not in expected:
                expected[i] = ours.answer(i)
            got = impl.answer(i)
            if got == expected[i]:
                continue
            subject = work.dossiers[i].subject.id
            for measure, suspended in sorted(got - expected[i]):
                state = "suspended" if suspended else "applies"
                work.disagreements.append(
                    f"{work.key}: subject {subject}: measure {measure}: {impl.name} says "
                    f"{state}, ours does not"
                )
            for measure, suspended in sorted(expected[i] - got):
                state = "suspended" if suspended else "applies"
                work.disagreements.append(
                    f"{work.key}: subject {subject}: measure {measure}: ours says {state}, "
                    f"{impl.name} does not"
                )
    work.info["compared_subjects"] = len(expected)
    if len(work.disagreements) > limit:
        more = len(work.disagreements) - limit
        work.disagreements[limit:] = [f"{work.key}: … and {more} more"]


def time_rounds(works: Sequence[Workload], rounds: int) -> None:
    """Interleaved rounds: each round times every implementation of every workload once."""
    for _ in range(rounds):
        for work in works:
            for impl in work.impls:
                if len(impl.timings) >= impl.max_rounds:
                    continue
                subjects = impl.subjects
                timed = impl.timed
                gc.collect()
                wall = time.perf_counter()
                cpu = time.process_time()
                for i in subjects:
                    timed(i)
                cpu = time.process_time() - cpu
                wall = time.perf_counter() - wall
                impl.timings.append(cpu / len(subjects) * 1e6)
                impl.wall.append(wall / len(subjects) * 1e6)


# ---------------------------------------------------------------------------------------------
# Compile time and memory


def engine_memory(catalog: Catalog) -> tuple[float, float, float, float]:
    """MiB a compiled engine holds (traced Python allocations still alive) and the peak; then
    the CPU seconds and MiB of building its screen (``Engine.screen`` builds it on its first
    call for a date: the slots, the generated module and the plan)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    engine = compile_catalog(catalog)
    gc.collect()
    held, peak = tracemalloc.get_traced_memory()
    started = time.process_time()
    engine._screen_plan(AS_OF, None)
    screen_seconds = time.process_time() - started
    gc.collect()
    screened = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del engine
    mib = 2**20
    return (held - before) / mib, (peak - before) / mib, screen_seconds, (screened - held) / mib


# ---------------------------------------------------------------------------------------------
# Report


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "load_average": load,
        "commit": commit,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _fmt(us: float) -> str:
    return f"{us:,.1f}" if us < 1000 else f"{us:,.0f}"


def _rate(us: float) -> str:
    return f"{1e6 / us:,.0f}"


def workload_table(work: Workload) -> list[str]:
    ours = work.impls[0]
    lines = [
        "| implementation | µs/subject | subjects/s | ours is … faster | subjects timed |",
        "|---|---:|---:|---:|---:|",
    ]
    for impl in work.impls:
        ratio = "—" if impl.name == "ours" else f"{impl.best / ours.best:.2f}×"
        lines.append(
            f"| {impl.name} | {_fmt(impl.best)} | {_rate(impl.best)} | {ratio} | "
            f"{len(impl.subjects)} |"
        )
    for name, why in work.unavailable.items():
        lines.append(f"| {name} | — | — | {why} | — |")
    return lines


def targets_table(work: Workload) -> list[str]:
    by_name = {impl.name: impl for impl in work.impls}
    ours = by_name["ours"]
    lines = [
        "| against | target | measured (ours) | ours (witnesses) | ours (evaluate) | met |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    others = [by_name.get("ours (witnesses)"), by_name.get("ours (evaluate)")]
    for name, target in TARGETS.items():
        peer = by_name.get(name)
        if peer is None:
            lines.append(f"| {name} | — | unavailable | — | — | — |")
            continue
        ratio = peer.best / ours.best
        cells = [f"{peer.best / other.best:.2f}×" if other else "—" for other in others]
        wanted = "ours ≤ 2× its time" if name == "hand-written" else f"≥ {target:g}×"
        met = "yes" if ratio >= target else "**no**"
        lines.append(f"| {name} | {wanted} | {ratio:.2f}× | {' | '.join(cells)} | {met} |")
    return lines


#: columns of a scaling table besides the timings: (heading, ``Workload.info`` key)
_REACH = (("conditions tried", "conditions_tried"), ("measures they decide", "measures_reached"))


def scaling_table(works: Sequence[Workload], label: str, key: str) -> list[str]:
    """One row per workload: ``info[key]``, what ours evaluates per subject, then each
    implementation's best µs per subject."""
    names: list[str] = []
    for work in works:
        for impl in work.impls:
            if impl.name not in names:
                names.append(impl.name)
    heads = [heading for heading, _ in _REACH] + [f"{n} µs" for n in names]
    lines = [f"| {label} | " + " | ".join(heads) + " |", "|---:|" + "---:|" * len(heads)]
    for work in works:
        by_name = {impl.name: impl for impl in work.impls}
        cells = [str(work.info.get(field_, "—")) for _, field_ in _REACH]
        cells += [_fmt(by_name[n].best) if n in by_name else "—" for n in names]
        lines.append(f"| {work.info[key]} | " + " | ".join(cells) + " |")
    return lines


def report(
    result: dict[str, Any],
    headline: Workload,
    others: Sequence[Workload],
    by_measures: Sequence[Workload],
    by_inert: Sequence[Workload],
    by_records: Sequence[Workload],
) -> str:
    m = result["machine"]
    out = [
        f"Measured {m['date']} on {m['nproc']} × {m['cpu']}, {m['implementation']} "
        f"{m['python']}, commit {m['commit'] or '?'}; load average {m['load_average']} at the "
        f"start and {result['load_average_end']} at the end. Command: `{result['command']}`. "
        f"Process CPU time (`time.process_time`), best of {result['rounds']} interleaved "
        "rounds; single process, single thread (wall-clock figures are in the JSON).",
        "",
    ]
    if result["disagreements"]:
        out += [
            "**ANSWERS DISAGREE** — the figures below are not a valid comparison until this is "
            "fixed:",
            "",
            *[f"- {line}" for line in result["disagreements"]],
            "",
        ]
    info = headline.info
    out += [
        f"### {headline.title}",
        "",
        f"{info['measures']} measures, {info['subjects']} subjects, "
        f"{info['records_per_subject']} records per subject on average; answers of every "
        f"implementation compared with ours on {info.get('compared_subjects', 0)} subjects.",
        "",
        *workload_table(headline),
        "",
        "Targets (issue 8), as throughput ratios from this run:",
        "",
        *targets_table(headline),
        "",
        "Peer input prepared outside the timings (µs/subject, hand-written Python): "
        + ", ".join(f"{k} {v}" for k, v in info.get("precompute_us", {}).items())
        + f"; {info.get('flat_attributes', 0)} distinct flat attributes.",
        "",
    ]
    for work in others:
        info = work.info
        out += [
            f"### {work.title}",
            "",
            f"{info['measures']} measures, {info['subjects']} subjects, "
            f"{info['records_per_subject']} records per subject on average.",
            "",
            *workload_table(work),
            "",
        ]
    out += [
        "### Cost as the catalog grows (records per subject 0–50)",
        "",
        *scaling_table(by_measures, "measures", "measures"),
        "",
        "Per subject, *conditions tried* is how many distinct conditions the trigger index "
        "leaves the witness path to evaluate (screening chooses its own: the conditions a "
        "slot fed by the subject's records triggers, and by the index only those no slot "
        "can trigger), and *measures they decide* how many measures share them.",
        "",
        "### Cost as the catalog grows with other sectors' measures (none reachable)",
        "",
        "The 150 measures above, then measures of other sectors on lists and domains no "
        "generated record has (`generate.inert_measures`), on the same subjects.",
        "",
        *scaling_table(by_inert, "measures", "measures"),
        "",
        "### Cost as subjects' records grow (synthetic 150 measures)",
        "",
        *scaling_table(by_records, "records/subject", "records_per_subject"),
        "",
        "### Compile time and memory of a compiled engine (synthetic catalogs)",
        "",
        "| measures | YAML KiB | load + schema s | compile s | engine MiB | compile peak MiB "
        "| screen build s | screen MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {r['measures']} | {r['yaml_kib']} | {r['load_s']} | {r['compile_s']} | "
            f"{r['engine_mib']} | {r['compile_peak_mib']} | {r['screen_s']} | "
            f"{r['screen_mib']} |"
            for r in result["compile"]
        ],
        "",
        "The screen is built on the first `Engine.screen` call for a date (its slots, its "
        "generated module and the plan), not by `compile_catalog`.",
        "",
        "Build times (CPU s, 150 measures; ours = parse, check, lint and compile): "
        + ", ".join(
            f"{impl.name} {impl.build_seconds:.3f}"
            for impl in headline.impls
            if impl.build_seconds is not None
        )
        + ".",
        "",
    ]
    return "\n".join(out)


def workload_json(work: Workload) -> dict[str, Any]:
    return {
        "title": work.title,
        **work.info,
        "implementations": [
            {
                "name": impl.name,
                "best_us": round(impl.best, 2),
                "median_us": round(impl.median, 2),
                "rounds_us": [round(t, 2) for t in impl.timings],
                "wall_best_us": round(min(impl.wall), 2),
                "wall_rounds_us": [round(t, 2) for t in impl.wall],
                "subjects_per_second": round(1e6 / impl.best, 1),
                "slower_than_ours": round(impl.best / work.impls[0].best, 3),
                "subjects_timed": len(impl.subjects),
                "build_s": None if impl.build_seconds is None else round(impl.build_seconds, 4),
                "note": impl.note,
            }
            for impl in work.impls
        ],
        "unavailable": work.unavailable,
        "disagreements": work.disagreements,
    }


def update_readme(table: str) -> None:
    readme = HERE / "README.md"
    begin, end = "<!-- results:begin -->", "<!-- results:end -->"
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    if begin not in text or end not in text:
        return
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{begin}\n{table}\n{end}{tail}", encoding="utf-8")


# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--subjects", type=int, default=1000, help="headline population")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument(
        "--keep-going", action="store_true", help="time even when answers disagree (still exit 1)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only; write no files")
    args = parser.parse_args(argv)
    if args.subjects < 10 or args.rounds < 1:
        parser.error("--subjects must be at least 10 and --rounds at least 1")
    seed = args.seed
    n = 120 if args.quick else args.subjects
    rounds = 2 if args.quick else args.rounds
    records_sample = 3 if args.quick else 5
    command = " ".join(["benchmarks/run.py", *(sys.argv[1:] if argv is None else argv)])
    result: dict[str, Any] = {"machine": machine(), "command": command, "rounds": rounds}
    started = time.perf_counter()

    loads: dict[int, tuple[float, float]] = {}  # measures → (YAML KiB, load + schema s)

    def synthetic(
        size: int, inert: int = 0
    ) -> tuple[Catalog, Callable[[Dossier, datetime.date], Answer]]:
        text = synthetic_catalog(size, seed=seed, inert=inert)
        started = time.process_time()
        catalog = load_catalog_text(text)
        if not inert:
            loads[size] = (len(text.encode()) / 1024, time.process_time() - started)
        hand = handwritten.synthetic_function(
            catalog_measures(size, seed=seed, inert=inert), dishonest_lists(catalog)
        )
        return catalog, hand

    hand_note = "one hand-written function for the catalog family, on the raw records"
    print("building workloads …", file=sys.stderr)
    # Parser and grammar set-up happen once per process; keep them out of the compile times.
    compile_catalog(load_catalog_text(synthetic_catalog(2, seed=seed)))
    catalog150, hand150 = synthetic(150)
    population = generate(n, seed=seed)
    headline = build_workload(
        "synthetic-150",
        "Synthetic catalog, 150 measures (the issue's target workload)",
        catalog150,
        population,
        hand=hand150,
        hand_note=hand_note,
        peer_classes=(*peers.PEERS, *peers.RECORDS_PEERS),
        records_sample=records_sample,
    )
    shipped_catalog = load_catalog(ROOT / "measures" / "national", ROOT / "measures" / "seeds")
    shipped_hand, missing = handwritten.shipped_function(
        {m.id: m.when for m in shipped_catalog.measures}, dishonest_lists(shipped_catalog)
    )
    shipped = build_workload(
        "shipped",
        "Shipped catalogs (measures/national + measures/seeds, layered)",
        shipped_catalog,
        generate(n, seed=seed + 1, vocabulary=shipped_catalog.vocabulary),
        hand=shipped_hand,
        hand_note=(
            "hand-written test per condition text"
            if shipped_hand
            else "no hand-written test for: " + "; ".join(missing)
        ),
        peer_classes=peers.PEERS,
        records_sample=records_sample,
    )
    by_measures = [headline]
    for size in (500, 2000):
        catalog, hand = synthetic(size)
        by_measures.append(
            build_workload(
                f"synthetic-{size}",
                f"Synthetic catalog, {size} measures",
                catalog,
                population[: max(10, n // (4 if size == 500 else 8))],
                hand=hand,
                hand_note=hand_note,
                peer_classes=peers.PEERS,
                records_sample=records_sample,
                evaluate=True,
            )
        )
    # The same 150 measures and subjects, the catalog grown with other sectors' measures
    # (lists and domains no generated record has): the cost should not move.
    by_inert = []
    for size in (150, 500, 2000):
        catalog, hand = (catalog150, hand150) if size == 150 else synthetic(150, size - 150)
        by_inert.append(
            build_workload(
                f"inert-{size}",
                f"Synthetic catalog, 150 measures and {size - 150} of other sectors",
                catalog,
                population[: max(10, n // 4)],
                hand=hand,
                hand_note=hand_note,
                peer_classes=peers.PEERS,
                records_sample=records_sample,
            )
        )
    by_records = []
    for count in (5, 50, 500):
        size_n = max(10, n // (1 if count == 5 else 2 if count == 50 else 10))
        by_records.append(
            build_workload(
                f"records-{count}",
                f"Synthetic catalog, 150 measures, {count} records per subject",
                catalog150,
                generate(size_n, seed=seed + 2, records=(count, count)),
                hand=hand150,
                hand_note=hand_note,
                peer_classes=peers.PEERS,
                records_sample=records_sample,
            )
        )
    works = [headline, shipped, *by_measures[1:], *by_inert, *by_records]
    print("comparing answers …", file=sys.stderr)
    for work in works:
        compare(work)
    disagreements = [line for work in works for line in work.disagreements]
    result["disagreements"] = disagreements
    if disagreements:
        print("answers differ from ours:", file=sys.stderr)
        for line in disagreements:
            print(f"  {line}", file=sys.stderr)
        if not args.keep_going:
            return 1
    print("timing …", file=sys.stderr)
    time_rounds(works, rounds)
    print("compile time and memory …", file=sys.stderr)
    result["compile"] = []
    for work in by_measures:
        size = work.info["measures"]
        held, peak, screen_s, screen_mib = engine_memory(work.catalog)
        result["compile"].append(
            {
                "measures": size,
                "yaml_kib": round(loads[size][0], 1),
                "load_s": round(loads[size][1], 3),
                "compile_s": work.info["compile_s"],
                "engine_mib": round(held, 2),
                "compile_peak_mib": round(peak, 2),
                "screen_s": round(screen_s, 3),
                "screen_mib": round(screen_mib, 2),
            }
        )
    result["load_average_end"] = machine()["load_average"]
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["workloads"] = {work.key: workload_json(work) for work in works}
    table = report(result, headline, [shipped], by_measures, by_inert, by_records)
    print(table)
    if not args.no_write:
        out = HERE / "results"
        out.mkdir(exist_ok=True)
        (out / "latest.json").write_text(
            json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        (out / "latest.md").write_text(table + "\n", encoding="utf-8")
        update_readme(table)
    print(f"done in {result['seconds']} s", file=sys.stderr)
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
