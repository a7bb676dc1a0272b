"""YAML case tests: the format, exact failures and report, coverage, errors per code, the CLI."""

from __future__ import annotations

import datetime
import json
import os
import pathlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit_rules import cli
from credit_rules.cases import (
    UNSET,
    Case,
    CaseRunner,
    CasesError,
    ExpectedOutcome,
    ExpectedSetAside,
    ExpectedTarget,
    FailureKind,
    compare,
    read_case_file,
    read_case_text,
    run_cases,
)
from credit_rules.catalog import load_catalog
from credit_rules.commands.cases import report_data, write_report
from credit_rules.decision import Decision
from credit_rules.engine import Engine, compile_catalog
from credit_rules.model import Dossier
from credit_rules.schema import load_schema
from strategies import dossiers

ROOT = pathlib.Path(__file__).resolve().parents[1]
FIXTURES = pathlib.Path("tests/fixtures/cases")


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths in reports are relative to the repository root, as `make test` runs them."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return compile_catalog(load_catalog(ROOT / "tests/fixtures/cases/catalog.yaml"))


# -- passing cases and coverage -----------------------------------------------------------------


def test_pass_file_passes_with_exact_coverage() -> None:
    report = run_cases([FIXTURES / "pass.yaml"])
    assert [(r.case.name, r.passed) for r in report.results] == [
        ("defaulter company with a serious penalty", True),
        ("general food penalty in a procurement", True),
        ("red-listed person at the licensing window", True),
        ("revoked penalty", True),
        ("invalid resident identity number", True),
        ("dossier from a records file", True),
    ]
    coverage = report.coverage
    assert [m.measure.id for m in coverage.measures] == [
        "t-publish-defaulter",
        "t-restrict-flight",
        "t-publish-penalty",
        "t-procurement-ban",
        "t-green-channel",
    ]
    assert [m.measure.id for m in coverage.unexercised] == ["t-restrict-flight"]
    assert (coverage.branch_count, coverage.branches_reached) == (20, 17)
    assert [(m.measure.id, b.text, value) for m, b, value in coverage.missing_branches()] == [
        ("t-publish-defaulter", "not subject.minor", False),
        ("t-publish-defaulter", "subject.minor", True),
        ("t-restrict-flight", 'listed("consumption_restriction")', True),
    ]
    by_id = {m.measure.id: m for m in coverage.measures}
    # the error case has no decision, so five cases count; the flight ban is evaluated only in
    # the two without a matter (the others' matters are not among its `applies_in`)
    assert by_id["t-restrict-flight"].evaluated_in == 2
    assert by_id["t-green-channel"].exercised_by == (
        f"{FIXTURES / 'pass.yaml'}::red-listed person at the licensing window",
        f"{FIXTURES / 'pass.yaml'}::revoked penalty",
    )
    green = by_id["t-green-channel"].branches
    assert [(b.text, b.depth, b.true_in, b.false_in) for b in green] == [
        ('listed("red_list") or (no record where dishonest within 3y)', 0, 2, 1),
        ('listed("red_list")', 1, 1, 2),
        ("no record where dishonest within 3y", 1, 2, 1),
    ]
    assert (green[1].span.line, green[1].span.column) == (92, 11)


def test_expect_absent_counts_only_when_evaluated(engine: Engine) -> None:
    """A measure expected absent is exercised only if the case evaluated it (issue 7)."""
    text = """
catalog: [catalog.yaml]
cases:
  - name: out of the matter
    description: the flight ban is not in the procurement matter, so not evaluated
    as_of: 2025-06-30
    matter: government_procurement
    subject: {id: E1, kind: legal_person}
    expect_absent: [t-restrict-flight, t-publish-penalty]
"""
    case_file = read_case_text(text, source=str(FIXTURES / "absent.yaml"))
    report = CaseRunner().run([case_file])
    exercised = {m.measure.id for m in report.coverage.measures if m.exercised}
    assert exercised == {"t-publish-penalty"}


# -- failing cases ------------------------------------------------------------------------------


