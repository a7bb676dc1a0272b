"""The main job on bundled data: evaluate the example subjects against the shipped catalogs.

Run with ``make demo``. Every dossier in ``examples/dossiers/`` is evaluated against the
national measures and one supplementary (local) catalog, as of a fixed date so the output is
reproducible, and its decision is printed in Chinese; one explanation shows why a measure
applied and another why an incentive did not.
"""

from __future__ import annotations

import datetime
import pathlib
import sys

import credit_rules

ROOT = pathlib.Path(__file__).resolve().parent.parent
AS_OF = datetime.date(2024, 6, 1)
CATALOGS = (ROOT / "measures" / "national", ROOT / "measures" / "seeds" / "hezhou-city.yaml")


def main() -> int:
    """Evaluate and print; exit non-zero only if the bundled data itself is broken."""
    try:
        catalog = credit_rules.load_catalog(*CATALOGS)
        engine = credit_rules.compile(catalog)
    except credit_rules.CreditRulesError as exc:
        sys.stderr.write(exc.render() + "\n")
        return 1
    layers = ", ".join(f"{info.id} ({info.issuer})" for info in catalog.layers)
    print(f"# 措施清单 {layers}")
    print(f"# {len(catalog.measures)} 项措施, 指纹 {catalog.fingerprint}")
    print(f"# 评估日期 {AS_OF.isoformat()}\n")
    files = sorted((ROOT / "examples" / "dossiers").glob("*.yaml"))
    explained = False
    for path in files:
        for dossier in credit_rules.load_dossiers(path):
            print(f"## {path.relative_to(ROOT)}")
            decision = engine.evaluate(dossier, as_of=AS_OF)
            print(credit_rules.render_decision(decision, lang="zh"))
            if not explained and decision.applied():
                first = decision.applied()[0].measure.id
                explanation = credit_rules.explain(
                    engine, dossier, as_of=AS_OF, measure_ids=[first]
                )
                print(credit_rules.render_explanation(explanation, lang="zh"))
                explained = True
    print(f"# {len(files)} example file(s) evaluated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
