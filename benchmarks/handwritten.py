"""Hand-written plain Python: the practical speed limit for the matcher's work in Python.

Input: the same raw :class:`~credit_rules.model.Dossier` values the engine gets, and
``as_of``. Output: an :data:`Answer` — the measure ids whose condition holds for the subject,
each with ``True`` when it holds only because of records under objection (suspended). Errors:
none.

Nothing here imports the engine, the facts module or the compiled conditions: the code does
its own record filtering (future, revoked, corrected, repaired, expired by the publication
period or the list exit date, no effective document, lenience), its own time windows and its
own condition tests, the way a programmer would write them by hand for one catalog. It is
written against docs/architecture.md, so a disagreement with the engine is either a bug in
this file or a bug in the engine — ``run.py`` names the subject and the measure either way.

- :func:`synthetic_function` is the hand-written function for the synthetic catalogs of
  ``generate.py``: one branch per condition shape, parameters from the catalog's
  :class:`~benchmarks.generate.MeasureSpec` table, measures that share a list looked up by list
  name instead of tested one by one.
- :func:`shipped_function` is the hand-written function for the shipped catalogs
  (``measures/``): one hand-written test per distinct ``when:`` text.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence

from benchmarks.generate import MeasureSpec
from credit_rules.model import (
    Dossier,
    Record,
    RecordKind,
    RecordStatus,
    Related,
    Severity,
    Subject,
    SubjectKind,
)

#: (measure id, suspended) for every measure whose condition holds
Answer = frozenset[tuple[str, bool]]

_PENALTY = RecordKind.ADMINISTRATIVE_PENALTY
_LIST_ENTRY = RecordKind.LIST_ENTRY
_RATING = RecordKind.RATING
_JUDGMENT = RecordKind.JUDGMENT
_DISHONEST_KINDS = frozenset(
    {_PENALTY, RecordKind.ADMINISTRATIVE_RULING, _JUDGMENT, RecordKind.ARBITRATION}
)
_GONE = frozenset({RecordStatus.REVOKED, RecordStatus.CORRECTED, RecordStatus.REPAIRED})
_PENDING = RecordStatus.OBJECTION_PENDING
_RANK = {Severity.GENERAL: 0, Severity.SERIOUS: 1, Severity.SEVERE: 2}
# Publication periods of both catalog families (国家发展改革委令2023年第58号): years, by rank.
_PUBLICATION_YEARS = (1, 3, 3)


def _plus_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class Rec:
    """A record that counts, with its severity after lenience and its dishonest flag."""

    __slots__ = ("dishonest", "domain", "kind", "list_name", "on", "rank", "record", "tags")

    def __init__(self, record: Record, rank: int, dishonest: bool) -> None:
        self.record = record
        self.kind = record.kind
        self.on = record.decided_on
        self.domain = record.domain
        self.rank = rank  # -1: no severity
        self.dishonest = dishonest
        self.tags = record.tags
        self.list_name = record.list_name


class View:
    """One subject's counted records (optionally with the pending ones), by hand."""

    __slots__ = (
        "kind",
        "lists",
        "minor",
        "ratings",
        "records",
        "region",
        "related",
        "state_owned",
    )

    def __init__(
        self,
        subject: Subject,
        minor: bool,
        records: list[Rec],
        related: list[tuple[str, View]],
    ) -> None:
        self.kind = subject.kind
        self.state_owned = subject.state_owned
        self.region = subject.region
        self.minor = minor
        self.records = records
        self.related = related
        self.lists: set[str] = set()
        latest: dict[str, Record] = {}
        for rec in records:
            if rec.kind is _LIST_ENTRY and rec.list_name is not None:
                self.lists.add(rec.list_name)
            elif rec.kind is _RATING:
                record = rec.record
                scheme = record.scheme
                if scheme is not None:
                    held = latest.get(scheme)
                    if held is None or (record.decided_on, record.id) >= (held.decided_on, held.id):
                        latest[scheme] = record
        self.ratings = {scheme: record.grade for scheme, record in latest.items()}


def _minor(subject: Subject, as_of: datetime.date) -> bool:
    born = subject.birth_date
    return born is not None and as_of < _plus_years(born, 18)


