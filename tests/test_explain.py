"""Explanations (issue 6): golden renderings, schema, masking, and agreement with decisions."""

from __future__ import annotations

import datetime
import json
import os
import pathlib
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings

from credit_rules import compile as compile_catalog
from credit_rules import load_catalog, load_dossiers
from credit_rules.compile import make_env
from credit_rules.decision import OutcomeStatus
from credit_rules.engine import Engine
from credit_rules.explain import Explainer, Verdict
from credit_rules.facts import build_facts
from credit_rules.log import log_entry
from credit_rules.render.data import explanation_data
from credit_rules.render.markdown import render_explanation_markdown
from credit_rules.render.text import render_explanation
from credit_rules.schema import load_schema
from engine_strategies import catalogs
from strategies import as_of_dates, dossiers

ROOT = pathlib.Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
AS_OF = datetime.date(2024, 6, 1)
RESIDENT_ID = "11010519491231002X"

#: scenario → measures asked about besides its outcomes (why-not)
SCENARIOS: dict[str, tuple[str, ...]] = {
    "defaulter-enterprise": ("cn-green-channel", "cn-bid-ban-wage-arrears"),
    "a-rated-taxpayer": ("cn-green-channel", "cn-publish-penalty-general"),
    "food-producer": ("cn-publish-penalty-general", "cn-green-channel"),
}


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    # Load by a relative path so positions in the golden files do not depend on the checkout.
    before = os.getcwd()
    os.chdir(ROOT)
    try:
        yield compile_catalog(load_catalog("measures/national"))
    finally:
        os.chdir(before)


def _explanation(engine: Engine, name: str):  # type: ignore[no-untyped-def]
    (dossier,) = load_dossiers(GOLDEN / "scenarios" / f"{name}.yaml")
    decision = engine.evaluate(dossier, as_of=AS_OF)
    wanted = list(dict.fromkeys([*(o.measure.id for o in decision.outcomes), *SCENARIOS[name]]))
    return Explainer(engine).explain(dossier, as_of=AS_OF, measure_ids=wanted), dossier


def _rendered(engine: Engine, name: str) -> dict[str, str]:
    explanation, _ = _explanation(engine, name)
    return {
        "zh.txt": render_explanation(explanation, lang="zh"),
        "en.txt": render_explanation(explanation, lang="en"),
        "md": render_explanation_markdown(explanation, lang="zh"),
        "json": json.dumps(explanation_data(explanation), ensure_ascii=False, indent=2) + "\n",
    }


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_explanations_match_reviewed_golden_files(
    engine: Engine, name: str, update_golden: bool
) -> None:
    for suffix, text in _rendered(engine, name).items():
        path = GOLDEN / "explain" / f"{name}.{suffix}"
        if update_golden:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.read_text(encoding="utf-8") == text, f"{path} differs (--update-golden)"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_explanation_json_validates_against_the_published_schema(engine: Engine, name: str) -> None:
    explanation, _ = _explanation(engine, name)
    jsonschema.Draft202012Validator(load_schema("decision")).validate(explanation_data(explanation))


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_no_output_or_log_line_holds_an_unmasked_resident_id(engine: Engine, name: str) -> None:
    explanation, dossier = _explanation(engine, name)
    outputs = [
        *_rendered(engine, name).values(),
        render_explanation_markdown(explanation, lang="en"),
        json.dumps(log_entry(explanation.decision, dossier), ensure_ascii=False),
    ]
    for text in outputs:
        assert RESIDENT_ID not in text
    if name == "defaulter-enterprise":
        unmasked = render_explanation(explanation, lang="zh", unmasked=True)
        assert "张三" in unmasked


def test_why_not_for_a_blocked_incentive_names_the_blocking_records(engine: Engine) -> None:
    explanation, _ = _explanation(engine, "food-producer")
    (green,) = [m for m in explanation.measures if m.measure.id == "cn-green-channel"]
    assert green.verdict is Verdict.NOT_TRIGGERED
    assert green.needed == (
        'listed("integrity_model")',
        "no record where dishonest within 3y",
    )
    assert green.blocking == ("P1", "P2", "P3")


def test_why_not_tells_a_lenience_set_aside_from_a_failed_condition(engine: Engine) -> None:
    (dossier,) = load_dossiers(GOLDEN / "scenarios" / "food-producer.yaml")
    explanation = Explainer(engine).explain(
        dossier, as_of=datetime.date(2024, 5, 10), measure_ids=["cn-publish-penalty-general"]
    )
    (general,) = explanation.measures
    assert general.verdict is Verdict.SUSPENDED
    assert [r.id for r in general.pending] == ["P3"]


# -- the explanation agrees with the fast path -------------------------------------------------


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogs(), dossiers(), as_of_dates)
def test_every_explanation_agrees_with_the_decision(catalog, dossier, as_of) -> None:  # type: ignore[no-untyped-def]
    engine = compile_catalog(catalog, strict=False)
    decision = engine.evaluate(dossier, as_of=as_of)
    explainer = Explainer(engine)
    explanation = explainer.explain(
        dossier, as_of=as_of, measure_ids=[m.id for m in catalog.measures], decision=decision
    )
    facts = build_facts(dossier, as_of=as_of, vocabulary=catalog.vocabulary, policy=catalog.policy)
    by_id = {item.measure.id: item for item in engine.measures}
    statuses: dict[str, set[str]] = {}
    for outcome in decision.outcomes:
        statuses.setdefault(outcome.measure.id, set()).add(outcome.status.value)
    for item in explanation.measures:
        measure_id = item.measure.id
        if measure_id in statuses:
            assert item.verdict.value in statuses[measure_id]
            if item.verdict is not Verdict.WITHHELD:
                assert item.steps[0].holds
            continue
        assert item.verdict in (
            Verdict.NOT_TRIGGERED,
            Verdict.SET_ASIDE,
            Verdict.NOT_A_TARGET,
            Verdict.NOT_IN_FORCE,
        )
        if item.verdict is Verdict.NOT_TRIGGERED:
            assert not item.steps[0].holds
            entity = facts
            if item.evaluated_on is not None:
                entity = next(f for _, f in facts.related if f.subject.id == item.evaluated_on)
            assert by_id[measure_id].condition(make_env(entity, include_pending=True)) is None
    suspended = {o.measure.id for o in decision.outcomes if o.status is OutcomeStatus.SUSPENDED}
    for item in explanation.measures:
        if item.measure.id in suspended and item.verdict is Verdict.SUSPENDED:
            assert item.pending


def _walk(data: Any) -> list[str]:
    if isinstance(data, dict):
        return [s for v in data.values() for s in _walk(v)]
    if isinstance(data, list):
        return [s for v in data for s in _walk(v)]
    return [str(data)]