def test_fail_file_failures_exact() -> None:
    report = run_cases([FIXTURES / "fail.yaml"])
    found = {
        r.case.name: [(f.kind, f.measure_id, f.target, f.message) for f in r.failures]
        for r in report.results
    }
    assert found == {
        "wrong fields": [
            (
                FailureKind.DIFFERENT,
                "t-publish-defaulter",
                "E1",
                "t-publish-defaulter for E1: differs",
            )
        ],
        "missing outcome": [
            (
                FailureKind.MISSING,
                "t-restrict-flight",
                "P1 as principal",
                "t-restrict-flight for P1 as principal: expected applies, not in the decision "
                "(the decision has it for E1, P1 via E1 as legal_representative)",
            ),
            (
                FailureKind.MISSING,
                "t-publish-penalty",
                "E1",
                "t-publish-penalty for E1: expected applies, not in the decision",
            ),
        ],
        "unexpected and present": [
            (
                FailureKind.PRESENT,
                "t-publish-defaulter",
                "E1",
                "t-publish-defaulter for E1: expected absent, got applies",
            )
        ],
        "set-aside records": [
            (
                FailureKind.SET_ASIDE_MISSING,
                None,
                None,
                "record P1: expected set aside (repaired), but it counts",
            ),
            (
                FailureKind.SET_ASIDE_DIFFERENT,
                None,
                None,
                "record P2: set aside for another reason",
            ),
            (
                FailureKind.SET_ASIDE_UNEXPECTED,
                None,
                None,
                "record P3: set aside (expired: no longer in force from 2021-05-01), not expected",
            ),
        ],
        "no error": [
            (
                FailureKind.NO_ERROR,
                None,
                None,
                "expected error CR-E201, but the evaluation succeeded",
            )
        ],
        "other error": [
            (
                FailureKind.OTHER_ERROR,
                None,
                None,
                "expected error CR-E201: some other message, got CR-E201",
            )
        ],
        "malformed dossier": [
            (FailureKind.ERROR, None, None, "expected a decision, got error CR-E110")
        ],
        "unknown matter": [
            (FailureKind.ERROR, None, None, "expected a decision, got error CR-E401")
        ],
    }
    wrong = report.results[0].failures[0]
    assert [(d.field, d.expected, d.actual) for d in wrong.differences] == [
        ("status", "suspended", "applies"),
        ("start", "2024-03-02", "2024-03-01"),
        ("end", "2026-03-01", "none"),
        ("witnesses", "[L1, L2]", "[L1]"),
        ("pending", "[L1]", "[]"),
    ]
    assert wrong.span is not None
    assert (wrong.span.line, wrong.span.column) == (11, 9)


def test_malformed_dossier_is_positioned_in_the_case_file() -> None:
    case_file = read_case_file(FIXTURES / "fail.yaml")
    case = case_file.cases[6]
    assert case.dossier is None
    assert [
        (d.code, d.message, d.span.line if d.span else 0, d.span.column if d.span else 0)
        for d in case.dossier_problems
    ] == [("CR-E110", "unknown field `colour` in `records[0]`", 70, 98)]
    assert case.dossier_problems[0].catalog_path == "cases[6].records[0].colour"


def test_fail_report_golden(update_golden: bool) -> None:
    """The text report of failing cases, reviewed: readable differences per measure and field."""
    import io

    out = io.StringIO()
    write_report(run_cases([FIXTURES / "fail.yaml"]), out)
    golden = ROOT / FIXTURES / "fail.expected.txt"
    if update_golden:
        golden.write_text(out.getvalue(), encoding="utf-8")
    assert out.getvalue() == golden.read_text(encoding="utf-8")


def test_report_data_of_a_failure() -> None:
    data = report_data(run_cases([FIXTURES / "fail.yaml"]))
    assert data["summary"] == {"cases": 8, "passed": 0, "failed": 8}
    assert data["cases"][0] == {
        "file": "tests/fixtures/cases/fail.yaml",
        "name": "wrong fields",
        "passed": False,
        "failures": [
            {
                "kind": "different",
                "message": "t-publish-defaulter for E1: differs",
                "measure": "t-publish-defaulter",
                "target": "E1",
                "at": "tests/fixtures/cases/fail.yaml:11:9",
                "differences": [
                    {"field": "status", "expected": "suspended", "actual": "applies"},
                    {"field": "start", "expected": "2024-03-02", "actual": "2024-03-01"},
                    {"field": "end", "expected": "2026-03-01", "actual": "none"},
                    {"field": "witnesses", "expected": "[L1, L2]", "actual": "[L1]"},
                    {"field": "pending", "expected": "[L1]", "actual": "[]"},
                ],
            }
        ],
    }
    assert data["coverage"]["unexercised"] == [
        {"measure": "t-procurement-ban", "file": "tests/fixtures/cases/catalog.yaml"}
    ]


# -- errors in case files, one file per code --------------------------------------------------

