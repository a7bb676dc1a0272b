"""Runtime checks on a triggered measure: 合法、关联、比例 (legality, relevance, proportion).

Input: a measure, the witness records that triggered it (normalised by ``facts.py``: set-aside
records never reach here, ``dishonest`` is resolved, lenience reductions are applied to
``severity``), and the catalog's policy and vocabulary. Output: :class:`~credit_rules.decision.
Check` values. A failed check sets the measure aside for that target, and the decision says
which check and why. The rules are data (``policy.proportion``, ``policy.listing_categories``,
``measure.domains``, list gravities and categories), never constants here.

The checks, in the order they are reported:

- ``CR-C003`` legally effective document: every record that grades conduct for a restriction
  (see :func:`gravity_of`), other than a list entry, names the legally effective document it
  rests on. ``facts.py`` already sets aside dishonest records without one; this catches the
  rest (for example a penalty marked ``dishonest: false`` that a condition still counts).
- ``CR-C004`` listing category: an entry of a serious-dishonesty list (black, gravity severe)
  among the witnesses is for a category of conduct the list covers and the policy permits
  (``listing_categories``). An entry that names no category passes.
- ``CR-C002`` relevance: a measure with ``domains`` has a witness of one of those domains.
- ``CR-C001`` gravity: the gravest conduct among the witnesses (only those of the measure's
  domains, when it has domains; not checked when CR-C002 failed) meets
  ``policy.proportion[impact]``.

Lenience (a minor, force majeure, an unintentional minor fault) is applied before any condition
is evaluated (``facts.py``): a record the policy sets aside is listed in the decision's
``set_aside`` with reason ``lenience``, and a reduced record counts one step less grave, so
CR-C001 judges the reduced gravity.

:func:`gravity_of` is the single definition of "how grave is the conduct a record records";
``lint.py`` proves, for CR-L103 and CR-L104, that a lint-clean restriction never fails CR-C001
or CR-C002, reasoning about exactly this definition.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from credit_rules.decision import Check
from credit_rules.model import (
    DISHONEST_KINDS,
    ListDef,
    ListKind,
    Measure,
    MeasureKind,
    Policy,
    Record,
    RecordKind,
    Severity,
    Vocabulary,
)

GRAVITY = "CR-C001"
RELEVANCE = "CR-C002"
DOCUMENT = "CR-C003"
LISTING_CATEGORY = "CR-C004"

#: every runtime check code, in the order checks are reported
CODES = (DOCUMENT, LISTING_CATEGORY, RELEVANCE, GRAVITY)

#: list kinds whose entries record dishonest conduct of the list's declared gravity
GRADED_LISTS = frozenset({ListKind.BLACK, ListKind.KEY_ATTENTION})


def gravity_of(record: Record, vocabulary: Vocabulary) -> Severity | None:
    """How grave the conduct a (normalised) record records is (None: it grades no conduct).

    The gravest of:

    - for an entry of a black or key-attention list, the gravity its list declares (being
      listed is the recognition);
    - for a penalty, ruling, judgment or arbitral award, whatever its ``dishonest`` flag says,
      and for any other record marked dishonest: its ``severity``, ``general`` when it states
      none (every recorded dishonest act is at least a general one, as ``facts.py`` also reads
      it for lenience).

    So a red-list entry, a rating or a commitment grades nothing unless marked dishonest.
    """
    listed_gravity: Severity | None = None
    kind = record.kind
    if kind is RecordKind.LIST_ENTRY:
        listed = vocabulary.lists.get(record.list_name or "")
        if listed is not None and listed.kind in GRADED_LISTS:
            listed_gravity = listed.gravity
    if kind in DISHONEST_KINDS or record.dishonest is True:
        own = record.severity or Severity.GENERAL
        if listed_gravity is None or own.rank > listed_gravity.rank:
            return own
    return listed_gravity


def list_categories(listed: ListDef, policy: Policy) -> tuple[str, ...]:
    """The categories of conduct entries of a serious-dishonesty list (black, gravity severe)
    may be for: those it declares that the policy permits (all permitted ones when it declares
    none). ``()`` for any other list, or when the policy permits no categories: not checked."""
    permitted = policy.listing_categories
    if listed.kind is not ListKind.BLACK or listed.gravity is not Severity.SEVERE or not permitted:
        return ()
    declared = listed.covers
    return tuple(c for c in declared if c in permitted) if declared else permitted


def runtime_checks(
    measure: Measure,
    witnesses: Iterable[Record],
    *,
    policy: Policy,
    vocabulary: Vocabulary,
) -> tuple[Check, ...]:
    """The checks a triggered measure must pass before it applies, in :data:`CODES` order.

    Restrictions get all four; an incentive gets only the relevance check, and only when it
    has ``domains``. Every check is reported, passed or failed, so the decision shows what was
    checked.
    """
    records = tuple(witnesses)
    checks: list[Check] = []
    if measure.kind is MeasureKind.RESTRICTION:
        checks.extend(_document(records, vocabulary))
        checks.extend(_listing_category(records, policy, vocabulary))
    relevant = records
    if measure.domains:
        relevant = tuple(r for r in records if r.domain in measure.domains)
        checks.append(_relevance(measure, records, relevant))
    if measure.kind is MeasureKind.RESTRICTION and (relevant or not measure.domains):
        # INVARIANT: with domains, only conduct of those domains is weighed (CR-L103 proves
        # the pair "relevant and grave enough" for lint-clean measures)
        gravity = _gravity(measure, relevant, policy, vocabulary)
        if gravity is not None:
            checks.append(gravity)
    return tuple(checks)


#: the passed checks whose words name no record (one value each, shared by every decision)
_DOCUMENTS_GIVEN = Check(
    DOCUMENT,
    True,
    "the triggering conduct rests on legally effective documents",
    "触发的失信行为均有生效法律文书认定",
)
_CATEGORIES_COVERED = Check(
    LISTING_CATEGORY,
    True,
    "list entries are for categories their lists cover",
    "名单记录均在其名单的法定认定范围内",
)


def _document(records: Sequence[Record], vocabulary: Vocabulary) -> list[Check]:
    conduct = [
        r
        for r in records
        if r.kind is not RecordKind.LIST_ENTRY and gravity_of(r, vocabulary) is not None
    ]
    if not conduct:
        return []
    missing = [r for r in conduct if r.document is None]
    if missing:
        return [_no_document(missing)]
    return [_DOCUMENTS_GIVEN]


def _no_document(missing: Sequence[Record]) -> Check:
    names = ", ".join(f"`{r.id}`" for r in missing)
    return Check(
        DOCUMENT,
        False,
        f"{names} {'rests' if len(missing) == 1 else 'rest'} on no legally effective "
        "document (判决书, 仲裁裁决书, 行政处罚决定书 …)",
        f"{names} 未载明生效法律文书（判决书、仲裁裁决书、行政处罚决定书等）",
    )


def _listing_category(
    records: Sequence[Record], policy: Policy, vocabulary: Vocabulary
) -> list[Check]:
    entries = [
        (r, listed)
        for r in records
        if r.kind is RecordKind.LIST_ENTRY
        and (listed := vocabulary.lists.get(r.list_name or "")) is not None
    ]
    checked = [(r, listed, list_categories(listed, policy)) for r, listed in entries]
    checked = [(r, listed, allowed) for r, listed, allowed in checked if allowed]
    if not checked:
        return []
    for record, listed, allowed in checked:
        if record.category is not None and record.category not in allowed:
            return [_not_covered(record, listed, allowed)]
    return [_CATEGORIES_COVERED]


def _not_covered(record: Record, listed: ListDef, allowed: Sequence[str]) -> Check:
    return Check(
        LISTING_CATEGORY,
        False,
        f"list entry `{record.id}` is for `{record.category}`, which list "
        f"`{listed.name}` may not cover (only " + ", ".join(f"`{c}`" for c in allowed) + ")",
        f"名单记录 `{record.id}` 的认定领域 `{record.category}` 不在"
        f"{listed.title}的法定范围内（" + "、".join(f"`{c}`" for c in allowed) + "）",
    )


def _relevance(measure: Measure, records: Sequence[Record], relevant: Sequence[Record]) -> Check:
    wanted = ", ".join(f"`{d}`" for d in measure.domains)
    if relevant:
        found = ", ".join(f"`{r.id}`" for r in relevant)
        return Check(
            RELEVANCE,
            True,
            f"conduct of domain {wanted}: {found}",
            f"领域 {wanted} 的失信行为：{found}",
        )
    if not records:
        return Check(
            RELEVANCE,
            False,
            f"no triggering record, so none of domain {wanted}",
            f"无触发记录，故无领域 {wanted} 的失信行为",
        )
    domains = sorted({r.domain for r in records if r.domain is not None})
    found = "of domain " + ", ".join(f"`{d}`" for d in domains) if domains else "without a domain"
    return Check(
        RELEVANCE,
        False,
        f"the triggering records are {found}, not of the measure's domain {wanted}",
        f"触发记录不属于该措施的领域 {wanted}（不符合关联原则）",
    )


def _gravity(
    measure: Measure, records: Sequence[Record], policy: Policy, vocabulary: Vocabulary
) -> Check | None:
    required = policy.proportion.get(measure.impact)
    if required is None:
        return None
    worst: Severity | None = None
    record: Record | None = None
    for candidate in records:
        found = gravity_of(candidate, vocabulary)
        if found is None:
            continue
        if (
            worst is None
            or found.rank > worst.rank
            or (found is worst and record is not None and candidate.id > record.id)
        ):
            worst, record = found, candidate
    return _gravity_check(measure, required, worst, record)


def _gravity_check(
    measure: Measure, required: Severity, worst: Severity | None, record: Record | None
) -> Check:
    """CR-C001's result: the gravest conduct (``worst``, of ``record``) against ``required``."""
    impact = measure.impact._value_  # .value is a Python property on 3.11
    if worst is None or record is None:
        return Check(
            GRAVITY,
            False,
            f"impact `{impact}` needs conduct of gravity `{required._value_}` or more; "
            "no triggering record grades any conduct",
            f"影响程度 `{impact}` 要求失信行为严重程度不低于 `{required._value_}`；"
            "触发记录未认定任何失信行为的严重程度",
        )
    if worst.rank < required.rank:
        return Check(
            GRAVITY,
            False,
            f"impact `{impact}` needs conduct of gravity `{required._value_}` or more; "
            f"the gravest is `{worst._value_}` (`{record.id}`)",
            f"影响程度 `{impact}` 要求失信行为严重程度不低于 `{required._value_}`；"
            f"最严重的为 `{worst._value_}`（`{record.id}`），不符合过惩相当",
        )
    return Check(
        GRAVITY,
        True,
        f"conduct of gravity `{worst._value_}` (`{record.id}`) meets `{required._value_}` "
        f"for impact `{impact}`",
        f"失信行为严重程度 `{worst._value_}`（`{record.id}`）达到影响程度 `{impact}` "
        f"所要求的 `{required._value_}`",
    )