def split(
    subject: Subject,
    records: Iterable[Record],
    as_of: datetime.date,
    dishonest_lists: frozenset[str],
    minor: bool,
) -> tuple[list[Rec], list[Rec]]:
    """The records that count and those pending an objection, filtered by hand."""
    counted: list[Rec] = []
    pending: list[Rec] = []
    for r in records:
        if r.subject_id != subject.id or r.decided_on > as_of:
            continue
        status = r.status
        if status in _GONE and (r.status_since is None or r.status_since <= as_of):
            continue
        kind = r.kind
        dishonest = r.dishonest
        if dishonest is None:
            if kind is _LIST_ENTRY:
                dishonest = r.list_name in dishonest_lists
            else:
                dishonest = kind in _DISHONEST_KINDS
        severity = r.severity
        rank = -1 if severity is None else _RANK[severity]
        end = r.expires_on
        if end is None:
            if kind is _LIST_ENTRY:
                end = r.exit_on
            elif kind is _RATING:
                end = r.valid_until
            elif kind in _DISHONEST_KINDS and rank >= 0:
                end = _plus_years(r.decided_on, _PUBLICATION_YEARS[rank])
        if end is not None and end <= as_of:
            continue
        if dishonest:
            if kind is not _LIST_ENTRY and r.document is None:
                continue
            lenience = r.lenience
            if lenience.minor or minor or lenience.force_majeure:
                continue
            if lenience.unintentional:
                if rank <= 0:
                    continue
                rank -= 1
        rec = Rec(r, rank, dishonest)
        if status is _PENDING:
            pending.append(rec)
        else:
            counted.append(rec)
    return counted, pending


def views(
    dossier: Dossier, as_of: datetime.date, dishonest_lists: frozenset[str]
) -> tuple[View, View | None]:
    """The subject's view without pending records, and with them (None when there are none)."""
    subject = dossier.subject
    minor = _minor(subject, as_of)
    counted, pending = split(subject, dossier.records, as_of, dishonest_lists, minor)
    related_confirmed: list[tuple[str, View]] = []
    related_pending: list[tuple[str, View]] = []
    any_pending = bool(pending)
    for relation in dossier.related:
        if not _current(relation, as_of):
            continue
        other = relation.subject
        other_minor = _minor(other, as_of)
        other_counted, other_pending = split(
            other, relation.records, as_of, dishonest_lists, other_minor
        )
        role = relation.role.value
        related_confirmed.append((role, View(other, other_minor, other_counted, [])))
        related_pending.append((role, View(other, other_minor, other_counted + other_pending, [])))
        any_pending = any_pending or bool(other_pending)
    confirmed = View(subject, minor, counted, related_confirmed)
    if not any_pending:
        return confirmed, None
    return confirmed, View(subject, minor, counted + pending, related_pending)


def _current(relation: Related, as_of: datetime.date) -> bool:
    if relation.since is not None and relation.since > as_of:
        return False
    return relation.until is None or relation.until > as_of


def _answer(confirmed: set[str], with_pending: set[str] | None) -> Answer:
    result = {(measure, False) for measure in confirmed}
    if with_pending is not None:
        result.update((measure, True) for measure in with_pending - confirmed)
    return frozenset(result)


# ---------------------------------------------------------------------------------------------
# The synthetic catalogs


