"""The catalog and record model: frozen values named after the glossary in DESIGN.md.

Input: nothing (leaf module besides ``spans``). Output: the classes every later stage uses.
Catalog objects are built by ``catalog.py``, records by ``records.py``; nothing here parses.
"""

from __future__ import annotations

import calendar
import datetime
import enum
import functools
import re
from collections.abc import Mapping

import attrs

from credit_rules.spans import Span

# ---------------------------------------------------------------------------------------------
# Enumerations


class _Named(enum.Enum):
    """An enum whose value is its glossary identifier.

    Members hash by identity (they are singletons): enum.Enum's own ``__hash__`` is Python
    code, and these enums are looked up in sets and dicts on every record evaluated.
    """

    __hash__ = object.__hash__

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Every identifier, in declaration order."""
        return tuple(str(member.value) for member in cls)


class _Ordered(_Named):
    """An enum ordered by declaration (least first)."""

    @functools.cached_property
    def rank(self) -> int:
        """Position in declaration order, 0 for the least (kept on the member once read:
        comparisons and gravity checks read it for every record they weigh)."""
        return list(type(self)).index(self)

    def __lt__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _Ordered)
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _Ordered)
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _Ordered)
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _Ordered)
        return self.rank >= other.rank


class MeasureKind(_Named):
    """守信激励措施 or 失信惩戒措施."""

    INCENTIVE = "incentive"
    RESTRICTION = "restriction"


class MeasureList(_Named):
    """强制性措施 (must be applied jointly by law) or 推荐性措施 (may be applied)."""

    MANDATORY = "mandatory"
    RECOMMENDED = "recommended"


class CatalogLevel(_Named):
    """全国基础清单 or 省级补充清单."""

    BASIC = "basic"
    SUPPLEMENTARY = "supplementary"


class SubjectKind(_Named):
    """信用主体的类别."""

    LEGAL_PERSON = "legal_person"
    UNINCORPORATED_ORG = "unincorporated_org"
    INDIVIDUAL_BUSINESS = "individual_business"
    NATURAL_PERSON = "natural_person"
    PUBLIC_INSTITUTION = "public_institution"


class Role(_Named):
    """The role a natural person holds in an organisation (落实到人)."""

    LEGAL_REPRESENTATIVE = "legal_representative"
    PRINCIPAL = "principal"
    ACTUAL_CONTROLLER = "actual_controller"
    DIRECTLY_RESPONSIBLE = "directly_responsible"
    DIRECTOR = "director"
    SHAREHOLDER = "shareholder"
    SENIOR_MANAGER = "senior_manager"
    REGISTERED_PRACTITIONER = "registered_practitioner"


class RecordKind(_Named):
    """What a credit record records."""

    ADMINISTRATIVE_PENALTY = "administrative_penalty"
    ADMINISTRATIVE_RULING = "administrative_ruling"
    JUDGMENT = "judgment"
    ARBITRATION = "arbitration"
    LIST_ENTRY = "list_entry"
    RATING = "rating"
    CREDIT_COMMITMENT = "credit_commitment"
    COMMENDATION = "commendation"
    ADMINISTRATIVE_LICENCE = "administrative_licence"


#: Record kinds that record dishonest conduct by default (list entries depend on the list).
DISHONEST_KINDS = frozenset(
    {
        RecordKind.ADMINISTRATIVE_PENALTY,
        RecordKind.ADMINISTRATIVE_RULING,
        RecordKind.JUDGMENT,
        RecordKind.ARBITRATION,
    }
)


class RecordStatus(_Named):
    """Where a record stands: in force, disputed (异议), or no longer in force."""

    ACTIVE = "active"
    OBJECTION_PENDING = "objection_pending"
    REVOKED = "revoked"
    CORRECTED = "corrected"
    REPAIRED = "repaired"


class Severity(_Ordered):
    """Gravity of dishonest conduct: 一般 < 较重/严重 < 特别严重."""

    GENERAL = "general"
    SERIOUS = "serious"
    SEVERE = "severe"


class Rank(_Named):
    """Rank of a legal basis (实施依据的效力层级)."""

    LAW = "law"
    ADMINISTRATIVE_REGULATION = "administrative_regulation"
    CENTRAL_POLICY = "central_policy"
    DEPARTMENTAL_RULE = "departmental_rule"
    LOCAL_REGULATION = "local_regulation"
    LOCAL_GOVERNMENT_RULE = "local_government_rule"
    JUDICIAL_INTERPRETATION = "judicial_interpretation"
    NORMATIVE_DOCUMENT = "normative_document"


class Impact(_Ordered):
    """How far a measure reaches into a subject's rights, least first (过惩相当)."""

    BENEFIT = "benefit"
    SUPERVISION = "supervision"
    DISCLOSURE = "disclosure"
    RESTRICT_BENEFITS = "restrict_benefits"
    RESTRICT_RIGHTS = "restrict_rights"
    MARKET_BAN = "market_ban"


