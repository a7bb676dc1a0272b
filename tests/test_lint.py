"""Catalog lint (issue 5): every CR-L1xx code on a fixture that triggers it and one that does not,
acknowledgements, ``compile_catalog`` and ``credit-rules lint``, the shipped catalogs, and
``docs/checks.md`` naming every code of the project."""

from __future__ import annotations

import json
import pathlib
import re
from collections import Counter

import pytest

from credit_rules.catalog import load_catalog
from credit_rules.cli import main
from credit_rules.engine import compile_catalog, compile_measures
from credit_rules.errors import Diagnostic, LintError
from credit_rules.lint import CODES, RULES, lint

ROOT = pathlib.Path(__file__).resolve().parents[1]
FIXTURES = "tests/fixtures/lint"
SHIPPED = ("measures/national", "measures/seeds")

Row = tuple[str, str, int, int, str]


def findings(*paths: str) -> tuple[Diagnostic, ...]:
    catalog = load_catalog(*(str(ROOT / p) for p in paths))
    measures = compile_measures(catalog)
    return lint(catalog, {item.measure.id: item.checked for item in measures})


def rows(diagnostics: tuple[Diagnostic, ...]) -> list[Row]:
    """(code, severity, line, column, message) of each finding, in order."""
    result = []
    for d in diagnostics:
        assert d.span is not None
        result.append((d.code, d.severity.value, d.span.line, d.span.column, d.message))
    return result


def test_every_rule_has_a_documented_code() -> None:
    assert [rule.__name__ for rule in RULES] == [
        "legality",
        "listing_domains",
        "proportion",
        "relevance",
        "advisory_bodies",
        "bounded_duration",
        "supplementary_overlap",
        "never_holds",
        "conflicts",
    ]
    assert sorted(CODES) == [f"CR-L1{n:02d}" for n in range(1, 10)]


# -- each code: a fixture that triggers it, with exact findings --------------------------------

RANKS = "`law`, `administrative_regulation`, `central_policy`, `judicial_interpretation`"
PERMITTED = (
    "`endanger_health_life`, `disrupt_market_order`, `refuse_legal_obligation`, "
    "`refuse_national_defence`"
)
PROPORTION = (
    "needs conduct of gravity `{0}` or more (policy.proportion), but the condition can hold"
)

