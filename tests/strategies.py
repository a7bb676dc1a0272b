"""Hypothesis strategies shared by the property tests: dates, subjects, records, dossiers,
facts, and conditions (any grammatical AST, and well-typed ones over :data:`VOCABULARY`).

Values are drawn from small pools (a few domains, tags, authorities, lists) so that random
conditions and random records actually meet.
"""

from __future__ import annotations

import datetime
import string
from typing import TypeVar

import attrs
from hypothesis import strategies as st

from credit_rules import ast
from credit_rules.ast import CompareOp, Quantifier
from credit_rules.facts import Facts, build_facts, is_dishonest
from credit_rules.model import (
    Catalog,
    CatalogInfo,
    CatalogLevel,
    Dossier,
    Duration,
    DurationKind,
    EffectiveDocument,
    Impact,
    Implementer,
    LegalBasis,
    LenienceAction,
    LenienceFacts,
    ListDef,
    ListKind,
    Measure,
    MeasureKind,
    MeasureList,
    Period,
    Policy,
    PublicationPeriod,
    Rank,
    RatingScheme,
    Record,
    RecordKind,
    RecordStatus,
    Related,
    Role,
    Severity,
    Subject,
    SubjectKind,
    Vocabulary,
)
from credit_rules.parser import KEYWORDS, parse
from credit_rules.printer import to_text

_T = TypeVar("_T")

# ---------------------------------------------------------------------------------------------
# The vocabulary and policy property tests run under

LISTS = ("judgment_defaulter", "serious_dishonesty", "key_attention", "red_list")
DOMAINS = ("food_drug", "environment", "tax", "finance")
TAGS = ("repeat_offence", "refuse_perform", "fraud")
AUTHORITIES = ("X市市场监督管理局", "Y区人民法院", "Z省生态环境厅")
DOCUMENTS = ("行政处罚决定书", "判决书", "仲裁裁决书")
CATEGORIES = ("endanger_health_life", "disrupt_market_order", "refuse_legal_obligation")
REGIONS = ("350100", "110000", "140428")
SCHEMES = {"tax": ("A", "B", "M", "C", "D"), "customs": ("AA", "A", "B", "C")}

VOCABULARY = Vocabulary(
    lists={
        "judgment_defaulter": ListDef(
            "judgment_defaulter",
            "失信被执行人名单",
            ListKind.BLACK,
            Severity.SERIOUS,
            "refuse_legal_obligation",
        ),
        "serious_dishonesty": ListDef(
            "serious_dishonesty", "严重失信主体名单", ListKind.BLACK, Severity.SEVERE
        ),
        "key_attention": ListDef(
            "key_attention", "重点关注对象名单", ListKind.KEY_ATTENTION, Severity.GENERAL
        ),
        "red_list": ListDef("red_list", "红名单", ListKind.RED),
    },
    domains={
        "food_drug": "食品药品",
        "environment": "生态环境",
        "tax": "税收",
        "finance": "金融",
    },
    ratings={
        "tax": RatingScheme("tax", "纳税信用等级", SCHEMES["tax"]),
        "customs": RatingScheme("customs", "海关信用等级", SCHEMES["customs"]),
    },
    matters={"government_procurement": "政府采购", "air_travel": "乘坐飞机"},
)

#: The national defaults of docs/architecture.md.
POLICY = Policy(
    publication={
        Severity.GENERAL: PublicationPeriod(Period(months=3), Period(years=1)),
        Severity.SERIOUS: PublicationPeriod(Period(years=1), Period(years=3)),
        Severity.SEVERE: PublicationPeriod(Period(years=1), Period(years=3)),
    },
    lenience={
        "minor": LenienceAction.SET_ASIDE,
        "force_majeure": LenienceAction.SET_ASIDE,
        "unintentional_minor": LenienceAction.SET_ASIDE,
        "unintentional": LenienceAction.REDUCE,
    },
    listing_categories=CATEGORIES,
)

# ---------------------------------------------------------------------------------------------
# Dates, subjects, records

