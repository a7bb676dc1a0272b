"""Catalog diff: measures added, removed and changed field by field (conditions canonical), and
exactly the gains and losses of measures in force over a small population."""

from __future__ import annotations

import datetime
import io
import json
import pathlib

import pytest

from credit_rules import cli
from credit_rules.catalog import load_catalog, load_catalog_text
from credit_rules.commands.diff import write_diff, write_impact
from credit_rules.decision import OutcomeStatus
from credit_rules.diff import (
    FieldChange,
    MeasureChange,
    canonical_condition,
    diff_catalogs,
    measure_fields,
    population_impact,
)
from credit_rules.engine import compile_catalog
from credit_rules.model import Catalog
from credit_rules.records import load_dossiers

ROOT = pathlib.Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "diff"
AS_OF = datetime.date(2025, 6, 30)


@pytest.fixture(scope="module")
def old() -> Catalog:
    return load_catalog(FIXTURES / "old" / "catalog.yaml")


@pytest.fixture(scope="module")
def new() -> Catalog:
    return load_catalog(FIXTURES / "new" / "catalog.yaml")


def test_measures_added_removed_changed(old: Catalog, new: Catalog) -> None:
    difference = diff_catalogs(old, new)
    assert [m.id for m in difference.added] == ["d-red-list-publicity"]
    assert [m.id for m in difference.removed] == ["d-key-attention"]
    assert difference.changed == (
        MeasureChange(
            "d-publish-penalty",
            (
                FieldChange("title", "公示严重失信行政处罚信息", "公示失信行政处罚信息"),
                FieldChange(
                    "when",
                    "any record where kind == administrative_penalty and severity >= serious",
                    "any record where kind == administrative_penalty and severity >= general",
                ),
            ),
        ),
        MeasureChange(
            "d-green-channel",
            (
                FieldChange(
                    "when",
                    "no record where dishonest within 3y",
                    "no record where dishonest within 2y",
                ),
            ),
        ),
        MeasureChange(
            "d-restrict-flight",
            (
                FieldChange("list", "mandatory", "recommended"),
                FieldChange(
                    "legal_basis",
                    "[{title: 最高人民法院关于限制被执行人高消费及有关消费的若干规定, "
                    "rank: judicial_interpretation, number: 法释〔2015〕17号, article: 第三条}]",
                    "[{title: 最高人民法院关于限制被执行人高消费及有关消费的若干规定, "
                    "rank: judicial_interpretation, number: 法释〔2015〕17号, "
                    "article: 第三条第（一）项}]",
                ),
                FieldChange(
                    "implementers", "[{name: 民航局}]", "[{name: 航空公司, sector: enterprise}]"
                ),
            ),
        ),
    )
    assert difference.catalog == (
        FieldChange("layer diff-test.version", "1", "2"),
        FieldChange(
            "vocabulary.lists.red_list", None, "{name: red_list, title: 红名单, kind: red}"
        ),
    )
    assert not difference.empty


def test_identical_catalogs_and_relayout_are_no_change(old: Catalog) -> None:
    assert diff_catalogs(old, old).empty
    # the new version's flight condition is folded and spaced differently: no `when` change
    assert canonical_condition('listed( "consumption_restriction" )\n') == (
        'listed("consumption_restriction")'
    )


def test_canonical_condition_of_text_that_does_not_parse() -> None:
    assert canonical_condition("listed(  \n 'x'") == "listed( 'x'"


def test_measure_fields_in_catalog_order(old: Catalog) -> None:
    fields = measure_fields(old.measure("d-restrict-flight"))
    assert list(fields) == [
        "title",
        "kind",
        "list",
        "when",
        "duration",
        "impact",
        "targets",
        "legal_basis",
        "implementers",
        "applies_in",
        "repairable",
        "overrides_restrictions",
        "catalog",
    ]
    assert fields["targets"] == "[legal_person, natural_person, legal_representative]"
    assert fields["applies_in"] == "[air_travel]"
    assert fields["duration"] == "while_listed"


def test_moved_measure_and_changed_policy() -> None:
    base = (FIXTURES / "old" / "catalog.yaml").read_text(encoding="utf-8")
    changed = base.replace("serious: {min: P1Y, max: P3Y}", "serious: {min: P1Y, max: P2Y}")
    changed = changed.replace(
        "duration: while_listed\n    impact: supervision", "duration: P1Y\n    impact: supervision"
    )
    difference = diff_catalogs(load_catalog_text(base), load_catalog_text(changed))
    assert difference.changed == (
        MeasureChange("d-key-attention", (FieldChange("duration", "while_listed", "P1Y"),)),
    )
    assert difference.catalog == (
        FieldChange("policy.publication.serious", "{min: P1Y, max: P3Y}", "{min: P1Y, max: P2Y}"),
    )