def synthetic_function(
    specs: Sequence[MeasureSpec], dishonest_lists: frozenset[str]
) -> Callable[[Dossier, datetime.date], Answer]:
    """The hand-written matcher of a synthetic catalog (one branch per condition shape)."""
    by_list: dict[str, list[str]] = {}  # listed, and the list half of listed_either / red
    adult: dict[str, list[str]] = {}
    repeat: list[tuple[str, int, int, str]] = []
    penalties: list[tuple[frozenset[str], int, int, int, str]] = []
    any_kind: list[tuple[RecordKind, int, int, str]] = []
    any_domain: list[tuple[frozenset[str], int, str]] = []
    tagged: list[tuple[str, int, str]] = []
    org: list[tuple[frozenset[SubjectKind], int, int, str]] = []
    related: list[tuple[frozenset[str], str, str]] = []
    since: list[tuple[datetime.date, int, str]] = []
    ratings: list[tuple[str, frozenset[str], str]] = []
    red_clean: list[tuple[str, int, str]] = []
    clean_rated: list[tuple[int, str, frozenset[str], str]] = []
    red_or_clean: list[tuple[str, int, str]] = []
    for s in specs:
        t = s.template
        if t in ("listed", "listed_either", "red"):
            for name in s.lists:
                by_list.setdefault(name, []).append(s.id)
        elif t == "listed_adult":
            adult.setdefault(s.lists[0], []).append(s.id)
        elif t == "listed_repeat":
            repeat.append((s.lists[0], _int(s.years), _int(s.at_least), s.id))
        elif t == "count_penalties":
            penalties.append(
                (
                    frozenset(s.domains),
                    _rank(s.severity),
                    _int(s.years),
                    _int(s.at_least),
                    s.id,
                )
            )
        elif t == "any_kind":
            any_kind.append((RecordKind(s.record_kind), _rank(s.severity), _int(s.years), s.id))
        elif t == "any_domain":
            any_domain.append((frozenset(s.domains), _int(s.years), s.id))
        elif t == "tagged":
            tagged.append((str(s.tag), _int(s.years), s.id))
        elif t == "org_dishonest":
            org.append(
                (
                    frozenset(SubjectKind(k) for k in s.subject_kinds),
                    _rank(s.severity),
                    _int(s.years),
                    s.id,
                )
            )
        elif t == "related_listed":
            related.append((frozenset(s.roles), s.lists[0], s.id))
        elif t == "judgment_since":
            assert s.since is not None
            since.append((s.since, _rank(s.severity), s.id))
        elif t == "poor_rating":
            ratings.append((str(s.scheme), frozenset(s.grades), s.id))
        elif t == "red_clean":
            red_clean.append((s.lists[0], _int(s.years), s.id))
        elif t == "clean_rated":
            clean_rated.append((_int(s.years), str(s.scheme), frozenset(s.grades), s.id))
        elif t == "red_or_clean":
            red_or_clean.append((s.lists[0], _int(s.years), s.id))
        else:
            raise ValueError(f"no hand-written code for template `{t}`")

    def holds(view: View, as_of: datetime.date) -> set[str]:
        out: set[str] = set()
        lists = view.lists
        records = view.records
        starts = {y: _plus_years(as_of, -y) for y in (1, 2, 3, 5)}
        # the last dishonest record's date decides every "no dishonest record within Ny"
        last_dishonest: datetime.date | None = None
        for rec in records:
            if rec.dishonest and (last_dishonest is None or rec.on > last_dishonest):
                last_dishonest = rec.on
        for name in lists:
            ids = by_list.get(name)
            if ids:
                out.update(ids)
            if not view.minor:
                ids = adult.get(name)
                if ids:
                    out.update(ids)
        for name, years, at_least, mid in repeat:
            if name in lists:
                start = starts[years]
                if sum(1 for rec in records if rec.dishonest and rec.on > start) >= at_least:
                    out.add(mid)
        if records:
            for domains, rank, years, at_least, mid in penalties:
                start = starts[years]
                n = 0
                for rec in records:
                    if (
                        rec.kind is _PENALTY
                        and rec.on > start
                        and rec.rank >= rank
                        and rec.domain in domains
                    ):
                        n += 1
                if n >= at_least:
                    out.add(mid)
            for kind, rank, years, mid in any_kind:
                start = starts[years]
                for rec in records:
                    if rec.kind is kind and rec.rank >= rank and rec.on > start:
                        out.add(mid)
                        break
            for domains, years, mid in any_domain:
                start = starts[years]
                for rec in records:
                    if rec.dishonest and rec.on > start and rec.domain in domains:
                        out.add(mid)
                        break
            for tag, years, mid in tagged:
                start = starts[years]
                for rec in records:
                    if rec.kind is _PENALTY and rec.on > start and tag in rec.tags:
                        out.add(mid)
                        break
            for kinds, rank, years, mid in org:
                if view.kind in kinds:
                    start = starts[years]
                    for rec in records:
                        if rec.dishonest and rec.rank >= rank and rec.on > start:
                            out.add(mid)
                            break
            for day, rank, mid in since:
                for rec in records:
                    if (
                        rec.kind is _JUDGMENT
                        and rec.on >= day
                        and rec.rank >= rank
                        and "refuse_perform" in rec.tags
                    ):
                        out.add(mid)
                        break
        if view.related:
            for roles, name, mid in related:
                for role, other in view.related:
                    if role in roles and name in other.lists:
                        out.add(mid)
                        break
        if view.ratings:
            for scheme, grades, mid in ratings:
                if view.ratings.get(scheme) in grades:
                    out.add(mid)
        for name, years, mid in red_clean:
            if name in lists and (last_dishonest is None or last_dishonest <= starts[years]):
                out.add(mid)
        for years, scheme, grades, mid in clean_rated:
            if view.ratings.get(scheme) in grades and (
                last_dishonest is None or last_dishonest <= starts[years]
            ):
                out.add(mid)
        for name, years, mid in red_or_clean:
            if name in lists or last_dishonest is None or last_dishonest <= starts[years]:
                out.add(mid)
        return out

    def evaluate(dossier: Dossier, as_of: datetime.date) -> Answer:
        confirmed, with_pending = views(dossier, as_of, dishonest_lists)
        return _answer(
            holds(confirmed, as_of),
            None if with_pending is None else holds(with_pending, as_of),
        )

    return evaluate