BAD = {
    "CR-E110-unknown-field.yaml": [
        ("CR-E110", "unknown field `witness` in `cases[0].expect[0]`", 8, 55),
    ],
    "CR-E112-bad-status.yaml": [
        (
            "CR-E112",
            "`cases[0].expect[0].status`: `apply` is not one of `applies`, `advisory`, "
            "`suspended`, `withheld`, `set_aside`, `ended` (did you mean `applies`?)",
            8,
            46,
        ),
    ],
    "CR-E113-bad-date.yaml": [
        ("CR-E113", "`cases[0].as_of`: `2025-02-30` is not a real date", 5, 12)
    ],
    "CR-E601-duplicate-name.yaml": [
        ("CR-E601", "duplicate case name `same` (first at line 3)", 7, 11),
    ],
    "CR-E603-missing-catalog.yaml": [
        (
            "CR-E603",
            "no catalog file or directory `../no-such-catalog.yaml` "
            "(looked for `tests/fixtures/cases/no-such-catalog.yaml`)",
            1,
            28,
        ),
    ],
    "CR-E604-dossier-twice.yaml": [
        ("CR-E604", "case `both` gives both `dossier` and `subject`", 7, 5),
        ("CR-E604", "case `neither` gives no dossier", 8, 5),
    ],
    "CR-E605-error-and-outcomes.yaml": [
        ("CR-E605", "case `both` expects an error and also `expect_absent`", 7, 5),
    ],
    "CR-E606-expected-and-absent.yaml": [
        ("CR-E606", "measure `t-publish-penalty` is both expected and expected absent", 9, 38),
    ],
    "CR-E607-dossier-file.yaml": [
        (
            "CR-E607",
            "no records file `no-such-dossier.yaml` "
            "(looked for `tests/fixtures/cases/bad/no-such-dossier.yaml`)",
            6,
            14,
        ),
        (
            "CR-E607",
            "records file `two-dossiers.yaml` holds 2 dossiers; a case needs exactly one",
            10,
            14,
        ),
    ],
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_case_file(name: str) -> None:
    path = FIXTURES / "bad" / name
    with pytest.raises(CasesError) as caught:
        read_case_file(path)
    found = [
        (d.code, d.message, d.span.line if d.span else 0, d.span.column if d.span else 0)
        for d in caught.value.diagnostics
    ]
    assert found == BAD[name]
    assert all(d.span is not None and d.span.source == str(path) for d in caught.value.diagnostics)


def test_unknown_measure_ids_with_suggestion() -> None:
    case_file = read_case_file(FIXTURES / "bad" / "CR-E602-unknown-measure.yaml")
    with pytest.raises(CasesError) as caught:
        CaseRunner().check([case_file])
    found = [
        (d.code, d.message, d.help, d.span.line if d.span else 0, d.span.column if d.span else 0)
        for d in caught.value.diagnostics
    ]
    assert found == [
        (
            "CR-E602",
            "unknown measure `t-publish-defaulters` in the catalog of this file",
            "did you mean `t-publish-defaulter`?",
            8,
            19,
        ),
        (
            "CR-E602",
            "unknown measure `t-no-such-measure` in the catalog of this file",
            None,
            9,
            21,
        ),
    ]


def test_every_problem_of_every_file_at_once() -> None:
    with pytest.raises(CasesError) as caught:
        run_cases(
            [
                FIXTURES / "bad" / "CR-E601-duplicate-name.yaml",
                FIXTURES / "bad" / "CR-E605-error-and-outcomes.yaml",
            ]
        )
    assert [d.code for d in caught.value.diagnostics] == ["CR-E601", "CR-E605"]


def test_empty_file_and_no_files() -> None:
    with pytest.raises(CasesError) as caught:
        read_case_text("", source="empty.yaml")
    assert [(d.code, d.message) for d in caught.value.diagnostics] == [
        ("CR-E111", "missing required field `catalog`")
    ]
    with pytest.raises(CasesError) as caught:
        run_cases([])
    assert [(d.code, d.message) for d in caught.value.diagnostics] == [
        ("CR-E100", "no case file (`.yaml` or `.yml`) found")
    ]


def test_cases_schema_is_valid_and_rejects_unknown_fields() -> None:
    import jsonschema

    schema = load_schema("cases")
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    for name in ("case", "outcome", "set_aside", "error"):
        assert schema["$defs"][name]["additionalProperties"] is False


# -- the comparison, as a property ----------------------------------------------------------------


def _exact_case(decision: Decision) -> Case:
    """A case expecting exactly the given decision, every field given."""
    expect = tuple(
        ExpectedOutcome(
            measure_id=o.measure.id,
            status=o.status,
            target=ExpectedTarget(o.target.subject_id, via=o.target.via_id, role=o.target.role),
            start=o.start,
            end=o.end,
            witnesses=tuple(sorted(r.id for r in o.witnesses)),
            pending=tuple(sorted(r.id for r in o.pending)),
            withheld_by=tuple(sorted(o.withheld_by)),
            failed_checks=tuple(sorted(c.code for c in o.checks if not c.passed)),
        )
        for o in decision.outcomes
    )
    aside = tuple(ExpectedSetAside(s.record.id, s.reason) for s in decision.set_aside)
    return Case(
        name="generated",
        description="generated",
        as_of=decision.as_of,
        matter=None,
        dossier=None,
        exact=True,
        expect=expect,
        expect_set_aside=aside,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dossier=dossiers(), as_of=st.dates(datetime.date(2020, 1, 1), datetime.date(2030, 12, 31)))
def test_a_decision_satisfies_its_own_exact_case(
    engine: Engine, dossier: Dossier, as_of: datetime.date
) -> None:
    """Expectations written from a decision pass; dropping one is exactly one failure."""
    decision = engine.evaluate(dossier, as_of=as_of)
    case = _exact_case(decision)
    assert compare(case, decision) == ()
    if case.expect:
        dropped = Case(**{**_fields(case), "expect": case.expect[1:]})
        failures = compare(dropped, decision)
        assert [f.kind for f in failures] == [FailureKind.UNEXPECTED]
        assert failures[0].measure_id == case.expect[0].measure_id


def _fields(case: Case) -> dict[str, object]:
    import attrs

    return attrs.asdict(case, recurse=False)


def test_unset_fields_are_not_compared(engine: Engine) -> None:
    from credit_rules.records import dossier_from_data

    dossier = dossier_from_data(
        {
            "subject": {"id": "E1", "kind": "legal_person"},
            "records": [
                {
                    "id": "L1",
                    "kind": "list_entry",
                    "list": "judgment_defaulter",
                    "decided_on": "2024-01-01",
                }
            ],
        }
    )
    decision = engine.evaluate(dossier, as_of=datetime.date(2025, 1, 1))
    loose = ExpectedOutcome(
        "t-publish-defaulter", decision.outcomes[0].status, ExpectedTarget("E1")
    )
    assert loose.start is UNSET
    case = Case("c", "c", datetime.date(2025, 1, 1), None, dossier, expect=(loose,))
    assert compare(case, decision) == ()


# -- the command line ---------------------------------------------------------------------------


def test_cli_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["test", str(FIXTURES / "pass.yaml")]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "6 cases: 6 passed, 0 failed"
    assert cli.main(["test", str(FIXTURES / "fail.yaml")]) == 1
    capsys.readouterr()
    assert cli.main(["test", str(FIXTURES / "bad" / "CR-E601-duplicate-name.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "tests/fixtures/cases/bad/CR-E601-duplicate-name.yaml:7:11: CR-E601: duplicate case name"
    )


def test_cli_require_coverage(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["test", "--require-coverage", "measures", str(FIXTURES / "pass.yaml")]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        "coverage required: 1 measure(s) not exercised"
    )
    assert cli.main(["test", "--require-coverage", "branches", str(FIXTURES / "pass.yaml")]) == 1
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "coverage required: 1 measure(s) not exercised",
        "coverage required: 3 branch(es) not reached",
    ]


def test_cli_json_and_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["test", "--format", "json", str(FIXTURES / "pass.yaml")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"] == {"cases": 6, "passed": 6, "failed": 0}
    assert {
        k: data["coverage"][k]
        for k in ("measures", "exercised", "branches", "branches_reached", "met")
    } == {
        "measures": 5,
        "exercised": 4,
        "branches": 20,
        "branches_reached": 17,
        "met": True,
    }
    assert data["coverage"]["missing_branches"][0] == {
        "measure": "t-publish-defaulter",
        "condition": "not subject.minor",
        "value": False,
        "at": "tests/fixtures/cases/catalog.yaml:44:44",
    }
    assert cli.main(["test", "-v", str(FIXTURES / "pass.yaml")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "PASS tests/fixtures/cases/pass.yaml:6:5: defaulter company with a serious penalty"
    )


def test_directory_is_searched(tmp_path: pathlib.Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("b.yaml", "sub/a.yml", "notes.txt"):
        (tmp_path / name).write_text("", encoding="utf-8")
    from credit_rules.cases import find_case_files

    assert find_case_files([tmp_path]) == (
        os.path.join(tmp_path, "b.yaml"),
        os.path.join(tmp_path, "sub", "a.yml"),
    )
