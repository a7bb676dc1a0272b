"""Which records count as of a date: the semantics every condition is evaluated under.

Input: a :class:`~credit_rules.model.Dossier`, the catalog's vocabulary and policy, and
``as_of``. Output: a :class:`Facts` value per subject — the records that count (normalised:
``dishonest`` resolved, lenience reductions applied), the records pending an objection, and
the records set aside, each with a reason code. Conditions never see a set-aside record, so no
measure author has to remember to exclude revoked, repaired or expired records.
"""

from __future__ import annotations

import datetime
import enum
import operator
from collections.abc import Iterable, Mapping, Sequence

import attrs

from credit_rules.model import (
    DISHONEST_KINDS,
    NO_LENIENCE,
    Dossier,
    LenienceAction,
    ListKind,
    Period,
    Policy,
    Record,
    RecordKind,
    RecordStatus,
    Related,
    Severity,
    Subject,
    Vocabulary,
)


class SetAsideReason(enum.Enum):
    """Why a record does not count as of the evaluation date (reason codes in explanations)."""

    FUTURE = "future"
    REVOKED = "revoked"
    CORRECTED = "corrected"
    REPAIRED = "repaired"
    EXPIRED = "expired"
    NO_EFFECTIVE_DOCUMENT = "no_effective_document"
    LENIENCE = "lenience"
    UNKNOWN_SUBJECT = "unknown_subject"


@attrs.frozen(slots=True)
class SetAside:
    """A record that does not count, and why (one line an auditor can read)."""

    record: Record
    reason: SetAsideReason
    detail: str
    #: the date that matters: of the revocation, correction or repair, or the end of force
    on: datetime.date | None = None
    #: for lenience, the fact (minor, force_majeure, unintentional_minor, unintentional)
    fact: str | None = None


@attrs.frozen(slots=True)
class Reduction:
    """A record counted as less grave under the lenience policy."""

    record: Record
    fact: str
    original: Severity
    reduced: Severity


@attrs.frozen(slots=True)
class Facts:
    """One subject's records as of a date, split into counted, pending and set aside.

    ``counted`` and ``pending`` hold normalised records in (decided_on, id) order:
    :func:`counts_as_dishonest` tells whether one records dishonest conduct (a list entry's
    flag is resolved from its list; a record whose kind decides keeps ``None`` rather than
    being copied on every evaluation) and lenience reductions are applied to ``severity``
    (``reductions`` keeps the records as given). ``excluded`` holds the records that do not
    count, as given; ``set_aside`` says why, worked out when first asked for (deciding that a
    record does not count is cheap, writing down why is not, and the matcher never reads it).
    """

    subject: Subject
    as_of: datetime.date
    counted: tuple[Record, ...]
    pending: tuple[Record, ...]
    reductions: tuple[Reduction, ...] = ()
    related: tuple[tuple[Related, Facts], ...] = ()
    #: minor on ``as_of`` (from the birth date, or a resident identity number)
    minor: bool = False
    #: the records that do not count, in the order given
    excluded: tuple[Record, ...] = ()
    #: the classifier that explains ``excluded`` (set by :func:`build_facts`)
    _classifier: Classifier | None = attrs.field(default=None, eq=False, repr=False)
    #: the explanations, when given or once worked out
    _set_aside: tuple[SetAside, ...] | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def set_aside(self) -> tuple[SetAside, ...]:
        """Each record of ``excluded`` with the reason it does not count, in record order."""
        found = self._set_aside
        if found is None:
            classifier = self._classifier
            if classifier is None:
                if self.excluded:
                    raise ValueError("Facts built without build_facts must be given set_aside")
                return ()
            found = classifier.explain(self)
            object.__setattr__(self, "_set_aside", found)  # a cache: frozen for everyone else
        return found


def counts_as_dishonest(record: Record) -> bool:
    """Whether a record of :class:`Facts` (counted or pending) records dishonest conduct."""
    flag = record.dishonest
    return flag is True or (flag is None and record.kind in DISHONEST_KINDS)


def is_dishonest(record: Record, vocabulary: Vocabulary) -> bool:
    """Whether a record records dishonest conduct (its own flag, else its kind or list kind)."""
    if record.dishonest is not None:
        return record.dishonest
    if record.kind is RecordKind.LIST_ENTRY:
        listed = vocabulary.lists.get(record.list_name or "")
        return listed is not None and listed.kind in (ListKind.BLACK, ListKind.KEY_ATTENTION)
    return record.kind in DISHONEST_KINDS


