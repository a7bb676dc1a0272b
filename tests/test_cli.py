"""The ``credit-rules`` console script end to end: outputs, error paths and exit codes."""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = pathlib.Path(sys.executable).parent / "credit-rules"
SCENARIOS = "tests/golden/scenarios"
RESIDENT_ID = "11010519491231002X"


def run(*args: str, cwd: pathlib.Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the installed console script; a Python traceback is always a failure."""
    result = subprocess.run(
        [str(SCRIPT), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "CREDIT_RULES_DEBUG": ""},
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_the_console_script_is_installed() -> None:
    assert SCRIPT.exists()
    result = run("--version")
    assert (result.returncode, result.stdout) == (0, "credit-rules 0.1.0\n")


def test_every_subcommand_has_help_with_an_example() -> None:
    listing = run("--help").stdout
    commands = ["validate", "schema", "lint", "evaluate", "explain", "replay", "test", "diff"]
    for name in commands:
        assert name in listing
        result = run(name, "--help")
        assert result.returncode == 0
        assert "example:" in result.stdout


def test_validate_a_valid_catalog_exits_0_with_a_summary() -> None:
    result = run("validate", "measures/national")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == (
        "ok: cn-national — "
        "国家层面失信惩戒与守信激励措施（依据国务院、最高人民法院、国家发展改革委文件）"
    )


def test_validate_prints_three_mistakes_with_positions_and_exits_1() -> None:
    result = run("validate", "tests/fixtures/catalogs/invalid/three-mistakes.yaml")
    assert result.returncode == 1
    located = [line for line in result.stderr.splitlines() if ": CR-E" in line]
    assert len(located) == 3
    assert all(
        line.startswith("tests/fixtures/catalogs/invalid/three-mistakes.yaml:") for line in located
    )
    assert result.stderr.splitlines()[-1] == "3 errors"


def test_validate_reports_a_condition_error_with_a_caret(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "catalog: {id: t, title: 测试, level: basic, issuer: 测试}\n"
        "vocabulary:\n"
        "  lists: {judgment_defaulter: {title: 失信被执行人名单, kind: black, gravity: serious}}\n"
        "measures:\n"
        "  - id: m1\n    title: 测试\n    kind: restriction\n    list: mandatory\n"
        "    targets: [legal_person]\n"
        '    when: listed("judgement_defaulter")\n'
        "    duration: while_listed\n    impact: disclosure\n"
        "    legal_basis: [{title: 某法, rank: law}]\n",
        encoding="utf-8",
    )
    result = run("validate", str(bad))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"{bad}:10:18: CR-E311: unknown list `judgement_defaulter`"
    assert lines[1] == '        when: listed("judgement_defaulter")'
    # four spaces of indentation, then the caret under column 18, across `"judgement_defaulter"`
    assert lines[2] == " " * (4 + 17) + "^" + "~" * 20
    assert lines[3] == "  help: did you mean `judgment_defaulter`?"


def test_validate_a_missing_path_is_a_finding_not_a_traceback() -> None:
    result = run("validate", "no/such/catalog.yaml")
    assert result.returncode == 1
    assert "CR-E100" in result.stderr


def test_schema_prints_json_and_refuses_unknown_names() -> None:
    result = run("schema", "catalog")
    assert result.returncode == 0
    assert json.loads(result.stdout)["title"] == "credit_rules measure catalog (措施清单)"
    refused = run("schema", "nope")
    assert refused.returncode == 2
    assert "invalid choice: 'nope'" in refused.stderr


def test_evaluate_prints_decisions_in_every_format() -> None:
    common = ("--catalog", "measures/national", "--as-of", "2024-06-01")
    dossier = f"{SCENARIOS}/defaulter-enterprise.yaml"
    text = run("evaluate", *common, "--matter", "air_travel", dossier)
    assert text.returncode == 0
    assert "限制乘坐飞机、列车软卧、轮船二等以上舱位（cn-hcr-travel-class）— 适用" in text.stdout
    assert "经由：福州某建设工程有限公司 法定代表人 → 张三" in text.stdout
    english = run("evaluate", *common, "--lang", "en", dossier)
    assert "through: 福州某建设工程有限公司 legal representative → 张三" in english.stdout
    data = json.loads(run("evaluate", *common, "--format", "json", dossier).stdout)
    assert data["subject"]["id"] == "E1"
    assert {o["status"] for o in data["outcomes"]} == {"applies"}
    markdown = run("evaluate", *common, "--format", "markdown", dossier).stdout
    assert markdown.startswith("# 联合奖惩结果\n")
    for output in (text.stdout, english.stdout, markdown):
        assert RESIDENT_ID not in output


def test_evaluate_input_errors_exit_2(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "subject: {id: E1, kind: legal_person, uscc: 91350100M000100Y44}\n", encoding="utf-8"
    )
    result = run("evaluate", "--catalog", "measures/national", "--as-of", "2024-06-01", str(bad))
    assert result.returncode == 2
    assert "CR-E201" in result.stderr
    wrong_date = run(
        "evaluate", "--catalog", "measures/national", "--as-of", "2024-13-01", str(bad)
    )
    assert wrong_date.returncode == 2
    assert "`2024-13-01` is not a date written YYYY-MM-DD" in wrong_date.stderr
    no_partitions = run(
        "evaluate", "--batch", "--catalog", "measures/national", "--partitions", "0", str(bad)
    )
    assert no_partitions.returncode == 2
    assert (
        "argument --partitions: expected a whole number of at least 1, not `0`"
        in no_partitions.stderr
    )
    matter = run(
        "evaluate",
        "--catalog",
        "measures/national",
        "--matter",
        "flights",
        f"{SCENARIOS}/defaulter-enterprise.yaml",
    )
    assert matter.returncode == 2
    assert "CR-E401: unknown matter `flights`" in matter.stderr


def test_explain_why_and_why_not() -> None:
    result = run(
        "explain",
        "--catalog",
        "measures/national",
        "--as-of",
        "2024-06-01",
        "--measure",
        "cn-green-channel",
        f"{SCENARIOS}/food-producer.yaml",
    )
    assert result.returncode == 0
    assert "→ 未触发：条件不成立" in result.stdout
    assert "阻却记录：P1, P2, P3" in result.stdout
    unknown = run(
        "explain",
        "--catalog",
        "measures/national",
        "--measure",
        "cn-no-such",
        f"{SCENARIOS}/food-producer.yaml",
    )
    assert unknown.returncode == 2
    assert "CR-E402: unknown measure `cn-no-such`" in unknown.stderr


def test_explain_needs_a_subject_when_the_file_holds_several(tmp_path: pathlib.Path) -> None:
    many = tmp_path / "many.jsonl"
    lines = [
        json.dumps({"subject": {"id": f"E{i}", "kind": "legal_person", "name": f"企业{i}"}})
        for i in range(2)
    ]
    many.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("explain", "--catalog", "measures/national", str(many))
    assert result.returncode == 2
    assert f"CR-E403: `{many}` holds 2 subjects; name one with --subject" in result.stderr
    chosen = run(
        "explain",
        "--catalog",
        "measures/national",
        "--subject",
        "E1",
        "--format",
        "json",
        str(many),
    )
    assert chosen.returncode == 0
    assert json.loads(chosen.stdout)["subject"]["id"] == "E1"


def test_replay_of_a_log_written_by_evaluate(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "decisions.jsonl"
    for name in ("defaulter-enterprise", "a-rated-taxpayer", "food-producer"):
        written = run(
            "evaluate",
            "--catalog",
            "measures/national",
            "--as-of",
            "2024-06-01",
            "--log",
            str(log),
            f"{SCENARIOS}/{name}.yaml",
        )
        assert written.returncode == 0
    text = log.read_text(encoding="utf-8")
    assert len(text.splitlines()) == 3
    assert RESIDENT_ID not in text
    replayed = run("replay", str(log), "--catalog", "measures/national")
    assert (replayed.returncode, replayed.stdout) == (0, "replayed 3 decision(s): no differences\n")


def test_replay_refuses_another_catalog(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "decisions.jsonl"
    run(
        "evaluate",
        "--catalog",
        "measures/national",
        "--as-of",
        "2024-06-01",
        "--log",
        str(log),
        f"{SCENARIOS}/food-producer.yaml",
    )
    edited = tmp_path / "edited"
    edited.mkdir()
    source = (ROOT / "measures" / "national" / "catalog.yaml").read_text(encoding="utf-8")
    (edited / "catalog.yaml").write_text(
        source.replace("title: 限制旅游、度假", "title: 限制旅游、度假（修订）"), encoding="utf-8"
    )
    refused = run("replay", str(log), "--catalog", str(edited))
    assert refused.returncode == 2
    first = refused.stderr.splitlines()[0]
    assert first.startswith(f"{log}:1:1: CR-E501: the log was written with catalog `sha256:")
    assert "help: replay with the catalog version the log was written with" in refused.stderr


def test_replay_reports_a_tampered_decision(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "decisions.jsonl"
    run(
        "evaluate",
        "--catalog",
        "measures/national",
        "--as-of",
        "2024-06-01",
        "--log",
        str(log),
        f"{SCENARIOS}/food-producer.yaml",
    )
    entry = json.loads(log.read_text(encoding="utf-8"))
    entry["decision"]["outcomes"] = entry["decision"]["outcomes"][1:]
    log.write_text(json.dumps(entry, ensure_ascii=False) + "\n", encoding="utf-8")
    result = run("replay", str(log), "--catalog", "measures/national")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{log}:1: subject `F1` differs in outcomes",
        "replayed 1 decision(s): 1 differ",
    ]


@pytest.mark.parametrize("args", [(), ("evaluate",), ("frobnicate",)])
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert "usage: credit-rules" in result.stderr


@pytest.mark.parametrize("partitions", [None, "3"])
def test_evaluate_batch_agrees_with_the_per_subject_matcher(
    tmp_path: pathlib.Path, partitions: str | None
) -> None:
    """`evaluate --batch` (DuckDB) on the bundled population gives the matcher's outcomes,
    in one partition or several."""
    from credit_rules import compile as compile_catalog
    from credit_rules import load_catalog, load_dossiers
    from credit_rules.batch.arrow import write_population
    from credit_rules.batch.tables import flatten, to_dossiers

    dossiers = load_dossiers(ROOT / "examples" / "population.jsonl")
    write_population(dossiers, tmp_path)
    out = tmp_path / "out.jsonl"
    result = run(
        "evaluate",
        "--batch",
        "--catalog",
        "measures/national",
        "--as-of",
        "2024-06-01",
        "--records",
        str(tmp_path / "records.parquet"),
        "--relations",
        str(tmp_path / "relations.parquet"),
        "--output",
        str(out),
        "--format",
        "json",
        *(["--partitions", partitions] if partitions else []),
        str(tmp_path / "subjects.parquet"),
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert summary["outcomes"] == len(rows)
    batch = {(r["subject_id"], r["measure_id"], r["target_id"], r["status"]) for r in rows}
    engine = compile_catalog(load_catalog(ROOT / "measures" / "national"))
    expected = set()
    # every subject of the population, persons included, with its relations both ways
    population = list(to_dossiers(flatten(dossiers)))
    for dossier in population:
        decision = engine.evaluate(dossier, as_of=datetime.date(2024, 6, 1))
        for o in decision.outcomes:
            expected.add((dossier.subject.id, o.measure.id, o.target.subject_id, o.status.value))
    assert batch == expected
    assert summary["subjects"] == len(population)


def test_lint_the_shipped_catalogs_exits_0_and_a_bad_one_exits_1() -> None:
    shipped = run("lint", "measures/")
    assert shipped.returncode == 0
    assert shipped.stdout.splitlines()[-1].startswith("0 errors, ")
    bad = run("lint", "tests/fixtures/lint/L105-advisory-bodies.yaml")
    assert bad.returncode == 1
    assert bad.stdout.splitlines()[0] == (
        "tests/fixtures/lint/L105-advisory-bodies.yaml:33:5: CR-L105 (error): mandatory measure "
        "carried out by bodies outside public administration: `某商业银行`, `某行业协会`"
    )


def test_case_tests_pass_fail_and_refuse_bad_files() -> None:
    shipped = run("test", "measures/cases")
    assert shipped.returncode == 0
    assert shipped.stdout.splitlines()[-2:] == [
        "coverage: 160 of 160 measures exercised (100.0%), 594 of 594 branches reached (100.0%)",
        "100 cases: 100 passed, 0 failed",
    ]
    failing = run("test", "tests/fixtures/cases/fail.yaml")
    assert failing.returncode == 1
    assert failing.stdout.splitlines()[-1] == "8 cases: 0 passed, 8 failed"
    bad = run("test", "tests/fixtures/cases/bad/CR-E601-duplicate-name.yaml")
    assert bad.returncode == 2
    assert bad.stderr.splitlines()[0] == (
        "tests/fixtures/cases/bad/CR-E601-duplicate-name.yaml:7:11: CR-E601: "
        "duplicate case name `same` (first at line 3)"
    )


def test_diff_with_population_impact() -> None:
    result = run(
        "diff",
        "tests/fixtures/diff/old",
        "tests/fixtures/diff/new",
        "--population",
        "tests/fixtures/diff/population.jsonl",
        "--as-of",
        "2025-06-30",
    )
    assert result.returncode == 0
    assert (
        "impact on 5 subjects as of 2025-06-30: 3 gained, 1 lost, 4 subjects affected"
        in result.stdout.splitlines()
    )
    missing = run("diff", "tests/fixtures/diff/old", "no/such/dir")
    assert missing.returncode == 2
    assert "CR-E100" in missing.stderr