def _int(value: int | None) -> int:
    assert value is not None
    return value


def _rank(severity: str | None) -> int:
    assert severity is not None
    return _RANK[Severity(severity)]


# ---------------------------------------------------------------------------------------------
# The shipped catalogs


def _any(records: list[Rec], test: Callable[[Rec], bool]) -> bool:
    return any(test(rec) for rec in records)


def _dishonest_since(view: View, start: datetime.date | None) -> bool:
    return any(rec.dishonest and (start is None or rec.on > start) for rec in view.records)


_ORGS = frozenset(
    {SubjectKind.LEGAL_PERSON, SubjectKind.UNINCORPORATED_ORG, SubjectKind.PUBLIC_INSTITUTION}
)

#: ``when:`` text → hand-written test, for every condition the shipped catalogs use
SHIPPED_CONDITIONS: dict[str, Callable[[View, datetime.date], bool]] = {
    'listed("serious_dishonesty")': lambda v, d: "serious_dishonesty" in v.lists,
    'listed("consumption_restriction")': lambda v, d: "consumption_restriction" in v.lists,
    'listed("red_list")': lambda v, d: "red_list" in v.lists,
    'listed("integrity_model")': lambda v, d: "integrity_model" in v.lists,
    'listed("wage_arrears")': lambda v, d: "wage_arrears" in v.lists,
    'listed("rectification_required")': lambda v, d: "rectification_required" in v.lists,
    'listed("key_attention")': lambda v, d: "key_attention" in v.lists,
    'listed("contract_abiding_enterprise")': lambda v, d: "contract_abiding_enterprise" in v.lists,
    'listed("integrity_demonstration_enterprise")': lambda v, d: (
        "integrity_demonstration_enterprise" in v.lists
    ),
    'listed("serious_illegal_dishonest_enterprise")': lambda v, d: (
        "serious_illegal_dishonest_enterprise" in v.lists
    ),
    'listed("integrity_model") or listed("red_list")': lambda v, d: (
        "integrity_model" in v.lists or "red_list" in v.lists
    ),
    'listed("red_list") or listed("integrity_model")': lambda v, d: (
        "integrity_model" in v.lists or "red_list" in v.lists
    ),
    'listed("judgment_defaulter") and not subject.minor': lambda v, d: (
        "judgment_defaulter" in v.lists and not v.minor
    ),
    'listed("serious_dishonesty") and (any record where dishonest and "refuse_perform" in tags)': (
        lambda v, d: (
            "serious_dishonesty" in v.lists
            and _any(v.records, lambda r: r.dishonest and "refuse_perform" in r.tags)
        )
    ),
    'listed("integrity_model") or (no record where dishonest within 3y)': lambda v, d: (
        "integrity_model" in v.lists or not _dishonest_since(v, _plus_years(d, -3))
    ),
    'listed("integrity_model") or (no record where dishonest)': lambda v, d: (
        "integrity_model" in v.lists or not _dishonest_since(v, None)
    ),
    'listed("integrity_demonstration_enterprise") or listed("contract_abiding_enterprise") '
    'or listed("integrity_model") or (no record where dishonest within 3y)': lambda v, d: (
        "integrity_demonstration_enterprise" in v.lists
        or "contract_abiding_enterprise" in v.lists
        or "integrity_model" in v.lists
        or not _dishonest_since(v, _plus_years(d, -3))
    ),
    'listed("integrity_demonstration_enterprise") or listed("contract_abiding_enterprise") '
    'or listed("integrity_model")': lambda v, d: (
        "integrity_demonstration_enterprise" in v.lists
        or "contract_abiding_enterprise" in v.lists
        or "integrity_model" in v.lists
    ),
    '(listed("integrity_model") or listed("red_list")) and not subject.state_owned': (
        lambda v, d: ("integrity_model" in v.lists or "red_list" in v.lists) and not v.state_owned
    ),
    "any record where dishonest": lambda v, d: _dishonest_since(v, None),
    "no record where dishonest": lambda v, d: not _dishonest_since(v, None),
    "any record where kind == credit_commitment": lambda v, d: _any(
        v.records, lambda r: r.kind is RecordKind.CREDIT_COMMITMENT
    ),
    "any record where kind == administrative_penalty": lambda v, d: _any(
        v.records, lambda r: r.kind is _PENALTY
    ),
    "any record where kind == rating": lambda v, d: _any(v.records, lambda r: r.kind is _RATING),
    "any record where kind == administrative_ruling": lambda v, d: _any(
        v.records, lambda r: r.kind is RecordKind.ADMINISTRATIVE_RULING
    ),
    "any record where kind == administrative_penalty and severity >= serious": lambda v, d: _any(
        v.records, lambda r: r.kind is _PENALTY and r.rank >= 1
    ),
    "any record where kind == administrative_penalty and severity == general": lambda v, d: _any(
        v.records, lambda r: r.kind is _PENALTY and r.rank == 0
    ),
    "any record where dishonest and severity >= severe": lambda v, d: _any(
        v.records, lambda r: r.dishonest and r.rank >= 2
    ),
    "any record where dishonest and kind in {judgment, administrative_penalty}": lambda v, d: _any(
        v.records, lambda r: r.dishonest and r.kind in (_JUDGMENT, _PENALTY)
    ),
    'any record where dishonest and "rectification_overdue" in tags': lambda v, d: _any(
        v.records, lambda r: r.dishonest and "rectification_overdue" in r.tags
    ),
    'any record where dishonest and domain in {"environment", "consumer_protection", '
    '"investor_protection"}': lambda v, d: _any(
        v.records,
        lambda r: (
            r.dishonest
            and r.domain in ("environment", "consumer_protection", "investor_protection")
        ),
    ),
    'any record where dishonest and ("refuse_perform" in tags or "repeat_offence" in tags '
    'or "major_loss" in tags)': lambda v, d: _any(
        v.records,
        lambda r: (
            r.dishonest
            and ("refuse_perform" in r.tags or "repeat_offence" in r.tags or "major_loss" in r.tags)
        ),
    ),
    'any record where kind == judgment and "false_litigation" in tags': lambda v, d: _any(
        v.records, lambda r: r.kind is _JUDGMENT and "false_litigation" in r.tags
    ),
    'any record where kind == administrative_penalty and ("bid_in_another_name" in tags '
    'or "bid_fraud" in tags) and severity >= serious': lambda v, d: _any(
        v.records,
        lambda r: (
            r.kind is _PENALTY
            and ("bid_in_another_name" in r.tags or "bid_fraud" in r.tags)
            and r.rank >= 1
        ),
    ),
    'any record where kind == administrative_penalty and ("bid_collusion" in tags '
    'or "bid_bribery" in tags) and severity >= serious': lambda v, d: _any(
        v.records,
        lambda r: (
            r.kind is _PENALTY
            and ("bid_collusion" in r.tags or "bid_bribery" in r.tags)
            and r.rank >= 1
        ),
    ),
    'any record where kind == administrative_penalty and "licence_improperly_obtained" in tags '
    'and "safety_related_licence" in tags': lambda v, d: _any(
        v.records,
        lambda r: (
            r.kind is _PENALTY
            and "licence_improperly_obtained" in r.tags
            and "safety_related_licence" in r.tags
        ),
    ),
    'any record where kind == administrative_penalty and "licence_false_application" in tags '
    'and "safety_related_licence" in tags': lambda v, d: _any(
        v.records,
        lambda r: (
            r.kind is _PENALTY
            and "licence_false_application" in r.tags
            and "safety_related_licence" in r.tags
        ),
    ),
    'any record where kind == administrative_penalty and "contract_nonperformance" in tags '
    "and severity >= serious": lambda v, d: _any(
        v.records,
        lambda r: r.kind is _PENALTY and "contract_nonperformance" in r.tags and r.rank >= 1,
    ),
    'subject.state_owned and (any record where dishonest and ("wage_arrears" in tags '
    'or "sme_payment_arrears" in tags))': lambda v, d: (
        v.state_owned
        and _any(
            v.records,
            lambda r: r.dishonest and ("wage_arrears" in r.tags or "sme_payment_arrears" in r.tags),
        )
    ),
    "subject.kind in {legal_person, unincorporated_org, public_institution} and "
    "(any record where dishonest and severity >= serious)": lambda v, d: (
        v.kind in _ORGS and _any(v.records, lambda r: r.dishonest and r.rank >= 1)
    ),
    "(subject.state_owned or subject.kind in {public_institution}) and "
    "(any record where dishonest)": lambda v, d: (
        (v.state_owned or v.kind is SubjectKind.PUBLIC_INSTITUTION) and _dishonest_since(v, None)
    ),
    "(no record where dishonest) and (any record where kind == credit_commitment)": lambda v, d: (
        not _dishonest_since(v, None)
        and _any(v.records, lambda r: r.kind is RecordKind.CREDIT_COMMITMENT)
    ),
    'rating("credit_grade") == "poor"': lambda v, d: v.ratings.get("credit_grade") == "poor",
    'rating("credit_grade") == "good"': lambda v, d: v.ratings.get("credit_grade") == "good",
    'rating("tax") == "A"': lambda v, d: v.ratings.get("tax") == "A",
    '(listed("serious_dishonesty") and (any record where dishonest and "repeat_offence" in tags)) '
    'or (any record where dishonest and ("false_credit_report" in tags '
    'or "credit_repair_fraud" in tags))': lambda v, d: (
        (
            "serious_dishonesty" in v.lists
            and _any(v.records, lambda r: r.dishonest and "repeat_offence" in r.tags)
        )
        or _any(
            v.records,
            lambda r: (
                r.dishonest and ("false_credit_report" in r.tags or "credit_repair_fraud" in r.tags)
            ),
        )
    ),
}


def shipped_function(
    measures: Mapping[str, str], dishonest_lists: frozenset[str]
) -> tuple[Callable[[Dossier, datetime.date], Answer] | None, list[str]]:
    """The hand-written matcher of the shipped catalogs, or None and the conditions it lacks.

    Args:
        measures: measure id → ``when:`` text, for the measures in force.
        dishonest_lists: the lists whose entries record dishonest conduct (black, key attention).
    """
    missing = sorted({when for when in measures.values() if when not in SHIPPED_CONDITIONS})
    if missing:
        return None, missing
    groups: dict[str, list[str]] = {}
    for measure_id, when in measures.items():
        groups.setdefault(when, []).append(measure_id)
    tests = [(SHIPPED_CONDITIONS[when], ids) for when, ids in groups.items()]

    def holds(view: View, as_of: datetime.date) -> set[str]:
        out: set[str] = set()
        for test, ids in tests:
            if test(view, as_of):
                out.update(ids)
        return out

    def evaluate(dossier: Dossier, as_of: datetime.date) -> Answer:
        confirmed, with_pending = views(dossier, as_of, dishonest_lists)
        return _answer(
            holds(confirmed, as_of),
            None if with_pending is None else holds(with_pending, as_of),
        )

    return evaluate, []