def record_end(record: Record, policy: Policy) -> datetime.date | None:
    """The day a record stops counting by the passage of time (None: not by time alone)."""
    if record.expires_on is not None:
        return record.expires_on
    if record.kind is RecordKind.LIST_ENTRY:
        return record.exit_on
    if record.kind is RecordKind.RATING:
        return record.valid_until
    if record.kind in DISHONEST_KINDS and record.severity is not None:
        periods = policy.publication.get(record.severity)
        if periods is not None:
            return periods.max.add_to(record.decided_on)
    return None


def lenience_fact(record: Record, subject_minor: bool) -> str | None:
    """The lenience fact a record presents, most lenient first (None when there is none)."""
    if record.lenience.minor or subject_minor:
        return "minor"
    if record.lenience.force_majeure:
        return "force_majeure"
    if record.lenience.unintentional:
        if record.severity is None or record.severity is Severity.GENERAL:
            return "unintentional_minor"
        return "unintentional"
    return None


_FACT_WORDS = {
    "minor": "the subject was a minor",
    "force_majeure": "force majeure",
    "unintentional_minor": "an unintentional minor fault",
    "unintentional": "unintentional conduct",
}


def classify(
    record: Record,
    *,
    as_of: datetime.date,
    vocabulary: Vocabulary,
    policy: Policy,
    subject_minor: bool = False,
) -> tuple[Record | None, SetAside | None, Reduction | None]:
    """Decide one record: its normalised form if it counts, or why it is set aside."""
    dishonest = is_dishonest(record, vocabulary)
    aside = _set_aside_reason(record, as_of=as_of, policy=policy, dishonest=dishonest)
    if aside is not None:
        return None, aside, None
    reduction: Reduction | None = None
    severity = record.severity
    fact = lenience_fact(record, subject_minor) if dishonest else None
    if fact is not None:
        action = policy.lenience.get(fact)
        if action is LenienceAction.SET_ASIDE:
            return (
                None,
                SetAside(
                    record, SetAsideReason.LENIENCE, f"{_FACT_WORDS[fact]}: set aside", fact=fact
                ),
                None,
            )
        if action is LenienceAction.REDUCE and severity is not None and severity.rank > 0:
            reduced = list(Severity)[severity.rank - 1]
            reduction = Reduction(record, fact, severity, reduced)
            severity = reduced
    normal = record
    if (dishonest and not counts_as_dishonest(record)) or severity is not record.severity:
        normal = attrs.evolve(record, dishonest=dishonest, severity=severity)
    return normal, None, reduction


def _set_aside_reason(
    record: Record, *, as_of: datetime.date, policy: Policy, dishonest: bool
) -> SetAside | None:
    if record.decided_on > as_of:
        return SetAside(
            record, SetAsideReason.FUTURE, f"decided on {record.decided_on}, after {as_of}"
        )
    status, since = record.status, record.status_since
    in_effect = since is None or since <= as_of
    if status is RecordStatus.REVOKED and in_effect:
        return SetAside(record, SetAsideReason.REVOKED, _status_words("revoked", since), since)
    if status is RecordStatus.CORRECTED and in_effect:
        return SetAside(record, SetAsideReason.CORRECTED, _status_words("corrected", since), since)
    if status is RecordStatus.REPAIRED and in_effect:
        return SetAside(record, SetAsideReason.REPAIRED, _status_words("repaired", since), since)
    end = record_end(record, policy)
    if end is not None and end <= as_of:
        return SetAside(record, SetAsideReason.EXPIRED, f"no longer in force from {end}", end)
    if dishonest and record.kind is not RecordKind.LIST_ENTRY and record.document is None:
        return SetAside(
            record,
            SetAsideReason.NO_EFFECTIVE_DOCUMENT,
            "no legally effective document (判决书, 仲裁裁决书, 行政处罚决定书 …) is given",
        )
    return None


def _status_words(word: str, since: datetime.date | None) -> str:
    return word if since is None else f"{word} on {since}"


def build_facts(
    dossier: Dossier,
    *,
    as_of: datetime.date,
    vocabulary: Vocabulary,
    policy: Policy,
) -> Facts:
    """Classify the records of a dossier and of each related subject current on ``as_of``.

    The same decisions as :func:`classify` record by record, made in one pass with the
    catalog's lists, publication periods and lenience actions looked up once (this is half of
    an evaluation's cost, so it is written for speed; a property test holds it to
    :func:`classify`).
    """
    classifier = classifier_for(vocabulary, policy)
    related: tuple[tuple[Related, Facts], ...] = ()
    if dossier.related:
        related = tuple(
            [
                (rel, classifier.facts(rel.subject, rel.records, as_of, ()))
                for rel in dossier.related
                if rel.current_on(as_of)
            ]
        )
    return classifier.facts(dossier.subject, dossier.records, as_of, related)


_ACTIVE = RecordStatus.ACTIVE
_PENDING = RecordStatus.OBJECTION_PENDING
_LIST_ENTRY = RecordKind.LIST_ENTRY
_RATING = RecordKind.RATING
_ORDER = operator.attrgetter("decided_on", "id")


