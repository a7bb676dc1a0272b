"""Legality and proportionality checks of a catalog (合法、关联、比例；过惩相当).

Input: a :class:`~credit_rules.model.Catalog` and the checked conditions of its measures.
Output: :class:`~credit_rules.errors.Diagnostic` findings with stable ``CR-L1xx`` codes
(documented in ``docs/checks.md``). Each rule is an entry in :data:`RULES`: a function that
yields minimal findings; :func:`lint` enriches them with position, measure id and catalog path,
and turns findings the catalog acknowledges into ``info`` findings that keep their reason.
The rules read the catalog's policy data; nothing about the law is hard-coded here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import attrs

from credit_rules import ast
from credit_rules.check import Checked
from credit_rules.errors import Diagnostic, DiagnosticSeverity
from credit_rules.model import (
    Catalog,
    CatalogLevel,
    DurationKind,
    ListKind,
    Measure,
    MeasureKind,
    MeasureList,
    Sector,
    Severity,
)
from credit_rules.printer import to_text
from credit_rules.spans import Span

ERROR = DiagnosticSeverity.ERROR
WARNING = DiagnosticSeverity.WARNING
INFO = DiagnosticSeverity.INFO


@attrs.frozen(slots=True)
class Finding:
    """What a rule found, before the driver places it."""

    code: str
    severity: DiagnosticSeverity
    message: str
    measure: Measure | None = None
    help: str | None = None
    #: field of the measure the finding is about (for its position), e.g. ``when``
    field: str | None = None
    span: Span | None = None


@attrs.frozen(slots=True)
class LintContext:
    """Everything a rule may read."""

    catalog: Catalog
    checked: Mapping[str, Checked]

    def level_of(self, measure: Measure) -> CatalogLevel:
        """The level of the catalog layer a measure belongs to."""
        for info in self.catalog.layers:
            if info.id == measure.catalog_id:
                return info.level
        return CatalogLevel.BASIC


Rule = Callable[[LintContext], Iterable[Finding]]


# -- rules ------------------------------------------------------------------------------------


def legality(context: LintContext) -> Iterator[Finding]:
    """CR-L101: a restriction that reduces rights or adds obligations cites a basis of
    sufficient rank: for a basic list, the policy's ``legality.basic`` ranks; for a
    supplementary list, also its ``legality.supplementary`` ranks (local regulations)."""
    policy = context.catalog.policy
    for measure in context.catalog.measures:
        if measure.kind is not MeasureKind.RESTRICTION:
            continue
        if measure.impact not in policy.legality_impacts:
            continue
        level = context.level_of(measure)
        allowed = set(policy.basic_ranks)
        if level is CatalogLevel.SUPPLEMENTARY:
            allowed |= set(policy.supplementary_ranks)
        ranks = [b.rank for b in measure.legal_basis]
        if not any(rank in allowed for rank in ranks):
            cited = ", ".join(sorted({r.value for r in ranks}))
            needed = ", ".join(r.value for r in sorted(allowed, key=lambda r: r.value))
            yield Finding(
                "CR-L101",
                ERROR,
                f"restriction with impact `{measure.impact.value}` rests only on {cited}; "
                f"it needs a basis of rank {needed}",
                measure,
                help="a normative document alone cannot reduce rights or add obligations "
                "(国办发〔2020〕49号)",
                field="legal_basis",
            )


def listing_domains(context: LintContext) -> Iterator[Finding]:
    """CR-L102: a serious-dishonesty (black, severe) list declares a permitted category."""
    permitted = context.catalog.policy.listing_categories
    if not permitted:
        return
    for name, listed in sorted(context.catalog.vocabulary.lists.items()):
        if listed.kind is not ListKind.BLACK or listed.gravity is not Severity.SEVERE:
            continue
        if listed.category is None or listed.category not in permitted:
            found = f"`{listed.category}`" if listed.category else "no category"
            yield Finding(
                "CR-L102",
                ERROR,
                f"serious-dishonesty list `{name}` has {found}; it may only cover "
                + ", ".join(f"`{c}`" for c in permitted),
                help="the serious-dishonesty list is limited to four kinds of conduct "
                "(国办发〔2020〕49号)",
                span=None,
            )


def advisory_bodies(context: LintContext) -> Iterator[Finding]:
    """CR-L105: measures carried out by bodies outside public administration are
    recommended, never mandatory: banks, associations and media cannot be compelled."""
    for measure in context.catalog.measures:
        if measure.list is not MeasureList.MANDATORY:
            continue
        outside = [i.name for i in measure.implementers if i.sector is not Sector.PUBLIC]
        if outside:
            yield Finding(
                "CR-L105",
                ERROR,
                "mandatory measure carried out by bodies outside public administration: "
                + ", ".join(f"`{name}`" for name in outside),
                measure,
                help="make it `list: recommended`; such bodies can only be recommended to act",
                field="list",
            )


def bounded_duration(context: LintContext) -> Iterator[Finding]:
    """CR-L106: every restriction has a bounded period unless a basis allows a permanent one."""
    for measure in context.catalog.measures:
        if measure.kind is not MeasureKind.RESTRICTION:
            continue
        if measure.duration.kind is not DurationKind.PERMANENT:
            continue
        if not any(b.allows_permanent for b in measure.legal_basis):
            yield Finding(
                "CR-L106",
                ERROR,
                "permanent restriction without a basis that allows a permanent measure",
                measure,
                help="give a period (e.g. `P3Y`), or mark the basis `allows_permanent: true`",
                field="duration",
            )


def supplementary_overlap(context: LintContext) -> Iterator[Finding]:
    """CR-L107: a supplementary list may not redefine, weaken or duplicate a basic measure."""
    basic = [m for m in context.catalog.measures if context.level_of(m) is CatalogLevel.BASIC]
    by_title = {m.title: m for m in basic}
    by_shape = {(_canonical(context, m), m.kind, m.impact): m for m in basic}
    for measure in context.catalog.measures:
        if context.level_of(measure) is not CatalogLevel.SUPPLEMENTARY:
            continue
        same_title = by_title.get(measure.title)
        same_shape = by_shape.get((_canonical(context, measure), measure.kind, measure.impact))
        if same_title is not None:
            yield Finding(
                "CR-L107",
                ERROR,
                f"redefines basic measure `{same_title.id}` ({same_title.title})",
                measure,
                help="a supplementary list adds measures; it does not restate or change "
                "the basic list's",
                field="title",
            )
        elif (
            same_shape is not None
            and set(measure.target_kinds) <= set(same_shape.target_kinds)
            and set(measure.target_roles) <= set(same_shape.target_roles)
            and (
                not measure.applies_in
                or not same_shape.applies_in
                or set(measure.applies_in) <= set(same_shape.applies_in)
            )
        ):
            yield Finding(
                "CR-L107",
                WARNING,
                f"duplicates basic measure `{same_shape.id}`: same condition, kind and impact",
                measure,
                field="when",
            )


def _canonical(context: LintContext, measure: Measure) -> str:
    checked = context.checked.get(measure.id)
    return to_text(checked.expr) if checked is not None else measure.when


# -- driver -----------------------------------------------------------------------------------

#: every lint rule, in the order their findings are documented
RULES: list[Rule] = [
    legality,
    listing_domains,
    advisory_bodies,
    bounded_duration,
    supplementary_overlap,
]


def lint(catalog: Catalog, checked: Mapping[str, Checked]) -> tuple[Diagnostic, ...]:
    """Run every rule; findings the catalog acknowledges become ``info`` with the reason."""
    context = LintContext(catalog, checked)
    found: list[Diagnostic] = []
    for rule in RULES:
        for finding in rule(context):
            found.append(_place(finding, context))
    return tuple(sorted(set(found), key=Diagnostic.sort_key))


def _place(finding: Finding, context: LintContext) -> Diagnostic:
    measure = finding.measure
    span = finding.span
    path = None
    severity = finding.severity
    message = finding.message
    if measure is not None:
        if span is None:
            span = measure.when_span if finding.field == "when" else measure.span
        source = measure.span.source if measure.span is not None else None
        same_file = [
            m for m in context.catalog.measures if (m.span.source if m.span else None) == source
        ]
        path = f"measures[{same_file.index(measure)}]" + (
            f".{finding.field}" if finding.field else ""
        )
        for ack in measure.acknowledged:
            if ack.code == finding.code:
                severity = INFO
                message = f"{message} (acknowledged: {ack.reason})"
                break
    return Diagnostic(
        finding.code,
        severity,
        message,
        help=finding.help,
        span=span,
        catalog_path=path,
        measure_id=measure.id if measure is not None else None,
    )


def errors_of(diagnostics: Sequence[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Only the error-severity findings."""
    return tuple(d for d in diagnostics if d.severity is ERROR)


_ = ast  # the IR-level rules below walk the AST