class ListKind(_Named):
    """Red list (诚信典型), black list (严重失信主体名单) or key-attention list."""

    RED = "red"
    BLACK = "black"
    KEY_ATTENTION = "key_attention"


class Sector(_Named):
    """Who carries out a measure; only ``public`` bodies can be compelled."""

    PUBLIC = "public"
    FINANCIAL = "financial"
    CREDIT_SERVICE = "credit_service"
    ASSOCIATION = "association"
    MEDIA = "media"
    ENTERPRISE = "enterprise"


class DurationKind(_Named):
    """How a measure's period is fixed (惩戒期限)."""

    PERIOD = "period"
    WHILE_LISTED = "while_listed"
    UNTIL_REPAIRED = "until_repaired"
    PERMANENT = "permanent"


class LenienceAction(_Named):
    """What the lenience policy does with a record: set it aside or count it as less grave."""

    SET_ASIDE = "set_aside"
    REDUCE = "reduce"


# ---------------------------------------------------------------------------------------------
# Periods

_PERIOD_ISO = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?$")


@attrs.frozen(slots=True, order=False)
class Period:
    """A calendar period of years, months and days.

    >>> Period.parse("P1Y6M").add_to(datetime.date(2024, 2, 29))
    datetime.date(2025, 8, 29)
    >>> Period(years=2).iso()
    'P2Y'
    """

    years: int = 0
    months: int = 0
    days: int = 0

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read an ISO 8601 period of years, months and days; raise ValueError otherwise."""
        match = _PERIOD_ISO.match(text)
        if match is None or text == "P":
            raise ValueError(f"`{text}` is not a period such as `P3Y`, `P6M` or `P1Y6M`")
        years, months, days = (int(g) if g else 0 for g in match.groups())
        return cls(years, months, days)

    def iso(self) -> str:
        """The ISO 8601 text, ``P0D`` for the empty period."""
        text = "P"
        text += f"{self.years}Y" if self.years else ""
        text += f"{self.months}M" if self.months else ""
        text += f"{self.days}D" if self.days else ""
        return text if text != "P" else "P0D"

    def add_to(self, date: datetime.date) -> datetime.date:
        """``date`` moved forward; a day past the month's end clamps to its last day."""
        return _shift(date, self.years, self.months, self.days)

    def subtract_from(self, date: datetime.date) -> datetime.date:
        """``date`` moved back; a day past the month's end clamps to its last day."""
        return _shift(date, -self.years, -self.months, -self.days)


@functools.lru_cache(maxsize=65536)
def _shift(date: datetime.date, years: int, months: int, days: int) -> datetime.date:
    month_index = date.year * 12 + (date.month - 1) + years * 12 + months
    year, month = divmod(month_index, 12)
    month += 1
    if year < datetime.MINYEAR:
        return datetime.date.min
    if year > datetime.MAXYEAR:
        return datetime.date.max
    last = _month_length(year, month)
    moved = datetime.date(year, month, min(date.day, last))
    try:
        return moved + datetime.timedelta(days=days)
    except OverflowError:
        return datetime.date.max if days > 0 else datetime.date.min


