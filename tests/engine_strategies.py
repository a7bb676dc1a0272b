"""Hypothesis strategies for whole catalogs (random measures over the shared vocabulary)."""

from __future__ import annotations

from hypothesis import strategies as st

from credit_rules.model import (
    Catalog,
    CatalogInfo,
    CatalogLevel,
    Duration,
    DurationKind,
    Impact,
    Implementer,
    LegalBasis,
    Measure,
    MeasureKind,
    MeasureList,
    Period,
    Rank,
    Role,
    Sector,
    SubjectKind,
)
from credit_rules.printer import to_text
from strategies import POLICY, VOCABULARY, typed_conditions

BASIS = LegalBasis("某法", Rank.LAW, "某法第一条")

durations = st.one_of(
    st.builds(
        Duration,
        st.just(DurationKind.PERIOD),
        st.builds(
            Period, years=st.integers(0, 3), months=st.integers(0, 11), days=st.integers(1, 20)
        ),
    ),
    st.sampled_from(
        [
            Duration(DurationKind.WHILE_LISTED),
            Duration(DurationKind.UNTIL_REPAIRED),
            Duration(DurationKind.PERMANENT),
        ]
    ),
)


@st.composite
def measures(
    draw: st.DrawFn, index: int, conditions: st.SearchStrategy[str] | None = None
) -> Measure:
    """A measure with a random well-typed condition (or one of ``conditions``), targets,
    duration and impact."""
    kind = draw(st.sampled_from(list(MeasureKind)))
    listed = draw(st.sampled_from(list(MeasureList)))
    sector = draw(st.sampled_from([Sector.PUBLIC, Sector.PUBLIC, Sector.FINANCIAL]))
    return Measure(
        id=f"m{index}",
        title=f"措施{index}",
        kind=kind,
        list=listed,
        when=draw(conditions) if conditions is not None else to_text(draw(typed_conditions)),
        duration=draw(durations),
        impact=Impact.BENEFIT
        if kind is MeasureKind.INCENTIVE
        else draw(st.sampled_from(list(Impact)[1:])),
        target_kinds=tuple(
            draw(st.lists(st.sampled_from(list(SubjectKind)), min_size=1, max_size=5, unique=True))
        ),
        target_roles=tuple(
            draw(
                st.lists(
                    st.sampled_from([Role.LEGAL_REPRESENTATIVE, Role.PRINCIPAL, Role.DIRECTOR]),
                    max_size=3,
                    unique=True,
                )
            )
        ),
        legal_basis=(BASIS,),
        implementers=(Implementer("某部门", sector),),
        applies_in=tuple(draw(st.lists(st.sampled_from(sorted(VOCABULARY.matters)), max_size=1))),
        overrides_restrictions=draw(st.booleans()) if kind is MeasureKind.INCENTIVE else False,
        catalog_id="random",
    )


@st.composite
def catalogs(
    draw: st.DrawFn, max_measures: int = 6, conditions: st.SearchStrategy[str] | None = None
) -> Catalog:
    """A basic catalog of random measures under the shared vocabulary and policy."""
    count = draw(st.integers(1, max_measures))
    info = CatalogInfo(id="random", title="随机清单", level=CatalogLevel.BASIC, issuer="测试")
    return Catalog(
        info=info,
        layers=(info,),
        vocabulary=VOCABULARY,
        policy=POLICY,
        measures=tuple(draw(measures(i, conditions)) for i in range(count)),
        fingerprint="sha256:" + "0" * 64,
    )