TRIGGERS: dict[str, list[Row]] = {
    "L101-legality.yaml": [
        (
            "CR-L101",
            "error",
            38,
            5,
            "restriction with impact `market_ban` rests only on `normative_document`; "
            f"it needs a basis of rank {RANKS}",
        ),
        (
            "CR-L101",
            "error",
            48,
            5,
            "restriction with impact `restrict_benefits` rests only on `normative_document`, "
            f"`departmental_rule`; it needs a basis of rank {RANKS}",
        ),
    ],
    "L102-listing-categories.yaml": [
        (
            "CR-L102",
            "error",
            10,
            5,
            "serious-dishonesty list `serious_dishonesty` declares no category; "
            f"it may only cover {PERMITTED}",
        ),
        (
            "CR-L102",
            "error",
            11,
            5,
            f"serious-dishonesty list `tax_blacklist` covers `tax_evasion`; it may only cover "
            f"{PERMITTED}",
        ),
    ],
    "L103-proportion.yaml": [
        (
            "CR-L103",
            "error",
            35,
            12,
            "impact `market_ban` "
            + PROPORTION.format("severe")
            + " with conduct of gravity `serious`",
        ),
        (
            "CR-L103",
            "error",
            45,
            12,
            "impact `restrict_rights` "
            + PROPORTION.format("serious")
            + " with conduct of gravity `general`",
        ),
        (
            "CR-L103",
            "error",
            55,
            12,
            "impact `supervision` " + PROPORTION.format("general") + " with no graded conduct",
        ),
        (
            "CR-L103",
            "error",
            65,
            12,
            "impact `restrict_rights` "
            + PROPORTION.format("serious")
            + " with no graded conduct of domain `food_drug`",
        ),
        (
            "CR-L103",
            "error",
            76,
            12,
            "impact `restrict_rights` " + PROPORTION.format("serious") + " with no graded conduct",
        ),
    ],
    "L104-relevance.yaml": [
        (
            "CR-L104",
            "error",
            line,
            12,
            "measure limited to domain `food_drug` can hold without a triggering record of "
            "those domains",
        )
        for line in (35, 46)
    ],
    "L105-advisory-bodies.yaml": [
        (
            "CR-L105",
            "error",
            33,
            5,
            "mandatory measure carried out by bodies outside public administration: "
            "`某商业银行`, `某行业协会`",
        )
    ],
    "L106-bounded-duration.yaml": [
        (
            "CR-L106",
            "error",
            36,
            5,
            "permanent restriction without a basis that allows a permanent measure",
        )
    ],
    "L107-supplementary": [
        (
            "CR-L107",
            "error",
            10,
            5,
            "redefines basic measure `procurement-ban` (procurement-ban 措施)",
        ),
        (
            "CR-L107",
            "warning",
            25,
            5,
            "duplicates basic measure `flight-ban`: same condition, kind and impact",
        ),
    ],
    "L108-never-holds.yaml": [
        (
            "CR-L108",
            "warning",
            35,
            29,
            "condition can never hold: `severity >= severe` and `severity < serious` cannot "
            "both hold",
        ),
        (
            "CR-L108",
            "warning",
            45,
            29,
            'condition can never hold: `domain == "food_drug"` and `domain == "tax"` cannot '
            "both hold",
        ),
        (
            "CR-L108",
            "warning",
            55,
            12,
            "condition can never hold: `count(record where dishonest) < 0` cannot hold",
        ),
        (
            "CR-L108",
            "warning",
            65,
            12,
            'condition can never hold: `listed("red_list")` and `not listed("red_list")` '
            "cannot both hold",
        ),
        (
            "CR-L108",
            "warning",
            75,
            12,
            "condition can never hold: `no record where dishonest` and `any record where "
            "dishonest and severity >= serious` cannot both hold",
        ),
        (
            "CR-L108",
            "warning",
            85,
            62,
            "`any record where dishonest and not dishonest` can never hold: `dishonest` and "
            "`not dishonest` cannot both hold",
        ),
    ],
    "L109-incentive-restriction.yaml": [
        (
            "CR-L109",
            "warning",
            35,
            12,
            "incentive `procurement-bonus` and restrictions `procurement-ban` (in "
            "`government_procurement`), `procurement-supervision` (in `government_procurement`) "
            "act in the same matter on the same targets, and can apply to one subject together",
        )
    ],
}


@pytest.mark.parametrize("fixture", sorted(TRIGGERS))
def test_a_fixture_triggers_its_code_with_exact_findings(fixture: str) -> None:
    assert rows(findings(f"{FIXTURES}/{fixture}")) == TRIGGERS[fixture]


CLEAN = [
    "L101-legality-clean.yaml",
    "L102-listing-categories-clean.yaml",
    "L103-proportion-clean.yaml",
    "L104-relevance-clean.yaml",
    "L105-advisory-bodies-clean.yaml",
    "L106-bounded-duration-clean.yaml",
    "L107-supplementary-clean",
    "L108-never-holds-clean.yaml",
    "L109-incentive-restriction-clean.yaml",
]


@pytest.mark.parametrize("fixture", CLEAN)
def test_a_fixture_that_keeps_the_rule_has_no_finding(fixture: str) -> None:
    assert findings(f"{FIXTURES}/{fixture}") == ()


def test_every_code_has_a_triggering_and_a_clean_fixture() -> None:
    triggered = {code for rows_ in TRIGGERS.values() for code, *_ in rows_}
    assert triggered == set(CODES)
    assert [name[:4] for name in CLEAN] == [f"L1{n:02d}" for n in range(1, 10)]