dates = st.dates(datetime.date(2014, 1, 1), datetime.date(2025, 12, 31))
as_of_dates = st.dates(datetime.date(2018, 1, 1), datetime.date(2025, 12, 31))
periods = st.builds(
    Period,
    years=st.integers(0, 4),
    months=st.integers(0, 14),
    days=st.integers(0, 40),
)


@st.composite
def subjects(draw: st.DrawFn, subject_id: str = "S1") -> Subject:
    """An organisation or a person, sometimes a minor, sometimes state-owned."""
    kind = draw(st.sampled_from(list(SubjectKind)))
    person = kind is SubjectKind.NATURAL_PERSON
    return Subject(
        id=subject_id,
        kind=kind,
        name=f"主体{subject_id}",
        region=draw(st.none() | st.sampled_from(REGIONS)),
        state_owned=False if person else draw(st.booleans()),
        birth_date=draw(st.none() | st.dates(datetime.date(2000, 1, 1), datetime.date(2012, 1, 1)))
        if person
        else None,
    )


def _maybe(*values: _T) -> st.SearchStrategy[_T | None]:
    """One of ``values`` or None, in a single draw (keeps record generation fast)."""
    return st.sampled_from((None, *values))


_STATUSES = (
    [RecordStatus.ACTIVE] * 4
    + [RecordStatus.OBJECTION_PENDING] * 2
    + [
        RecordStatus.REVOKED,
        RecordStatus.CORRECTED,
        RecordStatus.REPAIRED,
    ]
)
_LENIENCE = [LenienceFacts()] * 5 + [
    LenienceFacts(minor=True),
    LenienceFacts(force_majeure=True),
    LenienceFacts(unintentional=True),
]
_DOCUMENTS = [EffectiveDocument(kind, "文1") for kind in DOCUMENTS]
_TAG_SETS = [frozenset(), frozenset(), *(frozenset({tag}) for tag in TAGS), frozenset(TAGS[:2])]


@st.composite
def records(draw: st.DrawFn, subject_id: str = "S1", index: int = 0) -> Record:
    """One record of any kind and status, its fields drawn from the shared pools."""
    kind = draw(st.sampled_from(list(RecordKind)))
    is_list = kind is RecordKind.LIST_ENTRY
    is_rating = kind is RecordKind.RATING
    scheme = draw(st.sampled_from(sorted(SCHEMES))) if is_rating else None
    status = draw(st.sampled_from(_STATUSES))
    return Record(
        id=f"{subject_id}-R{index}",
        subject_id=subject_id,
        kind=kind,
        decided_on=draw(dates),
        domain=draw(_maybe(*DOMAINS)),
        severity=draw(_maybe(*Severity)),
        document=draw(_maybe(*_DOCUMENTS)),
        authority=draw(_maybe(*AUTHORITIES)),
        status=status,
        status_since=None if status is RecordStatus.ACTIVE else draw(st.none() | dates),
        tags=draw(st.sampled_from(_TAG_SETS)),
        lenience=draw(st.sampled_from(_LENIENCE)),
        list_name=draw(st.sampled_from([*LISTS, "undeclared"])) if is_list else None,
        exit_on=draw(st.none() | dates) if is_list else None,
        category=draw(_maybe(*CATEGORIES)),
        scheme=scheme,
        grade=draw(st.sampled_from(SCHEMES[scheme])) if scheme is not None else None,
        valid_until=draw(st.none() | dates) if is_rating else None,
        expires_on=draw(st.none() | dates) if draw(st.integers(0, 5)) == 0 else None,
        dishonest=draw(st.sampled_from([None, None, None, True, False])),
    )


@st.composite
def record_sets(draw: st.DrawFn, subject_id: str = "S1", max_size: int = 8) -> tuple[Record, ...]:
    """Records of one subject with unique ids."""
    size = draw(st.integers(0, max_size))
    return tuple(draw(records(subject_id, index)) for index in range(size))