def test_population_gains_and_losses_exactly(old: Catalog, new: Catalog) -> None:
    """Issue 7 acceptance: exactly the expected gains and losses, with counts per measure."""
    impact = population_impact(
        compile_catalog(old, strict=False),
        compile_catalog(new, strict=False),
        load_dossiers(FIXTURES / "population.jsonl"),
        as_of=AS_OF,
    )
    gains = [(c.subject_id, c.measure_id, c.target_text, c.old, c.new) for c in impact.gains]
    losses = [(c.subject_id, c.measure_id, c.target_text, c.old, c.new) for c in impact.losses]
    assert gains == [
        # a general penalty is now published
        ("S1", "d-publish-penalty", "S1", None, OutcomeStatus.APPLIES),
        # a serious judgment of 2022-12-01 is outside a two-year window
        ("S2", "d-green-channel", "S2", None, OutcomeStatus.APPLIES),
        # the new red-list measure
        ("P4", "d-red-list-publicity", "P4", None, OutcomeStatus.APPLIES),
    ]
    assert losses == [
        # the removed key-attention measure
        ("S3", "d-key-attention", "S3", OutcomeStatus.APPLIES, None),
    ]
    # S5 and its legal representative keep the flight restriction (applies → advisory)
    assert [(m.measure_id, m.gained, m.lost) for m in impact.per_measure] == [
        ("d-green-channel", 1, 0),
        ("d-key-attention", 0, 1),
        ("d-publish-penalty", 1, 0),
        ("d-red-list-publicity", 1, 0),
    ]
    assert (impact.subjects, impact.affected) == (5, 4)


def test_a_person_gains_through_an_organisation() -> None:
    """Gains name the target, a person through an organisation and role included."""
    base = (FIXTURES / "old" / "catalog.yaml").read_text(encoding="utf-8")
    wider = base.replace(
        '    targets: [legal_person]\n    when: listed("key_attention")',
        '    targets: [legal_person, legal_representative]\n    when: listed("key_attention")',
    )
    assert wider != base
    impact = population_impact(
        compile_catalog(load_catalog_text(base), strict=False),
        compile_catalog(load_catalog_text(wider), strict=False),
        load_dossiers(FIXTURES / "population.jsonl"),
        as_of=AS_OF,
    )
    assert [(c.subject_id, c.target_text) for c in impact.gains] == [
        ("S3", "P3 via S3 as legal_representative")
    ]
    assert impact.losses == ()


def test_text_output_golden(old: Catalog, new: Catalog, update_golden: bool) -> None:
    out = io.StringIO()
    write_diff(diff_catalogs(old, new), out)
    impact = population_impact(
        compile_catalog(old, strict=False),
        compile_catalog(new, strict=False),
        load_dossiers(FIXTURES / "population.jsonl"),
        as_of=AS_OF,
    )
    write_impact(impact, out)
    text = out.getvalue().replace(old.fingerprint, "OLD").replace(new.fingerprint, "NEW")
    golden = FIXTURES / "diff.expected.txt"
    if update_golden:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(
        [
            "diff",
            str(FIXTURES / "old" / "catalog.yaml"),
            str(FIXTURES / "new" / "catalog.yaml"),
            "--population",
            str(FIXTURES / "population.jsonl"),
            "--as-of",
            "2025-06-30",
            "--format",
            "json",
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["measures"]["added"] == [{"id": "d-red-list-publicity", "title": "红名单公示"}]
    assert data["measures"]["removed"] == [
        {"id": "d-key-attention", "title": "重点关注对象加强监管"}
    ]
    assert [c["id"] for c in data["measures"]["changed"]] == [
        "d-publish-penalty",
        "d-green-channel",
        "d-restrict-flight",
    ]
    assert data["impact"]["gains"][0] == {
        "subject": "S1",
        "measure": "d-publish-penalty",
        "target": "S1",
        "old": None,
        "new": "applies",
    }
    assert data["impact"]["losses"] == [
        {
            "subject": "S3",
            "measure": "d-key-attention",
            "target": "S3",
            "old": "applies",
            "new": None,
        }
    ]
    assert data["impact"]["per_measure"][0] == {
        "measure": "d-green-channel",
        "gained": 1,
        "lost": 0,
    }
    assert (data["impact"]["subjects"], data["impact"]["affected"]) == (5, 4)


def test_cli_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    old_path = str(FIXTURES / "old" / "catalog.yaml")
    new_path = str(FIXTURES / "new" / "catalog.yaml")
    assert cli.main(["diff", old_path, new_path]) == 0
    assert cli.main(["diff", "--exit-code", old_path, new_path]) == 1
    assert cli.main(["diff", "--exit-code", old_path, old_path]) == 0
    out = capsys.readouterr().out
    assert out.endswith("measures: 0 added, 0 removed, 0 changed\n")


def test_cli_bad_population(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path) -> None:
    population = tmp_path / "people.jsonl"
    population.write_text('{"subject": {"id": "S1", "kind": "company"}}\n', encoding="utf-8")
    old_path = str(FIXTURES / "old" / "catalog.yaml")
    assert cli.main(["diff", old_path, old_path, "--population", str(population)]) == 2
    assert "CR-E112" in capsys.readouterr().err