class Checker:
    """:func:`runtime_checks` for one catalog, with what it looks up found once.

    The engine runs the checks for every hit, and on the benchmark's population most of their
    cost was looking the same things up again (a list's gravity and categories, what an impact
    requires) through small comprehensions, not the work itself. The same decisions, in one
    pass over the witnesses; a property test holds it to :func:`runtime_checks`.
    """

    __slots__ = ("_categories", "_graded", "_required")

    def __init__(self, policy: Policy, vocabulary: Vocabulary) -> None:
        #: graded list name -> the gravity it declares (``gravity_of`` of its entries)
        self._graded = {
            name: listed.gravity
            for name, listed in vocabulary.lists.items()
            if listed.kind in GRADED_LISTS
        }
        #: list name -> the list and the categories its entries may be for (when checked)
        self._categories = {
            name: (listed, allowed)
            for name, listed in vocabulary.lists.items()
            if (allowed := list_categories(listed, policy))
        }
        #: impact -> the gravity it requires
        self._required = dict(policy.proportion)

    def checks(self, measure: Measure, records: tuple[Record, ...]) -> tuple[Check, ...]:
        """``runtime_checks(measure, records, policy=…, vocabulary=…)``."""
        restriction = measure.kind is _RESTRICTION
        found: list[Check] = []
        if restriction:
            conduct = False
            missing: list[Record] = []
            covered = False
            uncovered: tuple[Record, ListDef, tuple[str, ...]] | None = None
            categories = self._categories
            for record in records:
                if record.kind is _LIST_ENTRY:
                    listed = categories.get(record.list_name or "")
                    if listed is not None:
                        covered = True
                        category = record.category
                        if uncovered is None and category is not None and category not in listed[1]:
                            uncovered = (record, *listed)
                # a record other than a list entry grades conduct exactly when it is dishonest
                elif record.dishonest is True or record.kind in DISHONEST_KINDS:
                    conduct = True
                    if record.document is None:
                        missing.append(record)
            if conduct:
                found.append(_no_document(missing) if missing else _DOCUMENTS_GIVEN)
            if covered:
                found.append(_CATEGORIES_COVERED if uncovered is None else _not_covered(*uncovered))
        domains = measure.domains
        relevant = records
        if domains:
            relevant = tuple([r for r in records if r.domain in domains])
            found.append(_relevance(measure, records, relevant))
        if restriction and (relevant or not domains):
            required = self._required.get(measure.impact)
            if required is not None:
                found.append(self._gravity(measure, relevant, required))
        return tuple(found)

    def _gravity(self, measure: Measure, records: Sequence[Record], required: Severity) -> Check:
        """``_gravity``, with ``gravity_of`` inlined on the lists' gravities."""
        graded = self._graded
        worst: Severity | None = None
        worst_rank = -1
        gravest: Record | None = None
        for record in records:
            kind = record.kind
            listed = graded.get(record.list_name or "") if kind is _LIST_ENTRY else None
            grade = listed
            if kind in DISHONEST_KINDS or record.dishonest is True:
                own = record.severity or _GENERAL
                if listed is None or own.rank > listed.rank:
                    grade = own
            if grade is None:
                continue
            rank = grade.rank
            if rank > worst_rank or (
                grade is worst and gravest is not None and record.id > gravest.id
            ):
                worst, worst_rank, gravest = grade, rank, record
        return _gravity_check(measure, required, worst, gravest)


_RESTRICTION = MeasureKind.RESTRICTION
_LIST_ENTRY = RecordKind.LIST_ENTRY
_GENERAL = Severity.GENERAL
