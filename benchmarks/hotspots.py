"""Where ours spends its time on the benchmark's headline workload (cProfile).

Run: ``.venv/bin/python benchmarks/hotspots.py [--evaluate | --screen] [--measures 150]
[--records 0 50]``.
Input: the same seeded population and synthetic catalog as ``run.py``. Output: the functions
with the most own time and the most cumulative time, and a breakdown of one subject's cost
into its stages (facts, environment, candidate selection, condition calls), on stdout.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import AS_OF, generate, synthetic_catalog  # noqa: E402
from credit_rules.catalog import load_catalog_text  # noqa: E402
from credit_rules.compile import make_env  # noqa: E402
from credit_rules.engine import compile_catalog  # noqa: E402
from credit_rules.facts import Facts, build_facts  # noqa: E402


def stages(measures: int, records: tuple[int, int], subjects: int, seed: int) -> None:
    """Time each stage of the fast path separately, best of three passes."""
    catalog = load_catalog_text(synthetic_catalog(measures, seed=seed))
    engine = compile_catalog(catalog)
    dossiers = generate(subjects, seed=seed, records=records)
    vocabulary, policy = catalog.vocabulary, catalog.policy
    facts = [build_facts(d, as_of=AS_OF, vocabulary=vocabulary, policy=policy) for d in dossiers]
    envs = [make_env(f, include_pending=False) for f in facts]

    def best(run: object) -> float:
        assert callable(run)
        times = []
        for _ in range(3):
            started = time.process_time()
            run()
            times.append(time.process_time() - started)
        return min(times) / len(dossiers) * 1e6

    def all_facts() -> None:
        for d in dossiers:
            build_facts(d, as_of=AS_OF, vocabulary=vocabulary, policy=policy)

    def all_envs() -> None:
        for f in facts:
            make_env(f, include_pending=False)
            if f.pending:
                make_env(f, include_pending=True)

    plan = engine._plan(AS_OF, None)

    def candidates(f: Facts) -> set[int]:
        return plan.candidates(f)

    def all_candidates() -> None:
        for f in facts:
            candidates(f)

    chosen = [candidates(f) for f in facts]
    calls = sum(map(len, chosen))

    def all_conditions() -> None:
        functions = engine._functions
        for found, env in zip(chosen, envs, strict=True):
            for condition in found:
                functions[condition](env)

    def all_triggered() -> None:
        for f in facts:
            engine.triggered(f, as_of=AS_OF, matter=None)

    def all_evaluate() -> None:
        for d in dossiers:
            engine.evaluate(d, as_of=AS_OF)

    def all_screen() -> None:
        for d in dossiers:
            engine.screen(d, as_of=AS_OF)

    print(f"{measures} measures, records {records}, {subjects} subjects")
    per_subject = calls / len(dossiers)
    print(
        f"  candidate conditions per subject: {per_subject:.1f} of {len(engine._functions)}"
        f" distinct ({len(engine.measures)} measures)"
    )
    print(f"  build_facts            {best(all_facts):9.1f} µs/subject")
    print(f"  make_env (x1 or x2)    {best(all_envs):9.1f} µs/subject")
    print(f"  candidates             {best(all_candidates):9.1f} µs/subject")
    print(f"  condition calls        {best(all_conditions):9.1f} µs/subject (one env)")
    print(f"  triggered (env+cands+calls) {best(all_triggered):6.1f} µs/subject")
    print(f"  evaluate (everything)  {best(all_evaluate):9.1f} µs/subject")
    print(f"  screen (everything)    {best(all_screen):9.1f} µs/subject")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measures", type=int, default=150)
    parser.add_argument("--records", type=int, nargs=2, default=(0, 50))
    parser.add_argument("--subjects", type=int, default=500)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--evaluate", action="store_true", help="profile Engine.evaluate")
    parser.add_argument("--screen", action="store_true", help="profile Engine.screen")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    records = (args.records[0], args.records[1])
    stages(args.measures, records, args.subjects, args.seed)
    catalog = load_catalog_text(synthetic_catalog(args.measures, seed=args.seed))
    engine = compile_catalog(catalog)
    dossiers = generate(args.subjects, seed=args.seed, records=records)
    vocabulary, policy = catalog.vocabulary, catalog.policy

    def match() -> None:
        for d in dossiers:
            f = build_facts(d, as_of=AS_OF, vocabulary=vocabulary, policy=policy)
            engine.triggered(f, as_of=AS_OF, matter=None)

    def evaluate() -> None:
        for d in dossiers:
            engine.evaluate(d, as_of=AS_OF)

    def screen() -> None:
        for d in dossiers:
            engine.screen(d, as_of=AS_OF)

    profiler = cProfile.Profile()
    profiler.runcall(evaluate if args.evaluate else screen if args.screen else match)
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
