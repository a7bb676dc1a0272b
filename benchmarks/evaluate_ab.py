"""``Engine.evaluate`` (or ``screen``) of two source trees side by side: CPU time and answers.

Run: ``.venv/bin/python benchmarks/evaluate_ab.py OLD_SRC [NEW_SRC] [--rounds 5]
[--call evaluate|screen]``, e.g. with
the previous commit's ``src`` exported by ``git archive HEAD~1 src | tar -x -C /tmp/old``.
Each round runs one child process per tree, alternately (interleaved, so both see the same
load), on the headline workload of ``run.py`` (seeded population, synthetic catalog). A child
times the call over every subject three times (process CPU time, best pass) and prints µs per
subject and a digest of every decision's ``decision_data`` (masked and unmasked) and
``reasons()`` (of every screening's answer); the digests of the two trees must be equal.
Output: best and median of the rounds per tree, on stdout. Exit status 1 when the answers
differ.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import hashlib, json, sys, time
sys.path.insert(0, {root!r})
from benchmarks.generate import AS_OF, generate, synthetic_catalog
from credit_rules import decision_data
from credit_rules.catalog import load_catalog_text
from credit_rules.engine import compile_catalog
engine = compile_catalog(load_catalog_text(synthetic_catalog({measures}, seed={seed})))
dossiers = generate({subjects}, seed={seed}, records=({lo}, {hi}))
call = getattr(engine, {call!r})
best = None
for _ in range(3):
    started = time.process_time()
    for d in dossiers:
        call(d, as_of=AS_OF)
    spent = time.process_time() - started
    best = spent if best is None else min(best, spent)
digest = hashlib.sha256()
for d in dossiers:
    found = call(d, as_of=AS_OF)
    if {call!r} == "screen":
        digest.update(json.dumps(sorted(found)).encode())
        continue
    for data in (decision_data(found), decision_data(found, unmasked=True)):
        digest.update(json.dumps(data, ensure_ascii=False, sort_keys=True).encode())
    digest.update(json.dumps(found.reasons(), sort_keys=True).encode())
print(json.dumps({{"us": best / len(dossiers) * 1e6, "digest": digest.hexdigest()}}))
"""


def child(src: Path, args: argparse.Namespace) -> dict[str, object]:
    """One timing of the call with ``src`` first on the path."""
    code = CHILD.format(
        root=str(ROOT),
        measures=args.measures,
        seed=args.seed,
        subjects=args.subjects,
        lo=args.records[0],
        hi=args.records[1],
        call=args.call,
    )
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, object] = json.loads(out)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="the src directory to compare against")
    parser.add_argument("new", type=Path, nargs="?", default=ROOT / "src")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--measures", type=int, default=150)
    parser.add_argument("--subjects", type=int, default=500)
    parser.add_argument("--records", type=int, nargs=2, default=(0, 50))
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--call", choices=("evaluate", "screen"), default="evaluate")
    args = parser.parse_args(argv)
    times: dict[str, list[float]] = {"old": [], "new": []}
    digests: dict[str, set[object]] = {"old": set(), "new": set()}
    for _ in range(args.rounds):
        for name in ("old", "new"):
            result = child(args.old if name == "old" else args.new, args)
            us = result["us"]
            assert isinstance(us, float)
            times[name].append(us)
            digests[name].add(result["digest"])
    for name in ("old", "new"):
        print(
            f"{name}: best {min(times[name]):6.1f} µs/subject, median "
            f"{statistics.median(times[name]):6.1f} (rounds: "
            + ", ".join(f"{t:.1f}" for t in times[name])
            + ")"
        )
    print(f"new/old (best): {min(times['new']) / min(times['old']):.3f}")
    same = digests["old"] == digests["new"] and len(digests["old"]) == 1
    print("answers: identical" if same else "answers: DIFFER")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
