"""The shipped case tests (measures/cases/) pass and exercise every measure and every branch of
every shipped catalog; the bundled examples are valid, consistent and tested."""

from __future__ import annotations

import io
import json
import pathlib
from collections import defaultdict

import pytest
import yaml

from credit_rules.cases import RunReport, read_case_file, run_cases
from credit_rules.catalog import load_catalog
from credit_rules.commands.cases import write_report
from credit_rules.records import dossier_to_data, load_dossiers

ROOT = pathlib.Path(__file__).resolve().parents[1]
CASES = ROOT / "measures" / "cases"
EXAMPLES = ROOT / "examples" / "dossiers"


@pytest.fixture(scope="module")
def report() -> RunReport:
    return run_cases([CASES])


def test_every_shipped_case_passes(report: RunReport) -> None:
    out = io.StringIO()
    write_report(report, out)
    assert report.passed, out.getvalue()


def test_every_measure_and_branch_is_covered(report: RunReport) -> None:
    """Issue 7 acceptance: every measure in measures/ exercised (and every branch reached)."""
    catalogs = load_catalog(ROOT / "measures" / "national", ROOT / "measures" / "seeds")
    shipped = {m.id for m in catalogs.measures}
    covered = {m.measure.id for m in report.coverage.measures}
    assert covered == shipped
    assert len(shipped) == 160
    assert [m.measure.id for m in report.coverage.unexercised] == []
    assert report.coverage.missing_branches() == ()
    assert report.coverage.branches_reached == report.coverage.branch_count == 594


MATCHER_SCENARIOS = {
    # issue 4's acceptance scenarios, each a case of the national catalog
    "national.yaml": [
        "judgment-defaulter enterprise and its legal representative",
        "the legal representative booking a flight",
        "A-rated taxpayer with three clean years",
        "food producer with two serious penalties in two years",
        "the same food producer after repair",
        "general penalty under objection",
        "revoked bid-collusion penalty",
        "on both a red list and a black list",
        "a person under a consumption-restriction order",
    ],
}


def test_matcher_scenarios_are_cases(report: RunReport) -> None:
    passed = {(pathlib.Path(r.file).name, r.case.name) for r in report.results if r.passed}
    for file, names in MATCHER_SCENARIOS.items():
        for name in names:
            assert (file, name) in passed


def test_case_files_cover_every_catalog() -> None:
    """One case file per shipped catalog file, the seeds layered over the national one."""
    names = sorted(p.name for p in CASES.glob("*.yaml"))
    assert names == [
        "changzi-county.yaml",
        "fujian-province.yaml",
        "gansu-province.yaml",
        "hezhou-city.yaml",
        "national.yaml",
        "tianjin-hebei-district.yaml",
    ]
    for path in CASES.glob("*.yaml"):
        catalog = [pathlib.Path(p).resolve() for p in read_case_file(path).catalog_paths]
        assert catalog[0] == ROOT / "measures" / "national" / "catalog.yaml"
        if path.name != "national.yaml":
            assert catalog[1:] == [ROOT / "measures" / "seeds" / path.name]


def test_examples_are_tested_by_shipped_cases() -> None:
    used = {
        pathlib.Path(path.parent, case_dossier).resolve()
        for path in CASES.glob("*.yaml")
        for case_dossier in _dossier_files(path)
    }
    assert used == {p.resolve() for p in EXAMPLES.glob("*.yaml")}
    assert len(used) == 5


def _dossier_files(path: pathlib.Path) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [case["dossier"] for case in data["cases"] if "dossier" in case]


def test_population_file_holds_the_examples() -> None:
    """examples/population.jsonl is the five example dossiers, in file-name order."""
    expected = [
        dossier_to_data(d) for p in sorted(EXAMPLES.glob("*.yaml")) for d in load_dossiers(p)
    ]
    lines = (ROOT / "examples" / "population.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == expected
    assert [dossier_to_data(d) for d in load_dossiers(ROOT / "examples" / "population.jsonl")] == (
        expected
    )


def test_identifiers_name_one_subject_each() -> None:
    """Across shipped cases and examples a made-up identifier always belongs to one name."""
    names: dict[str, set[str]] = defaultdict(set)
    for path in [*CASES.glob("*.yaml"), *EXAMPLES.glob("*.yaml")]:
        for subject in _subjects(yaml.load(path.read_text(encoding="utf-8"), Loader=_Plain)):
            for key in ("uscc", "resident_id"):
                if key in subject:
                    names[subject[key]].add(subject.get("name", ""))
    shared = {number: sorted(found) for number, found in names.items() if len(found) > 1}
    assert shared == {}
    assert len(names) > 60


class _Plain(yaml.SafeLoader):
    """Dates stay text (as the library's own loader keeps them)."""


_Plain.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _subjects(data: object) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    if isinstance(data, dict):
        subject = data.get("subject")
        if isinstance(subject, dict):
            found.append(subject)
        for value in data.values():
            found.extend(_subjects(value))
    elif isinstance(data, list):
        for item in data:
            found.extend(_subjects(item))
    return found