@st.composite
def dossiers(draw: st.DrawFn, max_records: int = 8, max_related: int = 2) -> Dossier:
    """A subject with records and up to ``max_related`` related subjects with their own."""
    subject = draw(subjects("S1"))
    related = []
    for index in range(draw(st.integers(0, max_related))):
        other = draw(subjects(f"P{index}"))
        related.append(
            Related(
                role=draw(
                    st.sampled_from([Role.LEGAL_REPRESENTATIVE, Role.PRINCIPAL, Role.DIRECTOR])
                ),
                subject=other,
                records=draw(record_sets(other.id, max_size=4)),
                since=draw(st.none() | dates),
                until=draw(st.none() | dates),
            )
        )
    return Dossier(subject, draw(record_sets("S1", max_size=max_records)), tuple(related))


@st.composite
def facts(draw: st.DrawFn, max_records: int = 8) -> Facts:
    """A dossier classified as of a random date under :data:`VOCABULARY` and :data:`POLICY`."""
    dossier = draw(dossiers(max_records=max_records))
    return build_facts(dossier, as_of=draw(as_of_dates), vocabulary=VOCABULARY, policy=POLICY)


@st.composite
def counting_facts(
    draw: st.DrawFn, min_records: int = 1, max_records: int = 12, pending: bool = False
) -> Facts:
    """Facts built directly, whose records all count (or, with ``pending``, some are under
    objection), so conditions over them often hold; no related subjects."""
    base = draw(facts(max_records=0))
    drawn = draw(st.lists(records(), min_size=min_records, max_size=max_records))
    statuses = [RecordStatus.ACTIVE, RecordStatus.OBJECTION_PENDING] if pending else None
    normal = [
        attrs.evolve(
            record,
            id=f"R{index:02d}",
            decided_on=min(record.decided_on, base.as_of),
            dishonest=is_dishonest(record, VOCABULARY),
            status=draw(st.sampled_from(statuses)) if statuses else RecordStatus.ACTIVE,
        )
        for index, record in enumerate(drawn)
    ]
    normal.sort(key=lambda r: (r.decided_on, r.id))
    return attrs.evolve(
        base,
        counted=tuple(r for r in normal if r.status is RecordStatus.ACTIVE),
        pending=tuple(r for r in normal if r.status is RecordStatus.OBJECTION_PENDING),
        related=(),
    )


# ---------------------------------------------------------------------------------------------
# Grammatical ASTs (any names, any types): for parser and printer properties

identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True).filter(
    lambda name: name not in KEYWORDS
)
string_values = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\n\r"), max_size=8
)
literals: st.SearchStrategy[ast.Literal] = st.one_of(
    st.builds(ast.StringLiteral, string_values),
    st.builds(ast.IntegerLiteral, st.integers(0, 10**12)),
    st.builds(ast.DateLiteral, st.dates(datetime.date(1, 1, 1), datetime.date(9999, 12, 31))),
    st.builds(ast.DurationLiteral, periods),
    st.builds(ast.BooleanLiteral, st.booleans()),
    st.builds(ast.Name, identifiers),
)
windows: st.SearchStrategy[ast.Window] = st.builds(ast.Within, periods) | st.builds(
    ast.Since, dates
)
compare_ops = st.sampled_from(list(CompareOp))
quantifiers = st.sampled_from(list(Quantifier))


def _values(filters: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Value]:
    return st.one_of(
        literals,
        st.builds(ast.SubjectAttribute, identifiers),
        st.builds(ast.Call, identifiers, st.lists(literals, max_size=2).map(tuple)),
        st.builds(ast.SetLiteral, st.lists(literals, min_size=1, max_size=3).map(tuple)),
        st.builds(ast.Count, st.none() | filters, st.none() | windows),
    )