def _month_length(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (datetime.date(year, month + 1, 1) - datetime.date(year, month, 1)).days


@attrs.frozen(slots=True)
class Duration:
    """A measure's period: a fixed period, while listed, until repaired, or permanent."""

    kind: DurationKind
    period: Period | None = None

    def text(self) -> str:
        """As written in a catalog (``P3Y``, ``while_listed`` …)."""
        if self.kind is DurationKind.PERIOD and self.period is not None:
            return self.period.iso()
        return self.kind.value


# ---------------------------------------------------------------------------------------------
# Catalog


@attrs.frozen(slots=True)
class LegalBasis:
    """实施依据: the document (and article) a measure rests on."""

    title: str
    rank: Rank
    number: str | None = None
    article: str | None = None
    allows_permanent: bool = False


@attrs.frozen(slots=True)
class Implementer:
    """实施主体: a body that carries out a measure, and whether it is public administration."""

    name: str
    sector: Sector = Sector.PUBLIC


@attrs.frozen(slots=True)
class SourceRef:
    """Where in its source document a measure is stated."""

    document: str | None = None
    section: str | None = None


@attrs.frozen(slots=True)
class Acknowledgement:
    """A lint finding the catalog's authors accept, with their reason."""

    code: str
    reason: str


@attrs.frozen(slots=True)
class Measure:
    """One incentive or restriction of a catalog, with everything an auditor asks about."""

    id: str
    title: str
    kind: MeasureKind
    list: MeasureList
    when: str
    duration: Duration
    impact: Impact
    target_kinds: tuple[SubjectKind, ...]
    target_roles: tuple[Role, ...]
    legal_basis: tuple[LegalBasis, ...]
    implementers: tuple[Implementer, ...] = ()
    initiator: str | None = None
    category: str | None = None
    applies_in: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    repairable: bool = True
    overrides_restrictions: bool = False
    source: SourceRef | None = None
    notes: str | None = None
    acknowledged: tuple[Acknowledgement, ...] = ()
    catalog_id: str = ""
    #: position of the measure mapping in its file
    span: Span | None = attrs.field(default=None, eq=False, repr=False)
    #: position of the first character of the ``when:`` text inside the YAML scalar
    when_span: Span | None = attrs.field(default=None, eq=False, repr=False)
    #: line/column of each character offset of ``when`` (for block and quoted scalars)
    when_positions: tuple[tuple[int, int], ...] = attrs.field(default=(), eq=False, repr=False)

    @property
    def advisory(self) -> bool:
        """Recommended and carried out by a body outside public administration."""
        return self.list is MeasureList.RECOMMENDED and any(
            i.sector is not Sector.PUBLIC for i in self.implementers
        )


@attrs.frozen(slots=True)
class ListDef:
    """A named list (名单) the conditions may consult."""

    name: str
    title: str
    kind: ListKind
    gravity: Severity | None = None
    category: str | None = None
    #: further categories of conduct, for a list spanning several (严重失信主体名单 covers four)
    categories: tuple[str, ...] = ()

    @property
    def covers(self) -> tuple[str, ...]:
        """Every category of conduct the list declares (``category`` first), or ``()``."""
        declared = ((self.category,) if self.category else ()) + self.categories
        return tuple(dict.fromkeys(declared))


@attrs.frozen(slots=True)
class RatingScheme:
    """A rating scheme (e.g. 纳税信用等级) and its grades, best first."""

    name: str
    title: str
    grades: tuple[str, ...]


@attrs.frozen(slots=True)
class Vocabulary:
    """The names a catalog's conditions may use."""

    lists: Mapping[str, ListDef] = attrs.field(factory=dict)
    domains: Mapping[str, str] = attrs.field(factory=dict)
    ratings: Mapping[str, RatingScheme] = attrs.field(factory=dict)
    matters: Mapping[str, str] = attrs.field(factory=dict)
    #: record tags the conditions may test (e.g. the listing grounds of 法释〔2017〕7号)
    tags: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen(slots=True)
class PublicationPeriod:
    """How long a penalty record is published: repair possible after ``min``, ends at ``max``."""

    min: Period
    max: Period


@attrs.frozen(slots=True)
class Policy:
    """Proportion, lenience and publication rules, as catalog data."""

    publication: Mapping[Severity, PublicationPeriod] = attrs.field(factory=dict)
    #: least gravity of triggering conduct for each impact; None means no trigger needed
    proportion: Mapping[Impact, Severity | None] = attrs.field(factory=dict)
    #: fact (minor, force_majeure, unintentional_minor, unintentional) → action
    lenience: Mapping[str, LenienceAction] = attrs.field(factory=dict)
    listing_categories: tuple[str, ...] = ()
    #: impacts that reduce rights or add obligations, and so need a basis of sufficient rank
    legality_impacts: tuple[Impact, ...] = ()
    #: ranks sufficient for such a measure in a basic catalog
    basic_ranks: tuple[Rank, ...] = ()
    #: ranks sufficient for such a measure in a supplementary catalog
    supplementary_ranks: tuple[Rank, ...] = ()


@attrs.frozen(slots=True)
class DocumentRef:
    """A document by title and number (文号)."""

    title: str | None = None
    number: str | None = None


@attrs.frozen(slots=True)
class CatalogInfo:
    """A catalog file's own metadata."""

    id: str
    title: str
    level: CatalogLevel
    issuer: str
    effective_from: datetime.date | None = None
    effective_until: datetime.date | None = None
    version: str | None = None
    jurisdiction: str | None = None
    region: str | None = None
    document: DocumentRef | None = None
    extends: str | None = None
    path: str = ""


@attrs.frozen(slots=True)
class Catalog:
    """A layered catalog: a basic list and the supplementary lists that extend it."""

    info: CatalogInfo
    layers: tuple[CatalogInfo, ...]
    vocabulary: Vocabulary
    policy: Policy
    measures: tuple[Measure, ...]
    #: sha256 of the normalised catalog data of every layer
    fingerprint: str = ""
    #: (path, text) of every file read, for error context
    sources: tuple[tuple[str, str], ...] = attrs.field(default=(), eq=False, repr=False)

    def measure(self, measure_id: str) -> Measure:
        """The measure with this id; KeyError if there is none."""
        for measure in self.measures:
            if measure.id == measure_id:
                return measure
        raise KeyError(measure_id)

    def source_text(self, path: str) -> str | None:
        """The text of a file this catalog was read from."""
        for source_path, text in self.sources:
            if source_path == path:
                return text
        return None


# ---------------------------------------------------------------------------------------------
# Subjects and records


@attrs.frozen(slots=True)
class Subject:
    """信用主体: an organisation or a natural person."""

    id: str
    kind: SubjectKind
    name: str = ""
    uscc: str | None = None
    resident_id: str | None = None
    region: str | None = None
    state_owned: bool = False
    birth_date: datetime.date | None = None
    span: Span | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def is_person(self) -> bool:
        """A natural person (as opposed to any kind of organisation)."""
        return self.kind is SubjectKind.NATURAL_PERSON

    def minor_on(self, date: datetime.date) -> bool:
        """Under 18 on ``date``; False when the birth date is unknown."""
        born = self.birth_date
        if born is None:
            return False
        # The 18th birthday, compared field by field: a date's replace() is a slow call, and
        # this runs for every person on every evaluation. Born on 29 February, one comes of
        # age on 1 March in a year that has none.
        years = date.year - born.year
        if years != 18:
            return years < 18
        birthday = (born.month, born.day)
        if birthday == (2, 29) and not calendar.isleap(date.year):
            birthday = (3, 1)
        return (date.month, date.day) < birthday


@attrs.frozen(slots=True)
class EffectiveDocument:
    """The legally effective document a record rests on (e.g. 行政处罚决定书 and its number)."""

    kind: str
    number: str | None = None


@attrs.frozen(slots=True)
class LenienceFacts:
    """Facts that call for lenience (宽容审慎)."""

    minor: bool = False
    force_majeure: bool = False
    unintentional: bool = False

    @classmethod
    def of(cls, *, minor: bool, force_majeure: bool, unintentional: bool) -> LenienceFacts:
        """The facts, as :data:`NO_LENIENCE` itself when there are none (so that most records
        share one value, and ``record.lenience is NO_LENIENCE`` tells them apart cheaply)."""
        if not (minor or force_majeure or unintentional):
            return NO_LENIENCE
        return cls(minor, force_majeure, unintentional)


#: no fact calls for lenience: every record's default, shared
NO_LENIENCE = LenienceFacts()


@attrs.frozen(slots=True)
class Record:
    """信用记录: one penalty, judgment, list entry, rating, commitment …"""

    id: str
    subject_id: str
    kind: RecordKind
    decided_on: datetime.date
    domain: str | None = None
    severity: Severity | None = None
    document: EffectiveDocument | None = None
    authority: str | None = None
    status: RecordStatus = RecordStatus.ACTIVE
    status_since: datetime.date | None = None
    tags: frozenset[str] = frozenset()
    lenience: LenienceFacts = NO_LENIENCE
    #: list entries
    list_name: str | None = None
    exit_on: datetime.date | None = None
    category: str | None = None
    #: ratings
    scheme: str | None = None
    grade: str | None = None
    valid_until: datetime.date | None = None
    #: explicit end of publication, overriding the policy's maximum period
    expires_on: datetime.date | None = None
    #: None: decided by kind (and list kind for list entries)
    dishonest: bool | None = None
    span: Span | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen(slots=True)
class Related:
    """A related subject with its records.

    For an organisation, the person holds ``role`` in it; for a natural person, the person
    holds ``role`` in the related organisation.
    """

    role: Role
    subject: Subject
    records: tuple[Record, ...] = ()
    since: datetime.date | None = None
    until: datetime.date | None = None

    def current_on(self, date: datetime.date) -> bool:
        """Whether the relation holds on ``date``."""
        if self.since is not None and self.since > date:
            return False
        return self.until is None or self.until > date


@attrs.frozen(slots=True)
class Dossier:
    """Everything evaluated for one subject: the subject, its records and related subjects."""

    subject: Subject
    records: tuple[Record, ...] = ()
    related: tuple[Related, ...] = ()