def test_findings_carry_the_measure_the_catalog_path_and_help() -> None:
    (first, _) = findings(f"{FIXTURES}/L101-legality.yaml")
    assert (first.measure_id, first.catalog_path) == ("ban-normative", "measures[0].legal_basis")
    assert first.help == (
        "a normative document alone cannot reduce rights or add obligations "
        "(国办发〔2020〕49号); cite the law, regulation or central policy it rests on"
    )
    (listed, _) = findings(f"{FIXTURES}/L102-listing-categories.yaml")
    assert (listed.measure_id, listed.catalog_path) == (None, "vocabulary.lists.serious_dishonesty")
    proportion = findings(f"{FIXTURES}/L103-proportion.yaml")[0]
    assert (proportion.catalog_path, proportion.span and proportion.span.end_column) == (
        "measures[0].when",
        62,
    )
    never = findings(f"{FIXTURES}/L108-never-holds.yaml")[0]
    assert never.help == "the measure can never apply; check the comparisons"
    conflict = findings(f"{FIXTURES}/L109-incentive-restriction.yaml")[0]
    assert conflict.help is not None
    assert conflict.help.startswith(
        "the engine withholds the incentive while a restriction applies"
    )


def test_acknowledged_findings_become_info_with_their_reason() -> None:
    assert rows(findings(f"{FIXTURES}/acknowledged.yaml")) == [
        (
            "CR-L101",
            "info",
            38,
            5,
            "restriction with impact `market_ban` rests only on `normative_document`; it needs "
            f"a basis of rank {RANKS} (acknowledged: the city plan is the only basis; kept for "
            "review)",
        ),
        (
            "CR-L108",
            "info",
            47,
            29,
            "condition can never hold: `severity >= severe` and `severity < serious` cannot "
            "both hold (acknowledged: kept disabled on purpose)",
        ),
        (
            "CR-L103",
            "error",
            60,
            12,
            "impact `supervision` " + PROPORTION.format("general") + " with no graded conduct",
        ),
    ]


# -- compile_catalog ------------------------------------------------------------------------------


def test_compile_catalog_raises_every_unacknowledged_lint_error_at_once() -> None:
    catalog = load_catalog(str(ROOT / FIXTURES / "L103-proportion.yaml"))
    with pytest.raises(LintError) as raised:
        compile_catalog(catalog)
    assert [(d.code, d.measure_id) for d in raised.value.diagnostics] == [
        ("CR-L103", "ban-on-serious"),
        ("CR-L103", "restrict-on-key-attention"),
        ("CR-L103", "supervise-on-rating"),
        ("CR-L103", "restrict-on-food"),
        ("CR-L103", "restrict-unless"),
    ]


def test_compile_catalog_keeps_warnings_and_acknowledged_findings_on_the_engine() -> None:
    engine = compile_catalog(load_catalog(str(ROOT / FIXTURES / "L108-never-holds.yaml")))
    assert [(d.code, d.severity.value) for d in engine.findings] == [("CR-L108", "warning")] * 6
    runtime = compile_catalog(load_catalog(str(ROOT / FIXTURES / "runtime.yaml")))
    assert [(d.code, d.severity.value, d.measure_id) for d in runtime.findings] == [
        ("CR-L103", "info", "restrict-financing"),
        ("CR-L104", "info", "food-licence-review"),
    ]


def test_compile_catalog_not_strict_keeps_lint_errors_too() -> None:
    engine = compile_catalog(
        load_catalog(str(ROOT / FIXTURES / "L106-bounded-duration.yaml")), strict=False
    )
    assert [(d.code, d.severity.value) for d in engine.findings] == [("CR-L106", "error")]


# -- the shipped catalogs --------------------------------------------------------------------------


def test_the_shipped_catalogs_have_no_unacknowledged_error() -> None:
    found = findings(*SHIPPED)
    counts = Counter((d.code, d.severity.value) for d in found)
    assert counts == {
        ("CR-L101", "info"): 27,
        ("CR-L103", "info"): 22,
        ("CR-L104", "info"): 1,
        ("CR-L106", "info"): 1,
        ("CR-L107", "warning"): 25,
        ("CR-L109", "warning"): 34,
    }
    hezhou = {d.measure_id for d in found if d.code == "CR-L101"}
    assert all(m is not None and m.startswith("hz-") for m in hezhou)
    assert len(hezhou) == 27


