"""Properties of the lint analyses (issue 5), checked against the compiled matcher.

- The solver never proves "never holds" of a condition or filter that holds on some records.
- A proven inclusion between two record queries holds on every record set.
- The gravity guarantee behind CR-L103/CR-L104 is sound: when a condition holds, its witnesses
  include conduct at least that grave (and of the measure's domains when guaranteed).
- End to end: for random catalogs that pass lint and random dossiers, no applied restriction has
  an impact above what its triggering records' gravity allows, and CR-C001/CR-C002 never fail.
"""

from __future__ import annotations

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit_rules import ast
from credit_rules.ast import CompareOp, Quantifier
from credit_rules.check import CountTest, check
from credit_rules.compile import compile_condition, make_env
from credit_rules.decision import IN_FORCE
from credit_rules.engine import compile_catalog, compile_measures
from credit_rules.facts import Facts
from credit_rules.lint import NEVER, NO_RELEVANT, Analysis, errors_of, level_of, lint
from credit_rules.model import Catalog, MeasureKind, Record
from credit_rules.proportion import GRAVITY, RELEVANCE, gravity_of
from strategies import (
    DOMAINS,
    VOCABULARY,
    as_of_dates,
    dossiers,
    facts,
    lint_catalogs,
    typed_conditions,
    typed_filters,
    windows,
)

PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ANALYSIS = Analysis(VOCABULARY)
domain_sets = st.lists(st.sampled_from(DOMAINS), max_size=2, unique=True).map(tuple)


def witness_sets(expr: ast.Expr, subject: Facts) -> list[tuple[Record, ...]]:
    """The witnesses of a condition for a subject, without and with pending records."""
    compiled = compile_condition(check(expr, VOCABULARY), name="property")
    found = []
    for include_pending in (False, True):
        witnesses = compiled(make_env(subject, include_pending=include_pending))
        if witnesses is not None:
            found.append(witnesses)
    return found


def level(record: Record) -> int:
    return level_of(gravity_of(record, VOCABULARY))


@PROPERTY
@given(typed_conditions, facts(), domain_sets)
def test_the_gravity_guarantee_holds_whenever_the_condition_does(
    expr: ast.Expr, subject: Facts, domains: tuple[str, ...]
) -> None:
    condition = check(expr, VOCABULARY).condition
    guarantee = ANALYSIS.guarantee(condition, domains)
    for witnesses in witness_sets(expr, subject):
        assert guarantee.gravity < NEVER
        assert max(map(level, witnesses), default=0) >= guarantee.gravity
        if guarantee.relevant > NO_RELEVANT:
            relevant = [level(w) for w in witnesses if w.domain in domains]
            assert relevant
            assert max(relevant) >= guarantee.relevant


@PROPERTY
@given(typed_filters, facts())
def test_a_filter_proven_never_to_hold_matches_no_record(expr: ast.Expr, subject: Facts) -> None:
    query = ast.RecordQuery(Quantifier.ANY, expr, None)
    condition = check(query, VOCABULARY).condition
    if ANALYSIS.solver.never(condition):
        assert witness_sets(query, subject) == []


@PROPERTY
@given(typed_conditions, facts())
def test_a_condition_proven_never_to_hold_never_holds(expr: ast.Expr, subject: Facts) -> None:
    if ANALYSIS.solver.never(check(expr, VOCABULARY).condition):
        assert witness_sets(expr, subject) == []


def count_all(expr: ast.Expr | None, window: ast.Window | None) -> ast.Expr:
    """``count(record where expr window) >= 0``: true, with every record the query finds."""
    return ast.Compare(CompareOp.GE, ast.Count(expr, window), ast.IntegerLiteral(0))


@PROPERTY
@given(
    st.none() | typed_filters,
    st.none() | windows,
    st.none() | typed_filters,
    st.none() | windows,
    facts(),
)
def test_a_proven_inclusion_between_queries_holds_on_every_record_set(
    small_filter: ast.Expr | None,
    small_window: ast.Window | None,
    large_filter: ast.Expr | None,
    large_window: ast.Window | None,
    subject: Facts,
) -> None:
    small, large = count_all(small_filter, small_window), count_all(large_filter, large_window)
    small_test, large_test = (check(e, VOCABULARY).condition for e in (small, large))
    assert isinstance(small_test, CountTest)
    assert isinstance(large_test, CountTest)
    if ANALYSIS.solver.included(small_test.query, large_test.query):
        pairs = zip(witness_sets(small, subject), witness_sets(large, subject), strict=True)
        for found, every in pairs:
            assert {id(r) for r in found} <= {id(r) for r in every}


def lint_clean(catalog: Catalog) -> Catalog:
    """The catalog without the measures lint finds an error in."""
    measures = compile_measures(catalog)
    found = lint(catalog, {item.measure.id: item.checked for item in measures})
    failing = {d.measure_id for d in errors_of(found)}
    return attrs.evolve(catalog, measures=tuple(m for m in catalog.measures if m.id not in failing))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lint_catalogs(),
    dossiers(),
    as_of_dates,
    st.sampled_from([None, "government_procurement", "air_travel"]),
)
def test_no_applied_restriction_exceeds_what_its_conduct_allows(
    catalog: Catalog, dossier: object, as_of: object, matter: str | None
) -> None:
    clean = lint_clean(catalog)
    engine = compile_catalog(clean)  # strict: the catalog passes lint
    decision = engine.evaluate(dossier, as_of=as_of, matter=matter)  # type: ignore[arg-type]
    table = clean.policy.proportion
    for outcome in decision.outcomes:
        measure = outcome.measure
        # lint soundness: a measure that passes CR-L103 and CR-L104 never fails CR-C001/CR-C002
        assert not [c for c in outcome.checks if not c.passed and c.code in (GRAVITY, RELEVANCE)]
        if measure.kind is not MeasureKind.RESTRICTION or outcome.status not in IN_FORCE:
            continue
        required = table.get(measure.impact)
        if required is None:
            continue
        conduct = [
            w for w in outcome.witnesses if not measure.domains or w.domain in measure.domains
        ]
        grades = [g for w in conduct if (g := gravity_of(w, clean.vocabulary)) is not None]
        assert grades
        assert max(grades) >= required
