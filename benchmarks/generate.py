"""Seeded populations and synthetic catalogs for the benchmark.

Input: a seed and sizes. Output: :class:`credit_rules.model.Dossier` values (``generate``) and
the YAML text of a valid catalog (``synthetic_catalog``), the same for the same seed on every
machine (only :class:`random.Random` seeded per call is used, never the global generator or the
clock). Errors: ``ValueError`` for impossible sizes.

The population is meant to look like what a credit platform holds: enterprises (with valid
unified social credit codes) and persons (with valid resident identity numbers), each with
0–50 records by default, most with few and some with many (``lo + (hi - lo) * u**2``):
administrative penalties of several domains and gravities with their decision documents, court
judgments, arbitral awards, list entries (judgment defaulters, serious dishonesty, red list,
key attention …) with listing and exit dates, tax ratings A/B/M/C/D, credit commitments and
commendations. Some records are under objection, repaired, revoked or corrected, some carry
lenience facts, some lack a document, a few are decided after ``AS_OF``. Enterprises have
related persons (legal representative, principal …) with their own records; persons have the
organisations they hold a role in.

The synthetic catalog is built from the condition shapes real catalogs use (``listed()``,
``count(record where … within Ny) >= k``, ``any``/``no record where …``, ``rating()``,
``subject.kind``, ``subject.minor``, ``any related(…)``), weighted towards list-triggered
measures as real catalogs are. :func:`synthetic_measures` returns the same measures as
structured :class:`MeasureSpec` values, which the hand-written reference works from.
:func:`inert_measures` adds measures of other sectors, on lists and domains no generated record
has, to grow a catalog without growing what a subject can trigger.
"""

from __future__ import annotations

import dataclasses
import datetime
import random
from collections.abc import Mapping, Sequence
from typing import TypeVar

import yaml