def test_the_serious_dishonesty_list_declares_the_four_permitted_categories() -> None:
    catalog = load_catalog(str(ROOT / "measures/national"))
    listed = catalog.vocabulary.lists["serious_dishonesty"]
    assert (
        listed.covers
        == catalog.policy.listing_categories
        == (
            "endanger_health_life",
            "disrupt_market_order",
            "refuse_legal_obligation",
            "refuse_national_defence",
        )
    )


# -- credit-rules lint ---------------------------------------------------------------------------


def test_the_lint_command_prints_each_finding_with_its_line_and_help_and_exits_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code = main(["lint", f"{FIXTURES}/L106-bounded-duration.yaml"])
    out = capsys.readouterr().out
    assert code == 1
    assert out == (
        f"{FIXTURES}/L106-bounded-duration.yaml:36:5: CR-L106 (error): permanent restriction "
        "without a basis that allows a permanent measure\n"
        "        duration: permanent\n"
        "        ^~~~~~~~\n"
        "  help: give a period (e.g. `P3Y`), or mark the basis `allows_permanent: true`\n"
        "1 error, 0 warnings, 0 acknowledged\n"
    )


def test_the_lint_command_shows_acknowledged_findings_as_info_and_exits_0(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code = main(["lint", f"{FIXTURES}/runtime.yaml"])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        f"{FIXTURES}/runtime.yaml:84:12: CR-L103 (info): impact `restrict_benefits` "
        + PROPORTION.format("serious")
        + " with conduct of gravity `general` (acknowledged: the plan restricts every dishonest "
        "enterprise; CR-C001 sets it aside for lesser conduct)"
    )
    assert lines[-1] == "0 errors, 0 warnings, 2 acknowledged"


def test_the_lint_command_writes_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code = main(["lint", f"{FIXTURES}/L104-relevance.yaml", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert (data["errors"], data["warnings"], data["acknowledged"]) == (2, 0, 0)
    assert data["findings"][0] == {
        "code": "CR-L104",
        "severity": "error",
        "message": "measure limited to domain `food_drug` can hold without a triggering record "
        "of those domains",
        "help": "test the domain in every way the condition can hold, such as `any record where "
        'dishonest and domain in {"food_drug"}`',
        "file": f"{FIXTURES}/L104-relevance.yaml",
        "line": 35,
        "column": 12,
        "end_line": 35,
        "end_column": 40,
        "catalog_path": "measures[0].when",
        "measure": "restrict-food-listed",
    }


def test_the_lint_command_reports_an_unreadable_catalog_as_findings(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code = main(["lint", "tests/fixtures/catalogs/invalid/E113-date.yaml"])
    out = capsys.readouterr().out
    assert code == 1
    assert re.match(
        r"^tests/fixtures/catalogs/invalid/E113-date\.yaml:\d+:\d+: CR-E113 \(error\)", out
    )
    assert out.endswith("1 error, 0 warnings, 0 acknowledged\n")


def test_the_lint_command_passes_the_shipped_catalogs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["lint", "measures/"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "0 errors, 59 warnings, 51 acknowledged"


# -- docs/checks.md ----------------------------------------------------------------------------


def test_docs_checks_lists_every_code_the_project_uses() -> None:
    used = set()
    for path in (ROOT / "src" / "credit_rules").rglob("*.py"):
        used |= set(re.findall(r'"(CR-[ELC]\d{3})"', path.read_text(encoding="utf-8")))
    documented = set(re.findall(r"`(CR-[ELC]\d{3})`", (ROOT / "docs" / "checks.md").read_text()))
    assert used - documented == set()
    assert {"CR-C001", "CR-C002", "CR-C003", "CR-C004", *CODES} <= documented