class Classifier:
    """One catalog's vocabulary and policy, looked up once for :func:`build_facts`."""

    __slots__ = ("_expired_by", "dishonest_lists", "policy", "publication", "vocabulary")

    def __init__(self, vocabulary: Vocabulary, policy: Policy) -> None:
        self.vocabulary = vocabulary
        self.policy = policy
        self.dishonest_lists = frozenset(
            name
            for name, listed in vocabulary.lists.items()
            if listed.kind in (ListKind.BLACK, ListKind.KEY_ATTENTION)
        )
        self.publication = {
            severity: periods.max for severity, periods in policy.publication.items()
        }
        self._expired_by: dict[datetime.date, dict[Severity, datetime.date]] = {}

    def expired_by(self, as_of: datetime.date) -> dict[Severity, datetime.date]:
        """Per gravity, the last decision date whose publication period is over on ``as_of``.

        ``Period.add_to`` never moves a later date before an earlier one, so the records whose
        period ``decided_on + max`` has ended by ``as_of`` are exactly those decided on or before
        this date: one comparison per record instead of a date shift.
        """
        found = self._expired_by.get(as_of)
        if found is None:
            if len(self._expired_by) >= 256:
                self._expired_by.clear()
            found = self._expired_by[as_of] = {}
            for severity, period in self.publication.items():
                last = _last_ended(period, as_of)
                if last is not None:
                    found[severity] = last
        return found

    def facts(
        self,
        subject: Subject,
        records: Sequence[Record],
        as_of: datetime.date,
        related: tuple[tuple[Related, Facts], ...],
    ) -> Facts:
        """One subject's Facts: the decisions of :func:`classify`, inlined for every record."""
        counted, pending, excluded, reductions, minor = self.split(subject, records, as_of)
        if len(counted) > 1:
            counted.sort(key=_ORDER)
        if len(pending) > 1:
            pending.sort(key=_ORDER)
        if len(reductions) > 1:
            reductions.sort(key=_reduction_order)
        return Facts(
            subject,
            as_of,
            tuple(counted),
            tuple(pending),
            tuple(reductions),
            related,
            minor,
            tuple(excluded),
            self,
        )

    def split(
        self,
        subject: Subject,
        records: Sequence[Record],
        as_of: datetime.date,
        resolve: bool = True,
        kinds: frozenset[RecordKind] | None = None,
        flagged: bool = False,
    ) -> tuple[list[Record], list[Record], list[Record], list[Reduction], bool]:
        """(counted, pending, excluded, reductions, minor) of one subject's records, in the
        order given: the decisions of :func:`classify`, inlined for every record.

        With ``resolve`` off, a list entry whose list decides whether it records dishonest
        conduct is returned as given rather than copied with the flag set (``screen`` reads
        the list instead: a copy per entry is a tenth of its cost). With ``kinds``, only the
        records of those kinds (and, when ``flagged``, those flagged dishonest) are looked at;
        the others are in none of the lists.
        """
        minor = subject.minor_on(as_of)
        counted: list[Record] = []
        pending: list[Record] = []
        excluded: list[Record] = []
        reductions: list[Reduction] = []
        subject_id = subject.id
        dishonest_lists = self.dishonest_lists
        expired_by = self.expired_by(as_of)
        for record in records:
            kind = record.kind
            if (
                kinds is not None
                and kind not in kinds
                and (not flagged or record.dishonest is not True)
            ):
                continue
            status = record.status
            decided = record.decided_on
            if decided > as_of or record.subject_id != subject_id:
                excluded.append(record)
                continue
            if status is not _ACTIVE and status is not _PENDING:
                since = record.status_since
                if since is None or since <= as_of:  # revoked, corrected or repaired by then
                    excluded.append(record)
                    continue
            # record_end, as comparisons (half of a population's records end here)
            end = record.expires_on
            if end is None:
                if kind is _LIST_ENTRY:
                    end = record.exit_on
                elif kind is _RATING:
                    end = record.valid_until
                elif kind in DISHONEST_KINDS:
                    severity_ = record.severity
                    if severity_ is not None:
                        last = expired_by.get(severity_)
                        if last is not None and decided <= last:
                            excluded.append(record)
                            continue
            if end is not None and end <= as_of:
                excluded.append(record)
                continue
            dishonest = record.dishonest
            if dishonest is None:
                if kind is _LIST_ENTRY:
                    dishonest = record.list_name in dishonest_lists
                else:
                    dishonest = kind in DISHONEST_KINDS
            normal: Record = record
            if dishonest:
                if kind is not _LIST_ENTRY and record.document is None:
                    excluded.append(record)
                    continue
                lenience = record.lenience
                if minor or (
                    lenience is not NO_LENIENCE
                    and (lenience.minor or lenience.force_majeure or lenience.unintentional)
                ):
                    counts, _, reduction = classify(
                        record,
                        as_of=as_of,
                        vocabulary=self.vocabulary,
                        policy=self.policy,
                        subject_minor=minor,
                    )
                    if counts is None:
                        excluded.append(record)
                        continue
                    normal = counts
                    if reduction is not None:
                        reductions.append(reduction)
                elif resolve and kind is _LIST_ENTRY and record.dishonest is None:
                    normal = with_dishonest(record, True)  # its list decides, not its kind
            if status is _PENDING:
                pending.append(normal)
            else:
                counted.append(normal)
        return counted, pending, excluded, reductions, minor

    def resolved(self, record: Record) -> Record:
        """A record as :meth:`split` counts it: a list entry whose list decides whether it
        records dishonest conduct, copied with the flag set (``split`` does this inline, and
        not at all with ``resolve`` off)."""
        if record.kind is _LIST_ENTRY and record.dishonest is None:
            return with_dishonest(record, record.list_name in self.dishonest_lists)
        return record

    def explain(self, facts: Facts) -> tuple[SetAside, ...]:
        """Why each record of ``facts.excluded`` does not count (see ``Facts.set_aside``)."""
        subject = facts.subject
        found: list[SetAside] = []
        for record in sorted(facts.excluded, key=_ORDER):
            if record.subject_id != subject.id:
                found.append(
                    SetAside(
                        record,
                        SetAsideReason.UNKNOWN_SUBJECT,
                        f"belongs to subject `{record.subject_id}`, not `{subject.id}`",
                    )
                )
                continue
            _, aside, _ = classify(
                record,
                as_of=facts.as_of,
                vocabulary=self.vocabulary,
                policy=self.policy,
                subject_minor=facts.minor,
            )
            if aside is None:  # the one-pass decision and classify disagree: a bug
                raise AssertionError(f"record `{record.id}` was excluded but classify counts it")
            found.append(aside)
        return tuple(found)