from credit_rules.identifiers import resident_id_check_character, uscc_check_character
from credit_rules.model import (
    Dossier,
    EffectiveDocument,
    LenienceFacts,
    ListDef,
    ListKind,
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

#: the evaluation date every benchmark uses
AS_OF = datetime.date(2025, 6, 30)

# ---------------------------------------------------------------------------------------------
# The synthetic catalog's vocabulary and policy (national defaults)

SYNTHETIC_LISTS: dict[str, dict[str, str]] = {
    "judgment_defaulter": {
        "title": "失信被执行人名单",
        "kind": "black",
        "gravity": "serious",
        "category": "refuse_legal_obligation",
    },
    "consumption_restriction": {
        "title": "被限制消费的被执行人（限制消费令）",
        "kind": "black",
        "gravity": "serious",
        "category": "refuse_legal_obligation",
    },
    "serious_dishonesty": {
        "title": "严重失信主体名单",
        "kind": "black",
        "gravity": "severe",
        "category": "disrupt_market_order",
    },
    "serious_illegal_dishonest_enterprise": {
        "title": "严重违法失信企业名单",
        "kind": "black",
        "gravity": "severe",
        "category": "disrupt_market_order",
    },
    "wage_arrears": {
        "title": "拖欠农民工工资失信联合惩戒对象名单",
        "kind": "black",
        "gravity": "severe",
        "category": "disrupt_market_order",
    },
    "tax_major_violation": {
        "title": "重大税收违法失信主体名单",
        "kind": "black",
        "gravity": "severe",
        "category": "disrupt_market_order",
    },
    "food_safety_black": {
        "title": "食品安全严重失信名单",
        "kind": "black",
        "gravity": "severe",
        "category": "endanger_health_life",
    },
    "key_attention": {"title": "重点关注对象名单", "kind": "key_attention", "gravity": "general"},
    "rectification_required": {
        "title": "需限期整改的失信主体清单",
        "kind": "key_attention",
        "gravity": "general",
    },
    "red_list": {"title": "红名单", "kind": "red"},
    "integrity_model": {"title": "诚信典型", "kind": "red"},
    "contract_abiding_enterprise": {"title": "守合同重信用公示企业", "kind": "red"},
}

SYNTHETIC_DOMAINS: dict[str, str] = {
    "food_drug": "食品药品",
    "environment": "生态环境",
    "construction_quality": "工程质量",
    "work_safety": "安全生产",
    "fire_safety": "消防安全",
    "product_quality": "产品质量",
    "tax": "税收",
    "labour": "劳动保障",
    "finance": "金融",
    "bidding": "招标投标",
    "government_procurement": "政府采购",
    "intellectual_property": "知识产权",
    "consumer_protection": "消费者权益保护",
    "traffic": "交通运输",
    "e_commerce": "电子商务",
    "medical_insurance": "医疗保障",
    "statistics": "统计",
    "customs": "海关",
}

SYNTHETIC_RATINGS: dict[str, dict[str, object]] = {
    "tax": {"title": "纳税信用等级", "grades": ["A", "B", "M", "C", "D"]},
    "credit_grade": {
        "title": "信用评价结果（分级分类监管）",
        "grades": ["good", "ordinary", "poor"],
    },
}

SYNTHETIC_MATTERS: dict[str, str] = {
    "government_procurement": "政府采购",
    "bidding": "招标投标",
    "administrative_licence": "行政许可",
    "fiscal_funds": "申请财政性资金项目",
    "air_travel": "乘坐飞机",
    "loans": "信贷、贷款",
    "routine_inspection": "日常检查、专项检查",
    "honours": "授予荣誉称号、评先评优",
}

#: record tags the generator uses (tags are free text in the contract)
TAGS = (
    "refuse_perform",
    "repeat_offence",
    "major_loss",
    "rectification_overdue",
    "wage_arrears",
    "false_litigation",
    "bid_collusion",
    "bid_fraud",
    "contract_nonperformance",
    "licence_false_application",
    "safety_related_licence",
)

_POLICY_YAML: dict[str, object] = {
    "publication": {
        "general": {"min": "P3M", "max": "P1Y"},
        "serious": {"min": "P1Y", "max": "P3Y"},
        "severe": {"min": "P1Y", "max": "P3Y"},
    },
    "proportion": {
        "benefit": "none",
        "supervision": "general",
        "disclosure": "general",
        "restrict_benefits": "serious",
        "restrict_rights": "serious",
        "market_ban": "severe",
    },
    "lenience": {
        "minor": "set_aside",
        "force_majeure": "set_aside",
        "unintentional_minor": "set_aside",
        "unintentional": "reduce",
    },
    "listing_categories": [
        "endanger_health_life",
        "disrupt_market_order",
        "refuse_legal_obligation",
        "refuse_national_defence",
    ],
}


def synthetic_vocabulary() -> Vocabulary:
    """The synthetic catalog's vocabulary as a model value (the default of :func:`generate`)."""
    lists = {
        name: ListDef(
            name=name,
            title=data["title"],
            kind=ListKind(data["kind"]),
            gravity=Severity(data["gravity"]) if "gravity" in data else None,
            category=data.get("category"),
        )
        for name, data in SYNTHETIC_LISTS.items()
    }
    ratings = {
        name: RatingScheme(
            name=name,
            title=str(data["title"]),
            grades=tuple(str(g) for g in data["grades"]),  # type: ignore[attr-defined]
        )
        for name, data in SYNTHETIC_RATINGS.items()
    }
    return Vocabulary(
        lists=lists,
        domains=dict(SYNTHETIC_DOMAINS),
        ratings=ratings,
        matters=dict(SYNTHETIC_MATTERS),
    )


# ---------------------------------------------------------------------------------------------
# Identifiers and names

_REGIONS = (
    ("110105", "北京市朝阳区"),
    ("310115", "上海市浦东新区"),
    ("440305", "深圳市南山区"),
    ("350102", "福州市鼓楼区"),
    ("140428", "长子县"),
    ("120101", "天津市和平区"),
    ("330106", "杭州市西湖区"),
    ("510107", "成都市武侯区"),
    ("420106", "武汉市武昌区"),
    ("610113", "西安市雁塔区"),
    ("450203", "柳州市鱼峰区"),
    ("620102", "兰州市城关区"),
)
_FIRM_WORDS = ("鑫源", "恒通", "华泰", "远航", "金诚", "宏达", "永盛", "嘉禾", "瑞丰", "天成")
_FIRM_TRADES = ("食品", "建筑工程", "环保科技", "物流", "医药", "机械制造", "商贸", "软件")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"

# registration authority + organisation type of a USCC, by subject kind
_USCC_PREFIX = {
    SubjectKind.LEGAL_PERSON: "91",
    SubjectKind.INDIVIDUAL_BUSINESS: "92",
    SubjectKind.UNINCORPORATED_ORG: "52",
    SubjectKind.PUBLIC_INSTITUTION: "12",
}
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _organisation_code(rng: random.Random) -> str:
    """A GB 11714 organisation code: 8 digits and its check character."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    check = 11 - sum(int(c) * w for c, w in zip(body, _ORG_CODE_WEIGHTS, strict=True)) % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def make_uscc(rng: random.Random, kind: SubjectKind, region: str) -> str:
    """A valid unified social credit code (GB 32100-2015) for an organisation of ``kind``."""
    first17 = _USCC_PREFIX[kind] + region + _organisation_code(rng)
    return first17 + uscc_check_character(first17)


def make_resident_id(rng: random.Random, region: str, born: datetime.date) -> str:
    """A valid resident identity number (GB 11643-1999) for a person born on ``born``."""
    first17 = region + born.strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
    return first17 + resident_id_check_character(first17)


def _person_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


# ---------------------------------------------------------------------------------------------
# Records

_DOMAIN_AUTHORITY = {
    "food_drug": "市场监督管理局",
    "product_quality": "市场监督管理局",
    "consumer_protection": "市场监督管理局",
    "e_commerce": "市场监督管理局",
    "intellectual_property": "市场监督管理局",
    "environment": "生态环境局",
    "construction_quality": "住房和城乡建设局",
    "work_safety": "应急管理局",
    "fire_safety": "消防救援支队",
    "tax": "税务局",
    "labour": "人力资源和社会保障局",
    "finance": "金融监督管理局",
    "bidding": "发展和改革委员会",
    "government_procurement": "财政局",
    "traffic": "交通运输局",
    "medical_insurance": "医疗保障局",
    "statistics": "统计局",
    "customs": "海关",
}
_DOCUMENT_KIND = {
    RecordKind.ADMINISTRATIVE_PENALTY: "行政处罚决定书",
    RecordKind.ADMINISTRATIVE_RULING: "行政裁决书",
    RecordKind.JUDGMENT: "民事判决书",
    RecordKind.ARBITRATION: "仲裁裁决书",
    RecordKind.LIST_ENTRY: "列入名单决定书",
    RecordKind.RATING: "纳税信用评价结果",
    RecordKind.CREDIT_COMMITMENT: "信用承诺书",
    RecordKind.COMMENDATION: "表彰决定",
    RecordKind.ADMINISTRATIVE_LICENCE: "行政许可决定书",
}
_DOCUMENT_ABBR = {
    RecordKind.ADMINISTRATIVE_PENALTY: "罚",
    RecordKind.ADMINISTRATIVE_RULING: "裁",
    RecordKind.JUDGMENT: "民初",
    RecordKind.ARBITRATION: "仲裁",
    RecordKind.LIST_ENTRY: "列",
    RecordKind.RATING: "税评",
    RecordKind.CREDIT_COMMITMENT: "承诺",
    RecordKind.COMMENDATION: "表",
    RecordKind.ADMINISTRATIVE_LICENCE: "许",
}
_KIND_WEIGHTS_ORG = (
    (RecordKind.ADMINISTRATIVE_PENALTY, 52),
    (RecordKind.LIST_ENTRY, 12),
    (RecordKind.RATING, 9),
    (RecordKind.JUDGMENT, 8),
    (RecordKind.ADMINISTRATIVE_RULING, 3),
    (RecordKind.ARBITRATION, 2),
    (RecordKind.CREDIT_COMMITMENT, 6),
    (RecordKind.COMMENDATION, 3),
    (RecordKind.ADMINISTRATIVE_LICENCE, 5),
)
_KIND_WEIGHTS_PERSON = (
    (RecordKind.ADMINISTRATIVE_PENALTY, 40),
    (RecordKind.LIST_ENTRY, 18),
    (RecordKind.JUDGMENT, 22),
    (RecordKind.ARBITRATION, 5),
    (RecordKind.CREDIT_COMMITMENT, 8),
    (RecordKind.COMMENDATION, 4),
    (RecordKind.ADMINISTRATIVE_LICENCE, 3),
)
_SEVERITY_WEIGHTS = ((Severity.GENERAL, 60), (Severity.SERIOUS, 30), (Severity.SEVERE, 10))
_DISHONEST_KINDS = (
    RecordKind.ADMINISTRATIVE_PENALTY,
    RecordKind.ADMINISTRATIVE_RULING,
    RecordKind.JUDGMENT,
    RecordKind.ARBITRATION,
)
_T = TypeVar("_T")

_RELATED_ROLES_ORG = (
    (Role.LEGAL_REPRESENTATIVE, 1.0),
    (Role.PRINCIPAL, 0.5),
    (Role.DIRECTLY_RESPONSIBLE, 0.3),
    (Role.ACTUAL_CONTROLLER, 0.25),
    (Role.DIRECTOR, 0.2),
    (Role.SENIOR_MANAGER, 0.15),
)


def _weighted(rng: random.Random, table: Sequence[tuple[_T, int]]) -> _T:
    values = [value for value, _ in table]
    weights = [weight for _, weight in table]
    return rng.choices(values, weights)[0]


def _days(rng: random.Random, lo: int, hi: int) -> datetime.timedelta:
    return datetime.timedelta(days=rng.randint(lo, hi))


@dataclasses.dataclass
class _Context:
    """What the record generator needs from the vocabulary (lists split by kind)."""

    black: tuple[str, ...]
    attention: tuple[str, ...]
    red: tuple[str, ...]
    domains: tuple[str, ...]
    ratings: Mapping[str, tuple[str, ...]]
    as_of: datetime.date


def _context(vocabulary: Vocabulary, as_of: datetime.date) -> _Context:
    by_kind: dict[ListKind, list[str]] = {kind: [] for kind in ListKind}
    for name, listed in vocabulary.lists.items():
        by_kind[listed.kind].append(name)
    domains = tuple(vocabulary.domains) or ("general",)
    return _Context(
        black=tuple(by_kind[ListKind.BLACK]),
        attention=tuple(by_kind[ListKind.KEY_ATTENTION]),
        red=tuple(by_kind[ListKind.RED]),
        domains=domains,
        ratings={name: scheme.grades for name, scheme in vocabulary.ratings.items()},
        as_of=as_of,
    )


def _record(
    rng: random.Random,
    ctx: _Context,
    subject: Subject,
    number: int,
    kind: RecordKind,
    region_name: str,
) -> Record:
    as_of = ctx.as_of
    record_id = f"{subject.id}-R{number:03d}"
    # Decided within the last six years; about 1% after as_of (not yet in force).
    decided = as_of + _days(rng, 1, 120) if rng.random() < 0.01 else as_of - _days(rng, 0, 6 * 365)
    fields: dict[str, object] = {}
    severity: Severity | None = None
    domain: str | None = None
    if kind in _DISHONEST_KINDS:
        severity = _weighted(rng, _SEVERITY_WEIGHTS)
        domain = rng.choice(ctx.domains)
        if rng.random() < 0.25:
            fields["tags"] = frozenset(rng.sample(TAGS, rng.choice((1, 1, 2))))
    elif kind is RecordKind.ADMINISTRATIVE_LICENCE:
        domain = rng.choice(ctx.domains)
    list_kind_name: str | None = None
    if kind is RecordKind.LIST_ENTRY:
        roll = rng.random()
        pool = ctx.black if roll < 0.6 else ctx.attention if roll < 0.8 else ctx.red
        pool = pool or ctx.black or ctx.attention or ctx.red
        if not pool:
            kind = RecordKind.ADMINISTRATIVE_PENALTY
            severity = Severity.GENERAL
            domain = rng.choice(ctx.domains)
        else:
            list_name = rng.choice(pool)
            list_kind_name = list_name
            fields["list_name"] = list_name
            # Listed within the last four years; exit planned 1–3 years later, or open-ended.
            decided = as_of - _days(rng, 0, 4 * 365)
            roll = rng.random()
            if roll < 0.25:
                fields["exit_on"] = None
            else:
                fields["exit_on"] = decided + _days(rng, 365, 3 * 365)
            if rng.random() < 0.3:
                fields["tags"] = frozenset(rng.sample(TAGS, 1))
    if kind is RecordKind.RATING:
        if ctx.ratings:
            scheme = rng.choice(sorted(ctx.ratings))
            grades = ctx.ratings[scheme]
            # Annual ratings published in April, valid one year.
            year = as_of.year - rng.randint(0, 3)
            decided = datetime.date(year, 4, rng.randint(1, 28))
            fields["scheme"] = scheme
            fields["grade"] = rng.choice(grades)
            fields["valid_until"] = datetime.date(year + 1, 4, 30)
        else:
            kind = RecordKind.CREDIT_COMMITMENT
    # Status: mostly active; some objections, repairs, revocations, corrections.
    roll = rng.random()
    status = RecordStatus.ACTIVE
    status_since: datetime.date | None = None
    if roll < 0.05:
        status = RecordStatus.OBJECTION_PENDING
        status_since = min(as_of, decided + _days(rng, 10, 200))
    elif roll < 0.10:
        status = RecordStatus.REPAIRED
        status_since = decided + _days(rng, 90, 900)  # some repairs take effect after as_of
    elif roll < 0.12:
        status = RecordStatus.REVOKED
        status_since = decided + _days(rng, 10, 300)
    elif roll < 0.13:
        status = RecordStatus.CORRECTED
        status_since = decided + _days(rng, 10, 300)
    lenience = LenienceFacts()
    if kind in _DISHONEST_KINDS and rng.random() < 0.04:
        which = rng.randrange(3)
        lenience = LenienceFacts(
            minor=which == 0, force_majeure=which == 1, unintentional=which == 2
        )
    document: EffectiveDocument | None = None
    if kind is not RecordKind.LIST_ENTRY or rng.random() < 0.7:
        serial = rng.randint(1, 999)
        number_text = f"{region_name[:2]}{_DOCUMENT_ABBR[kind]}〔{decided.year}〕{serial}号"
        document = EffectiveDocument(kind=_DOCUMENT_KIND[kind], number=number_text)
    if kind in _DISHONEST_KINDS and rng.random() < 0.02:
        document = None  # no effective document: set aside
    if kind in _DISHONEST_KINDS and rng.random() < 0.03:
        fields["expires_on"] = decided + _days(rng, 180, 5 * 365)
    authority = region_name + (
        _DOMAIN_AUTHORITY.get(domain or "", "人民政府")
        if kind is not RecordKind.JUDGMENT
        else "人民法院"
    )
    if list_kind_name is not None:
        authority = region_name + "信用办"
    return Record(
        id=record_id,
        subject_id=subject.id,
        kind=kind,
        decided_on=decided,
        domain=domain,
        severity=severity,
        document=document,
        authority=authority,
        status=status,
        status_since=status_since,
        lenience=lenience,
        **fields,  # type: ignore[arg-type]
    )


def _records(
    rng: random.Random,
    ctx: _Context,
    subject: Subject,
    count: int,
    region_name: str,
) -> tuple[Record, ...]:
    table = _KIND_WEIGHTS_PERSON if subject.is_person else _KIND_WEIGHTS_ORG
    return tuple(
        _record(rng, ctx, subject, i, _weighted(rng, table), region_name) for i in range(count)
    )


def _count(rng: random.Random, records: tuple[int, int]) -> int:
    lo, hi = records
    if lo == hi:
        return lo
    # Most subjects have few records, some have many: lo + (hi - lo) * u**2.
    return lo + min(hi - lo, int((hi - lo + 1) * rng.random() ** 2))


# ---------------------------------------------------------------------------------------------
# Subjects and dossiers


def _person(
    rng: random.Random, ctx: _Context, person_id: str, *, minor_chance: float
) -> tuple[Subject, str]:
    code, region_name = rng.choice(_REGIONS)
    if rng.random() < minor_chance:
        born = ctx.as_of - _days(rng, 12 * 365, 17 * 365)
    else:
        born = ctx.as_of - _days(rng, 20 * 365, 70 * 365)
    subject = Subject(
        id=person_id,
        kind=SubjectKind.NATURAL_PERSON,
        name=_person_name(rng),
        resident_id=make_resident_id(rng, code, born),
        region=code,
        birth_date=born,
    )
    return subject, region_name


def _organisation(rng: random.Random, org_id: str) -> tuple[Subject, str]:
    code, region_name = rng.choice(_REGIONS)
    kind = _weighted(
        rng,
        (
            (SubjectKind.LEGAL_PERSON, 75),
            (SubjectKind.INDIVIDUAL_BUSINESS, 12),
            (SubjectKind.UNINCORPORATED_ORG, 8),
            (SubjectKind.PUBLIC_INSTITUTION, 5),
        ),
    )
    city = region_name[:2]
    if kind is SubjectKind.PUBLIC_INSTITUTION:
        name = f"{region_name}{rng.choice(_FIRM_TRADES)}服务中心"
    elif kind is SubjectKind.INDIVIDUAL_BUSINESS:
        name = f"{region_name}{rng.choice(_FIRM_WORDS)}{rng.choice(_FIRM_TRADES)}经营部"
    elif kind is SubjectKind.UNINCORPORATED_ORG:
        name = f"{region_name}{rng.choice(_FIRM_TRADES)}行业协会"
    else:
        name = f"{city}市{rng.choice(_FIRM_WORDS)}{rng.choice(_FIRM_TRADES)}有限公司"
    subject = Subject(
        id=org_id,
        kind=kind,
        name=name,
        uscc=make_uscc(rng, kind, code),
        region=code,
        state_owned=rng.random() < 0.08,
    )
    return subject, region_name


def _relation_dates(
    rng: random.Random, as_of: datetime.date
) -> tuple[datetime.date | None, datetime.date | None]:
    since = as_of - _days(rng, 30, 12 * 365)
    until: datetime.date | None = None
    if rng.random() < 0.12:  # a relation that has ended
        until = since + _days(rng, 30, max(31, (as_of - since).days))
    return since, until


def _related_records(rng: random.Random, records: tuple[int, int]) -> int:
    # Related subjects carry fewer records than the subject evaluated.
    return _count(rng, (0, max(1, min(8, records[1] // 8))))


def generate(
    n: int,
    *,
    seed: int,
    records: tuple[int, int] = (0, 50),
    vocabulary: Vocabulary | None = None,
    persons: float = 0.3,
    as_of: datetime.date = AS_OF,
) -> list[Dossier]:
    """``n`` dossiers: enterprises and persons with records and related subjects.

    Args:
        n: how many dossiers.
        seed: the same seed gives the same population, on every machine.
        records: least and most records per subject (``(k, k)`` for exactly ``k``).
        vocabulary: lists, domains and rating schemes the records use (default: the synthetic
            catalog's); pass ``catalog.vocabulary`` to populate a shipped catalog.
        persons: the share of natural persons among the subjects.
        as_of: the date the population is drawn around.

    Raises:
        ValueError: ``n`` negative or ``records`` not a range of non-negative numbers.
    """
    if n < 0 or records[0] < 0 or records[1] < records[0]:
        raise ValueError(f"cannot generate {n} dossiers with {records} records each")
    ctx = _context(vocabulary if vocabulary is not None else synthetic_vocabulary(), as_of)
    rng = random.Random(seed)
    dossiers: list[Dossier] = []
    for index in range(n):
        if rng.random() < persons:
            subject, region_name = _person(rng, ctx, f"P{seed}-{index:06d}", minor_chance=0.04)
            own = _records(rng, ctx, subject, _count(rng, records), region_name)
            related: list[Related] = []
            for slot in range(rng.choice((0, 0, 1, 1, 2))):
                org, org_region = _organisation(rng, f"E{seed}-{index:06d}-{slot}")
                since, until = _relation_dates(rng, as_of)
                org_records = _records(rng, ctx, org, _related_records(rng, records), org_region)
                role = rng.choice((Role.LEGAL_REPRESENTATIVE, Role.PRINCIPAL, Role.SHAREHOLDER))
                related.append(Related(role, org, org_records, since, until))
            dossiers.append(Dossier(subject, own, tuple(related)))
            continue
        subject, region_name = _organisation(rng, f"E{seed}-{index:06d}")
        own = _records(rng, ctx, subject, _count(rng, records), region_name)
        related = []
        for slot, (role, chance) in enumerate(_RELATED_ROLES_ORG):
            if subject.kind is SubjectKind.INDIVIDUAL_BUSINESS and role is not (
                Role.LEGAL_REPRESENTATIVE
            ):
                continue
            if rng.random() >= chance:
                continue
            person, person_region = _person(
                rng, ctx, f"P{seed}-{index:06d}-{slot}", minor_chance=0.0
            )
            since, until = _relation_dates(rng, as_of)
            person_records = _records(
                rng, ctx, person, _related_records(rng, records), person_region
            )
            related.append(Related(role, person, person_records, since, until))
        dossiers.append(Dossier(subject, own, tuple(related)))
    return dossiers


# ---------------------------------------------------------------------------------------------
# The synthetic catalog


@dataclasses.dataclass(frozen=True)
class MeasureSpec:
    """One synthetic measure: its condition shape (``template``), parameters and text."""

    id: str
    template: str
    when: str
    kind: str = "restriction"
    impact: str = "restrict_benefits"
    lists: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    severity: str | None = None
    years: int | None = None
    at_least: int | None = None
    record_kind: str | None = None
    tag: str | None = None
    scheme: str | None = None
    grades: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    subject_kinds: tuple[str, ...] = ()
    since: datetime.date | None = None


#: condition shapes and how often each appears (per 100 measures), list-triggered ones first
TEMPLATES: tuple[tuple[str, int], ...] = (
    ("listed", 26),
    ("listed_adult", 8),
    ("listed_either", 7),
    ("listed_repeat", 4),
    ("count_penalties", 10),
    ("any_kind", 8),
    ("any_domain", 7),
    ("tagged", 5),
    ("org_dishonest", 4),
    ("related_listed", 6),
    ("judgment_since", 2),
    ("poor_rating", 3),
    ("red", 4),
    ("red_clean", 2),
    ("clean_rated", 3),
    ("red_or_clean", 1),
)

_BLACK = tuple(n for n, d in SYNTHETIC_LISTS.items() if d["kind"] == "black")
_ATTENTION = tuple(n for n, d in SYNTHETIC_LISTS.items() if d["kind"] == "key_attention")
_RED = tuple(n for n, d in SYNTHETIC_LISTS.items() if d["kind"] == "red")


@dataclasses.dataclass(frozen=True)
class _Pools:
    """The lists, domains and roles a measure's condition draws its names from."""

    black: tuple[str, ...]
    attention: tuple[str, ...]
    red: tuple[str, ...]
    domains: tuple[str, ...]
    #: the lists ``any related(…): listed(…)`` names, and the roles it names
    related_lists: tuple[str, ...]
    roles: tuple[str, ...]


#: the synthetic catalog's own names
_SYNTHETIC = _Pools(
    black=_BLACK,
    attention=_ATTENTION,
    red=_RED,
    domains=tuple(SYNTHETIC_DOMAINS),
    related_lists=("serious_dishonesty", "judgment_defaulter", *_BLACK[:3]),
    roles=("legal_representative", "principal", "actual_controller"),
)
_ORG_KINDS = ("legal_person", "unincorporated_org", "public_institution")
_QUERY_KINDS = ("administrative_penalty", "judgment", "arbitration", "administrative_ruling")


def _set(values: Sequence[str], *, quoted: bool = True) -> str:
    return "{" + ", ".join(f'"{v}"' if quoted else v for v in values) + "}"


def _sample(rng: random.Random, pool: Sequence[str], count: int) -> tuple[str, ...]:
    """``count`` names of ``pool`` (all of them when it has fewer), sorted."""
    return tuple(sorted(rng.sample(list(pool), min(count, len(pool)))))


def _spec(
    rng: random.Random, measure_id: str, template: str, pools: _Pools = _SYNTHETIC
) -> MeasureSpec:
    spec = MeasureSpec
    if template == "listed":
        name = rng.choice(pools.black + pools.attention)
        impact = (
            "supervision"
            if name in pools.attention
            else rng.choice(("restrict_benefits", "restrict_rights", "disclosure"))
        )
        return spec(measure_id, template, f'listed("{name}")', impact=impact, lists=(name,))
    if template == "listed_adult":
        name = rng.choice(pools.black)
        return spec(
            measure_id,
            template,
            f'listed("{name}") and not subject.minor',
            impact="restrict_rights",
            lists=(name,),
        )
    if template == "listed_either":
        first, second = rng.sample(pools.black, 2)
        return spec(
            measure_id,
            template,
            f'listed("{first}") or listed("{second}")',
            lists=(first, second),
        )
    if template == "listed_repeat":
        name = rng.choice(pools.attention + pools.black)
        years, at_least = rng.choice((1, 2)), rng.choice((2, 3))
        return spec(
            measure_id,
            template,
            f'listed("{name}") and count(record where dishonest within {years}y) >= {at_least}',
            impact="supervision",
            lists=(name,),
            years=years,
            at_least=at_least,
        )
    if template == "count_penalties":
        domains = _sample(rng, pools.domains, rng.choice((1, 2, 3)))
        severity = rng.choice(("general", "serious"))
        years, at_least = rng.choice((1, 2, 3)), rng.choice((2, 2, 3))
        return spec(
            measure_id,
            template,
            f"count(record where kind == administrative_penalty and domain in {_set(domains)} "
            f"and severity >= {severity} within {years}y) >= {at_least}",
            impact="supervision" if severity == "general" else "restrict_benefits",
            domains=domains,
            severity=severity,
            years=years,
            at_least=at_least,
        )
    if template == "any_kind":
        kind = rng.choice(_QUERY_KINDS)
        severity = rng.choice(("serious", "severe"))
        years = rng.choice((1, 2, 3, 5))
        return spec(
            measure_id,
            template,
            f"any record where kind == {kind} and severity >= {severity} within {years}y",
            impact="restrict_benefits" if severity == "serious" else "market_ban",
            record_kind=kind,
            severity=severity,
            years=years,
        )
    if template == "any_domain":
        domains = _sample(rng, pools.domains, rng.choice((1, 2, 3, 4)))
        years = rng.choice((1, 2, 3))
        return spec(
            measure_id,
            template,
            f"any record where dishonest and domain in {_set(domains)} within {years}y",
            impact="supervision",
            domains=domains,
            years=years,
        )
    if template == "tagged":
        tag = rng.choice(TAGS)
        years = rng.choice((1, 3, 5))
        return spec(
            measure_id,
            template,
            f'any record where kind == administrative_penalty and "{tag}" in tags within {years}y',
            impact="disclosure",
            tag=tag,
            years=years,
        )
    if template == "org_dishonest":
        kinds = tuple(k for k in _ORG_KINDS if rng.random() < 0.7) or ("legal_person",)
        severity = rng.choice(("serious", "severe"))
        years = rng.choice((2, 3))
        return spec(
            measure_id,
            template,
            f"subject.kind in {_set(kinds, quoted=False)} and "
            f"(any record where dishonest and severity >= {severity} within {years}y)",
            impact="restrict_benefits",
            subject_kinds=kinds,
            severity=severity,
            years=years,
        )
    if template == "related_listed":
        roles = _sample(rng, pools.roles, rng.choice((1, 2)))
        name = rng.choice(pools.related_lists)
        return spec(
            measure_id,
            template,
            f'any related({", ".join(roles)}): listed("{name}")',
            impact="restrict_benefits",
            lists=(name,),
            roles=roles,
        )
    if template == "judgment_since":
        since = datetime.date(rng.choice((2019, 2020, 2021, 2022)), 1, 1)
        return spec(
            measure_id,
            template,
            f'any record where kind == judgment and "refuse_perform" in tags '
            f"and severity >= serious since {since.isoformat()}",
            impact="restrict_benefits",
            tag="refuse_perform",
            severity="serious",
            since=since,
        )
    if template == "poor_rating":
        if rng.random() < 0.6:
            scheme, grades = "tax", tuple(rng.choice((("D",), ("C", "D"))))
        else:
            scheme, grades = "credit_grade", ("poor",)
        when = (
            f'rating("{scheme}") == "{grades[0]}"'
            if len(grades) == 1
            else f'rating("{scheme}") in {_set(grades)}'
        )
        return spec(measure_id, template, when, impact="supervision", scheme=scheme, grades=grades)
    if template == "red":
        first, second = rng.sample(pools.red, 2)
        return spec(
            measure_id,
            template,
            f'listed("{first}") or listed("{second}")',
            kind="incentive",
            impact="benefit",
            lists=(first, second),
        )
    if template == "red_clean":
        name = rng.choice(pools.red)
        years = rng.choice((1, 3))
        return spec(
            measure_id,
            template,
            f'listed("{name}") and (no record where dishonest within {years}y)',
            kind="incentive",
            impact="benefit",
            lists=(name,),
            years=years,
        )
    if template == "clean_rated":
        years = rng.choice((2, 3))
        if rng.random() < 0.7:
            scheme, grades = "tax", tuple(rng.choice((("A",), ("A", "B"))))
        else:
            scheme, grades = "credit_grade", ("good",)
        rating = (
            f'rating("{scheme}") == "{grades[0]}"'
            if len(grades) == 1
            else f'rating("{scheme}") in {_set(grades)}'
        )
        return spec(
            measure_id,
            template,
            f"(no record where dishonest within {years}y) and {rating}",
            kind="incentive",
            impact="benefit",
            years=years,
            scheme=scheme,
            grades=grades,
        )
    if template == "red_or_clean":
        name = rng.choice(pools.red)
        years = 3
        return spec(
            measure_id,
            template,
            f'listed("{name}") or (no record where dishonest within {years}y)',
            kind="incentive",
            impact="benefit",
            lists=(name,),
            years=years,
        )
    raise ValueError(f"unknown template `{template}`")


#: condition shapes of the measures of other sectors (:func:`inert_measures`): only those a
#: record can trigger by its list or domain, so that none of them reaches the population
SECTOR_TEMPLATES: tuple[tuple[str, int], ...] = (
    ("listed", 30),
    ("listed_adult", 8),
    ("listed_either", 8),
    ("listed_repeat", 5),
    ("count_penalties", 15),
    ("any_domain", 12),
    ("related_listed", 6),
    ("red", 6),
)

#: measures per sector in :func:`inert_measures` (a memorandum of one sector lists a few dozen)
SECTOR_SIZE = 50


def sector_count(n_inert: int) -> int:
    """How many other sectors :func:`inert_measures` spreads ``n_inert`` measures over."""
    return max(1, -(-n_inert // SECTOR_SIZE)) if n_inert > 0 else 0


def _sector(index: int) -> str:
    return f"sector_{index + 1:02d}"


def sector_lists(n_sectors: int) -> dict[str, dict[str, str]]:
    """The lists of ``n_sectors`` other sectors: two black, one key-attention and two red each.

    No generated record is on any of them (:func:`generate` draws from the vocabulary it is
    given, the synthetic one by default)."""
    lists: dict[str, dict[str, str]] = {}
    for index in range(n_sectors):
        name, number = _sector(index), index + 1
        lists[f"{name}_black"] = {
            "title": f"第 {number} 行业失信联合惩戒对象名单（合成）",
            "kind": "black",
            "gravity": "serious",
            "category": "disrupt_market_order",
        }
        lists[f"{name}_severe"] = {
            "title": f"第 {number} 行业严重失信主体名单（合成）",
            "kind": "black",
            "gravity": "severe",
            "category": "endanger_health_life",
        }
        lists[f"{name}_attention"] = {
            "title": f"第 {number} 行业重点关注对象名单（合成）",
            "kind": "key_attention",
            "gravity": "general",
        }
        lists[f"{name}_red"] = {"title": f"第 {number} 行业红名单（合成）", "kind": "red"}
        lists[f"{name}_model"] = {"title": f"第 {number} 行业诚信典型（合成）", "kind": "red"}
    return lists


def sector_domains(n_sectors: int) -> dict[str, str]:
    """The domains of ``n_sectors`` other sectors, one each (no generated record has one)."""
    return {_sector(index): f"第 {index + 1} 行业领域（合成）" for index in range(n_sectors)}


def inert_measures(n_inert: int, *, seed: int, first: int = 0) -> list[MeasureSpec]:
    """Measures of other sectors: conditions on lists and domains no generated record has.

    They model the bulk of a national catalog — memoranda of sectors a given subject has
    nothing to do with — so that adding them grows the catalog without growing what any
    subject's records can trigger. Ids are numbered from ``first``.
    """
    rng = random.Random(seed ^ 0x1AE47)
    n_sectors = sector_count(n_inert)
    templates: list[str] = []
    total = sum(weight for _, weight in SECTOR_TEMPLATES)
    for template, weight in SECTOR_TEMPLATES:
        templates.extend([template] * max(1, round(n_inert * weight / total)))
    while len(templates) < n_inert:
        templates.append(_weighted(rng, SECTOR_TEMPLATES))
    rng.shuffle(templates)
    specs: list[MeasureSpec] = []
    for offset, template in enumerate(templates[:n_inert]):
        # every sector gets its share in turn, so that each sector's lists are all used
        sector = _sector(offset % n_sectors)
        measure_id = f"syn-{first + offset:04d}-{sector}-{template}".replace("_", "-")
        specs.append(_spec(rng, measure_id, template, _sector_pools(sector)))
    return specs


def _sector_pools(sector: str) -> _Pools:
    """The names of one other sector (:func:`sector_lists`, :func:`sector_domains`)."""
    return _Pools(
        black=(f"{sector}_black", f"{sector}_severe"),
        attention=(f"{sector}_attention",),
        red=(f"{sector}_red", f"{sector}_model"),
        domains=(sector,),
        related_lists=(f"{sector}_severe",),
        roles=("legal_representative", "principal"),
    )


def synthetic_measures(n_measures: int, *, seed: int) -> list[MeasureSpec]:
    """The measures of :func:`synthetic_catalog`, as structured values."""
    if n_measures < 1:
        raise ValueError("a synthetic catalog needs at least one measure")
    rng = random.Random(seed)
    total = sum(weight for _, weight in TEMPLATES)
    # Every template appears in proportion to its weight (at least once when n allows), then
    # the order is shuffled so that catalog position says nothing about the shape.
    templates: list[str] = []
    for template, weight in TEMPLATES:
        templates.extend([template] * max(1, round(n_measures * weight / total)))
    while len(templates) < n_measures:
        templates.append(_weighted(rng, TEMPLATES))
    rng.shuffle(templates)
    templates = templates[:n_measures]
    return [_spec(rng, f"syn-{i:04d}-{t.replace('_', '-')}", t) for i, t in enumerate(templates)]


_TARGETS_RESTRICTION = [
    "legal_person",
    "unincorporated_org",
    "individual_business",
    "natural_person",
    "public_institution",
    "legal_representative",
    "principal",
]
_TARGETS_INCENTIVE = [
    "legal_person",
    "unincorporated_org",
    "individual_business",
    "natural_person",
    "public_institution",
]


_BASIS_TITLE = "国务院关于建立完善守信联合激励和失信联合惩戒制度加快推进社会诚信建设的指导意见"


def _measure_yaml(spec: MeasureSpec, rng: random.Random) -> dict[str, object]:
    restriction = spec.kind == "restriction"
    if spec.template.startswith("listed") or spec.template in ("red", "red_clean"):
        duration = "while_listed"
    elif restriction:
        duration = rng.choice(("P1Y", "P3Y", "until_repaired"))
    else:
        duration = "P1Y"
    data: dict[str, object] = {
        "id": spec.id,
        "title": f"{'限制' if restriction else '激励'}措施 {spec.id}（合成）",
        "kind": spec.kind,
        "list": "mandatory" if rng.random() < 0.6 else "recommended",
        "category": "incentive" if not restriction else rng.choice(("administrative", "market")),
        "targets": _TARGETS_RESTRICTION if restriction else _TARGETS_INCENTIVE,
        "when": spec.when,
        "duration": duration,
        "impact": spec.impact,
        "legal_basis": [
            {
                "title": _BASIS_TITLE,
                "number": "国发〔2016〕33号",
                "rank": "central_policy",
            }
        ],
        "implementers": ["发展改革部门", "市场监管部门"],
        "initiator": "社会信用体系建设牵头部门",
    }
    if restriction and rng.random() < 0.3:
        data["applies_in"] = sorted(rng.sample(list(SYNTHETIC_MATTERS), 2))
    if spec.template == "poor_rating":
        # As the shipped catalogs do: graded supervision rests on an evaluation, not on graded
        # conduct, so the proportion lint (CR-L103) is acknowledged with the reason.
        data["acknowledged"] = [
            {
                "code": "CR-L103",
                "reason": "graded supervision by credit grade (国办发〔2019〕35号) rests on an "
                "evaluation, not on graded dishonest conduct",
            }
        ]
    return data


def catalog_measures(n_measures: int, *, seed: int, inert: int = 0) -> list[MeasureSpec]:
    """The measures of ``synthetic_catalog(n_measures, seed=seed, inert=inert)``, in order."""
    return synthetic_measures(n_measures, seed=seed) + inert_measures(
        inert, seed=seed, first=n_measures
    )


def synthetic_catalog(n_measures: int, *, seed: int, inert: int = 0) -> str:
    """The YAML text of a valid basic catalog with ``n_measures`` synthetic measures, then
    ``inert`` measures of other sectors (:func:`inert_measures`) with those sectors' lists and
    domains in its vocabulary."""
    measures = catalog_measures(n_measures, seed=seed, inert=inert)
    n_sectors = sector_count(inert)
    rng = random.Random(seed ^ 0x5EED)
    name = f"synthetic-{n_measures}-{seed}" + (f"-inert-{inert}" if inert else "")
    title = f"{n_measures} 项" + (f"，另 {n_sectors} 个行业 {inert} 项" if inert else "")
    document = {
        "catalog": {
            "id": name,
            "title": f"合成措施清单（{title}，种子 {seed}）",
            "level": "basic",
            "issuer": "基准测试",
            "jurisdiction": "全国",
            "version": "1",
            "effective_from": "2016-05-30",
        },
        "vocabulary": {
            "lists": {**SYNTHETIC_LISTS, **sector_lists(n_sectors)},
            "domains": {**SYNTHETIC_DOMAINS, **sector_domains(n_sectors)},
            "ratings": SYNTHETIC_RATINGS,
            "matters": SYNTHETIC_MATTERS,
        },
        "policy": _POLICY_YAML,
        "measures": [_measure_yaml(spec, rng) for spec in measures],
    }
    header = (
        "# Synthetic catalog generated by benchmarks/generate.py "
        f"(n_measures={n_measures}, seed={seed}{f', inert={inert}' if inert else ''}); "
        "do not edit.\n"
    )
    text = yaml.dump(document, Dumper=_PlainDumper, allow_unicode=True, sort_keys=False, width=120)
    return header + text


class _PlainDumper(yaml.SafeDumper):
    """Writes shared values out in full: catalogs may not use anchors and aliases (CR-E104)."""

    def ignore_aliases(self, data: object) -> bool:
        return True