def _boolean(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    operands = st.lists(children, min_size=2, max_size=3).map(tuple)
    return st.one_of(
        st.builds(ast.Not, children),
        st.builds(ast.And, operands),
        st.builds(ast.Or, operands),
    )


def _filter_leaves(inner: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    values = _values(inner)
    return st.one_of(values, st.builds(ast.Compare, compare_ops, values, values))


#: Any filter the grammar allows (no record queries inside).
filter_exprs: st.SearchStrategy[ast.Expr] = st.recursive(
    _filter_leaves(st.nothing()),
    lambda inner: _boolean(inner) | _filter_leaves(inner),
    max_leaves=6,
)


def _condition_extend(inner: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    return st.one_of(
        _boolean(inner),
        st.builds(ast.RecordQuery, quantifiers, st.none() | filter_exprs, st.none() | windows),
        st.builds(
            ast.Related,
            quantifiers,
            st.lists(st.builds(ast.Name, identifiers), min_size=1, max_size=2).map(tuple),
            inner,
        ),
    )


#: Any condition the grammar allows.
conditions: st.SearchStrategy[ast.Expr] = st.recursive(
    _filter_leaves(filter_exprs), _condition_extend, max_leaves=8
)

# ---------------------------------------------------------------------------------------------
# Well-typed conditions over VOCABULARY: for checker, compiler and reference interpreter


def _name(value: str) -> ast.Name:
    return ast.Name(value)


def _text(value: str) -> ast.StringLiteral:
    return ast.StringLiteral(value)


_EQUALITY = st.sampled_from([CompareOp.EQ, CompareOp.NE])
_MEMBERSHIP = st.sampled_from([CompareOp.IN, CompareOp.NOT_IN])
_ORDER = st.sampled_from([CompareOp.LT, CompareOp.LE, CompareOp.GT, CompareOp.GE])


@st.composite
def _comparison(
    draw: st.DrawFn,
    subject: ast.Value,
    items: st.SearchStrategy[ast.Literal],
    *,
    ordered: bool,
    sets: bool = True,
) -> ast.Compare:
    """``subject OP item`` or ``subject in {items}``, sometimes written the other way round."""
    ops = [_EQUALITY, *([_MEMBERSHIP] if sets else []), *([_ORDER] if ordered else [])]
    op = draw(st.one_of(ops))
    if op in (CompareOp.IN, CompareOp.NOT_IN):
        members = tuple(draw(st.lists(items, min_size=1, max_size=3)))
        return ast.Compare(op, subject, ast.SetLiteral(members))
    item = draw(items)
    if draw(st.booleans()):
        return ast.Compare(op.mirrored(), item, subject)
    return ast.Compare(op, subject, item)


def _enum_names(
    values: list[RecordKind] | list[Severity] | list[SubjectKind],
) -> st.SearchStrategy[ast.Literal]:
    return st.sampled_from([str(value.value) for value in values]).map(_name)


def _texts(pool: tuple[str, ...]) -> st.SearchStrategy[ast.Literal]:
    return st.sampled_from(pool).map(_text)


def _subject_tests() -> st.SearchStrategy[ast.Expr]:
    return st.one_of(
        st.sampled_from(["minor", "state_owned"]).map(ast.SubjectAttribute),
        st.builds(
            ast.Compare,
            _EQUALITY,
            st.sampled_from(["minor", "state_owned"]).map(ast.SubjectAttribute),
            st.booleans().map(ast.BooleanLiteral),
        ),
        _comparison(ast.SubjectAttribute("kind"), _enum_names(list(SubjectKind)), ordered=False),
        _comparison(ast.SubjectAttribute("region"), _texts(REGIONS), ordered=False),
    )


def _record_tests() -> st.SearchStrategy[ast.Expr]:
    field = ast.Name
    return st.one_of(
        _comparison(field("kind"), _enum_names(list(RecordKind)), ordered=False),
        _comparison(field("severity"), _enum_names(list(Severity)), ordered=True),
        _comparison(field("domain"), _texts(DOMAINS), ordered=False),
        _comparison(field("authority"), _texts(AUTHORITIES), ordered=False),
        _comparison(field("document"), _texts(DOCUMENTS), ordered=False),
        _comparison(field("list"), _texts(LISTS), ordered=False),
        _comparison(field("scheme"), _texts(tuple(SCHEMES)), ordered=False),
        _comparison(field("grade"), _texts(("A", "B", "C", "AA")), ordered=False),
        _comparison(field("category"), _texts(CATEGORIES), ordered=False),
        _comparison(
            field("decided_on"), st.builds(ast.DateLiteral, dates), ordered=True, sets=False
        ),
        st.builds(
            ast.Compare,
            _MEMBERSHIP,
            _texts(TAGS),
            st.just(field("tags")),
        ),
        st.just(field("dishonest")),
        st.builds(
            ast.Compare,
            _EQUALITY,
            st.just(field("dishonest")),
            st.booleans().map(ast.BooleanLiteral),
        ),
        _subject_tests(),
        st.booleans().map(ast.BooleanLiteral),
    )


#: Well-typed record filters.
typed_filters: st.SearchStrategy[ast.Expr] = st.recursive(_record_tests(), _boolean, max_leaves=5)


def _rating_test() -> st.SearchStrategy[ast.Expr]:
    return st.sampled_from(sorted(SCHEMES)).flatmap(
        lambda scheme: _comparison(
            ast.Call("rating", (ast.StringLiteral(scheme),)),
            _texts(SCHEMES[scheme]),
            ordered=True,
        )
    )


@st.composite
def _count_test(draw: st.DrawFn) -> ast.Expr:
    count = ast.Count(draw(st.none() | typed_filters), draw(st.none() | windows))
    op = draw(
        st.sampled_from(
            [CompareOp.EQ, CompareOp.NE, CompareOp.LT, CompareOp.LE, CompareOp.GT, CompareOp.GE]
        )
    )
    number = ast.IntegerLiteral(draw(st.integers(0, 3)))
    if draw(st.booleans()):
        return ast.Compare(op.mirrored(), number, count)
    return ast.Compare(op, count, number)


def _subject_leaves() -> st.SearchStrategy[ast.Expr]:
    return st.one_of(
        st.sampled_from(LISTS).map(lambda name: ast.Call("listed", (ast.StringLiteral(name),))),
        _subject_tests(),
        _rating_test(),
        st.builds(ast.RecordQuery, quantifiers, st.none() | typed_filters, st.none() | windows),
        _count_test(),
        st.booleans().map(ast.BooleanLiteral),
    )


_ROLE_NAMES = st.lists(
    st.sampled_from([Role.LEGAL_REPRESENTATIVE, Role.PRINCIPAL, Role.DIRECTOR, Role.SHAREHOLDER]),
    min_size=1,
    max_size=2,
).map(lambda roles: tuple(ast.Name(role.value) for role in roles))

#: Well-typed conditions without ``related`` (the body of a ``related``).
typed_subject_conditions: st.SearchStrategy[ast.Expr] = st.recursive(
    _subject_leaves(), _boolean, max_leaves=5
)

#: Well-typed conditions, ``related`` included.
typed_conditions: st.SearchStrategy[ast.Expr] = st.recursive(
    _subject_leaves() | st.builds(ast.Related, quantifiers, _ROLE_NAMES, typed_subject_conditions),
    _boolean,
    max_leaves=6,
)

#: Text made of the language's own words and symbols, for parser fuzzing.
condition_words = st.lists(
    st.sampled_from(
        [
            *sorted(KEYWORDS),
            "(",
            ")",
            "{",
            "}",
            ",",
            ":",
            ".",
            "==",
            "!=",
            "<",
            "<=",
            ">",
            ">=",
            '"x"',
            '"a\\"b"',
            "3y",
            "1y6m",
            "2020-01-01",
            "2",
            "kind",
            "severity",
            "judgment",
            "listed",
            "rating",
            "tags",
            "dishonest",
            "principal",
            "=",
            "&",
            '"',
            "（",
            "\u3000",
            "\x00",
        ]
    ),
    max_size=14,
).map(" ".join)

ascii_noise = st.text(string.printable, max_size=40)


# ---------------------------------------------------------------------------------------------
# Catalogs for the lint properties (issue 5): random measures under the national proportion
# table, so that CR-L103/CR-L104 and the runtime checks CR-C001/CR-C002 have work to do

#: :data:`POLICY` with the proportion table and legality ranks of measures/national/catalog.yaml
LINT_POLICY = attrs.evolve(
    POLICY,
    proportion={
        Impact.BENEFIT: None,
        Impact.SUPERVISION: Severity.GENERAL,
        Impact.DISCLOSURE: Severity.GENERAL,
        Impact.RESTRICT_BENEFITS: Severity.SERIOUS,
        Impact.RESTRICT_RIGHTS: Severity.SERIOUS,
        Impact.MARKET_BAN: Severity.SEVERE,
    },
    legality_impacts=(Impact.RESTRICT_BENEFITS, Impact.RESTRICT_RIGHTS, Impact.MARKET_BAN),
    basic_ranks=(Rank.LAW, Rank.ADMINISTRATIVE_REGULATION, Rank.CENTRAL_POLICY),
)

#: :data:`VOCABULARY` whose serious-dishonesty list declares the permitted categories (CR-L102)
LINT_VOCABULARY = attrs.evolve(
    VOCABULARY,
    lists={
        **VOCABULARY.lists,
        "serious_dishonesty": attrs.evolve(
            VOCABULARY.lists["serious_dishonesty"], categories=CATEGORIES
        ),
    },
)

#: conditions that bring graded conduct: and-ed with a random condition, they make more random
#: restrictions proportionate
graded_triggers = st.sampled_from(
    [
        parse('listed("serious_dishonesty")'),
        parse('listed("judgment_defaulter")'),
        parse('listed("key_attention")'),
        parse("any record where dishonest and severity >= serious"),
        parse("any record where kind == administrative_penalty and severity == severe"),
        parse('any record where dishonest and domain in {"food_drug", "tax"}'),
        parse("count(record where kind == judgment within 3y) >= 2"),
    ]
)

_LAW = LegalBasis("中华人民共和国某法", Rank.LAW, "某法第一条")


@st.composite
def lint_measures(draw: st.DrawFn, index: int) -> Measure:
    """A measure with a random condition (often and-ed with a graded trigger), impact, domains,
    targets and matter; bounded, resting on a law and carried out by public bodies, so that only
    the condition rules (CR-L103, CR-L104, CR-L108, CR-L109) can find fault with it."""
    kind = draw(st.sampled_from(list(MeasureKind)))
    condition = draw(typed_conditions)
    if draw(st.booleans()):
        condition = ast.And((draw(graded_triggers), condition))
    return Measure(
        id=f"m{index}",
        title=f"措施{index}",
        kind=kind,
        list=draw(st.sampled_from(list(MeasureList))),
        when=to_text(condition),
        duration=draw(
            st.sampled_from(
                [
                    Duration(DurationKind.PERIOD, Period(years=1)),
                    Duration(DurationKind.WHILE_LISTED),
                    Duration(DurationKind.UNTIL_REPAIRED),
                ]
            )
        ),
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
                    max_size=2,
                    unique=True,
                )
            )
        ),
        legal_basis=(_LAW,),
        implementers=(Implementer("某部门"),),
        applies_in=tuple(draw(st.lists(st.sampled_from(sorted(VOCABULARY.matters)), max_size=1))),
        domains=tuple(draw(st.lists(st.sampled_from(DOMAINS), max_size=2, unique=True)))
        if draw(st.integers(0, 3)) == 0
        else (),
        catalog_id="lint-random",
    )


@st.composite
def lint_catalogs(draw: st.DrawFn, max_measures: int = 6) -> Catalog:
    """A basic catalog of :func:`lint_measures` under :data:`LINT_VOCABULARY` and
    :data:`LINT_POLICY` (it may well break lint rules: tests keep the measures that pass)."""
    info = CatalogInfo(id="lint-random", title="随机清单", level=CatalogLevel.BASIC, issuer="测试")
    count = draw(st.integers(1, max_measures))
    return Catalog(
        info=info,
        layers=(info,),
        vocabulary=LINT_VOCABULARY,
        policy=LINT_POLICY,
        measures=tuple(draw(lint_measures(i)) for i in range(count)),
        fingerprint="sha256:" + "1" * 64,
    )