def _last_ended(period: Period, as_of: datetime.date) -> datetime.date | None:
    """The last date ``d`` with ``period.add_to(d) <= as_of`` (None: no such date).

    ``add_to`` is monotone, so the start from ``subtract_from`` is a few days off at most.
    """
    day = datetime.timedelta(days=1)
    guess = period.subtract_from(as_of)
    while guess < datetime.date.max and period.add_to(guess + day) <= as_of:
        guess += day
    while period.add_to(guess) > as_of:
        if guess == datetime.date.min:
            return None
        guess -= day
    return guess


def _reduction_order(reduction: Reduction) -> tuple[datetime.date, str]:
    return (reduction.record.decided_on, reduction.record.id)


_NO_DOCUMENT = "no legally effective document (判决书, 仲裁裁决书, 行政处罚决定书 …) is given"

_classifiers: dict[tuple[int, int], tuple[Vocabulary, Policy, Classifier]] = {}


def classifier_for(vocabulary: Vocabulary, policy: Policy) -> Classifier:
    """The classifier of a (vocabulary, policy) pair, kept while both objects live."""
    key = (id(vocabulary), id(policy))
    held = _classifiers.get(key)
    if held is not None and held[0] is vocabulary and held[1] is policy:
        return held[2]
    if len(_classifiers) >= 64:
        _classifiers.clear()
    classifier = Classifier(vocabulary, policy)
    _classifiers[key] = (vocabulary, policy, classifier)
    return classifier


def with_dishonest(record: Record, dishonest: bool) -> Record:
    """A copy of ``record`` with ``dishonest`` resolved (attrs.evolve, without its overhead)."""
    return Record(
        record.id,
        record.subject_id,
        record.kind,
        record.decided_on,
        record.domain,
        record.severity,
        record.document,
        record.authority,
        record.status,
        record.status_since,
        record.tags,
        record.lenience,
        record.list_name,
        record.exit_on,
        record.category,
        record.scheme,
        record.grade,
        record.valid_until,
        record.expires_on,
        dishonest,
        record.span,
    )


def window_start(as_of: datetime.date, period: Period) -> datetime.date:
    """First day outside a ``within`` window: records decided after it count."""
    return period.subtract_from(as_of)


def current_ratings(records: Iterable[Record]) -> Mapping[str, Record]:
    """The latest counted rating per scheme."""
    latest: dict[str, Record] = {}
    for record in records:
        if record.kind is RecordKind.RATING and record.scheme is not None:
            held = latest.get(record.scheme)
            if held is None or (record.decided_on, record.id) >= (held.decided_on, held.id):
                latest[record.scheme] = record
    return latest
