"""Compare two versions of a catalog, and what the change does to a population.

Input: two :class:`~credit_rules.model.Catalog` values (old and new); for the impact, the two
compiled engines, dossiers and ``as_of``.

Output: :func:`diff_catalogs` gives a :class:`CatalogDiff`: the measures added and removed, and
for each measure kept, the fields that changed with their old and new values as text (a
condition is shown in the canonical form of :func:`~credit_rules.printer.to_text`, so a change
of layout alone is no change); then the changes to layers, vocabulary and policy.
:func:`population_impact` evaluates both engines on every dossier and gives an
:class:`Impact`: every target that gains or loses a measure in force (status ``applies`` or
``advisory``), with counts per measure.

Errors: none of its own. A condition that does not parse is compared as written (whitespace
collapsed); evaluation errors (an unknown matter) propagate from the engine.
"""

from __future__ import annotations

import datetime
import enum
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from credit_rules.decision import IN_FORCE, MeasureOutcome, OutcomeStatus, Target
from credit_rules.engine import Engine
from credit_rules.errors import ConditionSyntaxError
from credit_rules.model import (
    Catalog,
    CatalogInfo,
    Dossier,
    Duration,
    Measure,
    Period,
)
from credit_rules.parser import parse
from credit_rules.printer import to_text

__all__ = [
    "CatalogDiff",
    "FieldChange",
    "Impact",
    "MeasureChange",
    "MeasureImpact",
    "TargetChange",
    "canonical_condition",
    "diff_catalogs",
    "measure_fields",
    "population_impact",
]


@attrs.frozen(slots=True)
class FieldChange:
    """One field's old and new value, as text (None: the field is absent on that side)."""

    field: str
    old: str | None
    new: str | None


@attrs.frozen(slots=True)
class MeasureChange:
    """A measure present in both versions, and the fields in which it differs."""

    measure_id: str
    changes: tuple[FieldChange, ...]


@attrs.frozen(slots=True)
class CatalogDiff:
    """Everything that differs between two catalog versions, in catalog order."""

    old_fingerprint: str
    new_fingerprint: str
    added: tuple[Measure, ...]
    removed: tuple[Measure, ...]
    changed: tuple[MeasureChange, ...]
    #: layers, vocabulary and policy (``layer cn-national.version``, ``policy.publication.serious``)
    catalog: tuple[FieldChange, ...] = ()

    @property
    def empty(self) -> bool:
        """No difference at all."""
        return not (self.added or self.removed or self.changed or self.catalog)


def canonical_condition(when: str) -> str:
    """A ``when:`` text in canonical form; as written (whitespace collapsed) if it does not parse.

    >>> canonical_condition('listed( "red_list" )  or   listed("integrity_model")')
    'listed("red_list") or listed("integrity_model")'
    """
    try:
        return to_text(parse(when))
    except ConditionSyntaxError:
        return " ".join(when.split())


#: measure fields shown under another name (the catalog's YAML key)
_RENAMED = {"catalog_id": "catalog"}
#: fields compared specially, or not at all (``id`` identifies the measure)
_SPECIAL = frozenset({"id", "when", "target_kinds", "target_roles"})


def measure_fields(measure: Measure) -> dict[str, str]:
    """Every compared field of a measure as text, named as the catalog writes it.

    ``when`` is canonical; ``targets`` joins subject kinds and roles; fields without a value
    are left out. Fields outside equality (positions) are never compared.
    """
    fields: dict[str, str] = {}
    for field in attrs.fields(Measure):
        if field.name == "when":
            fields["when"] = canonical_condition(measure.when)
            continue
        if field.name == "target_kinds":
            targets = (*measure.target_kinds, *measure.target_roles)
            fields["targets"] = _text(tuple(t.value for t in targets))
            continue
        if not field.eq or field.name in _SPECIAL:
            continue
        value = getattr(measure, field.name)
        if _absent(value):
            continue
        fields[_RENAMED.get(field.name, field.name)] = _text(value)
    return fields


def diff_catalogs(old: Catalog, new: Catalog) -> CatalogDiff:
    """The measures added, removed and changed between two versions, and catalog changes."""
    old_by_id = {m.id: m for m in old.measures}
    new_by_id = {m.id: m for m in new.measures}
    added = tuple(m for m in new.measures if m.id not in old_by_id)
    removed = tuple(m for m in old.measures if m.id not in new_by_id)
    changed = []
    for measure in new.measures:
        before = old_by_id.get(measure.id)
        if before is None:
            continue
        changes = _compare(measure_fields(before), measure_fields(measure))
        if changes:
            changed.append(MeasureChange(measure.id, changes))
    catalog = (
        *_layer_changes(old.layers, new.layers),
        *_compare(_flatten("vocabulary", old.vocabulary), _flatten("vocabulary", new.vocabulary)),
        *_compare(_flatten("policy", old.policy), _flatten("policy", new.policy)),
    )
    return CatalogDiff(
        old_fingerprint=old.fingerprint,
        new_fingerprint=new.fingerprint,
        added=added,
        removed=removed,
        changed=tuple(changed),
        catalog=catalog,
    )


def _compare(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[FieldChange, ...]:
    """Changed fields in the order of ``old``, then fields only ``new`` has."""
    names = list(old) + [name for name in new if name not in old]
    return tuple(
        FieldChange(name, old.get(name), new.get(name))
        for name in names
        if old.get(name) != new.get(name)
    )


def _layer_changes(
    old: Sequence[CatalogInfo], new: Sequence[CatalogInfo]
) -> tuple[FieldChange, ...]:
    old_by_id = {info.id: info for info in old}
    new_by_id = {info.id: info for info in new}
    changes: list[FieldChange] = []
    for info in old:
        if info.id not in new_by_id:
            changes.append(FieldChange(f"layer {info.id}", info.title, None))
    for info in new:
        before = old_by_id.get(info.id)
        if before is None:
            changes.append(FieldChange(f"layer {info.id}", None, info.title))
            continue
        changes.extend(
            attrs.evolve(change, field=f"layer {info.id}.{change.field}")
            for change in _compare(_info_fields(before), _info_fields(info))
        )
    return tuple(changes)


def _info_fields(info: CatalogInfo) -> dict[str, str]:
    # INVARIANT: ``path`` says where the file was read from, not what it says: never compared
    return {
        field.name: _text(getattr(info, field.name))
        for field in attrs.fields(CatalogInfo)
        if field.eq and field.name not in ("id", "path") and not _absent(getattr(info, field.name))
    }


def _flatten(prefix: str, value: Any) -> dict[str, str]:
    """An attrs value's fields, and mappings' entries, as ``prefix.field.key`` → text."""
    found: dict[str, str] = {}
    for field in attrs.fields(type(value)):
        if not field.eq:
            continue
        item = getattr(value, field.name)
        name = f"{prefix}.{field.name}"
        if isinstance(item, Mapping):
            for key, entry in item.items():
                found[f"{name}.{_text(key)}"] = _text(entry)
        elif not _absent(item):
            found[name] = _text(item)
    return found


def _absent(value: object) -> bool:
    return value is None or value == () or value == "" or value == {}


def _text(value: object) -> str:
    """Any catalog value as one line of text, the way a catalog author would read it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Period):
        return value.iso()
    if isinstance(value, Duration):
        return value.text()
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_text(k)}: {_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple | list | frozenset):
        items = sorted(value, key=str) if isinstance(value, frozenset) else value
        return "[" + ", ".join(_text(v) for v in items) + "]"
    cls: Any = type(value)
    if attrs.has(cls):
        parts = [
            f"{field.name}: {_text(getattr(value, field.name))}"
            for field in attrs.fields(cls)
            if field.eq
            and not _absent(getattr(value, field.name))
            and getattr(value, field.name) != field.default
        ]
        return "{" + ", ".join(parts) + "}"
    return str(value)


# ---------------------------------------------------------------------------------------------
# Impact on a population


@attrs.frozen(slots=True)
class TargetChange:
    """A target that gains or loses a measure in force, for one dossier of the population."""

    #: the dossier's subject (the target may be a person reached through it)
    subject_id: str
    measure_id: str
    target: Target
    #: the status in each version; None: no outcome for this target
    old: OutcomeStatus | None
    new: OutcomeStatus | None

    @property
    def target_text(self) -> str:
        """``P1``, or ``P1 via E1 as legal_representative``."""
        target = self.target
        if target.role is None:
            return target.subject_id
        return f"{target.subject_id} via {target.via_id} as {target.role.value}"


@attrs.frozen(slots=True)
class MeasureImpact:
    """How many targets gain and lose one measure."""

    measure_id: str
    gained: int
    lost: int


@attrs.frozen(slots=True)
class Impact:
    """The gains and losses of measures in force over a population, on one date."""

    as_of: datetime.date
    subjects: int
    gains: tuple[TargetChange, ...]
    losses: tuple[TargetChange, ...]
    per_measure: tuple[MeasureImpact, ...]

    @property
    def affected(self) -> int:
        """Dossiers with at least one gain or loss."""
        return len({c.subject_id for c in (*self.gains, *self.losses)})


_Key = tuple[str, str, str, str]


def _key(outcome: MeasureOutcome) -> _Key:
    target = outcome.target
    role = target.role.value if target.role is not None else ""
    return (outcome.measure.id, target.subject_id, target.via_id or "", role)


def population_impact(
    old: Engine,
    new: Engine,
    dossiers: Iterable[Dossier],
    *,
    as_of: datetime.date,
) -> Impact:
    """Evaluate both versions on every dossier and collect the targets whose measures in force
    (``applies`` or ``advisory``) differ: a gain is in force only under ``new``, a loss only
    under ``old``. A measure that changes between ``applies`` and ``advisory`` is neither.
    """
    gains: list[TargetChange] = []
    losses: list[TargetChange] = []
    count = 0
    for dossier in dossiers:
        count += 1
        before = {_key(o): o for o in old.evaluate(dossier, as_of=as_of).outcomes}
        after = {_key(o): o for o in new.evaluate(dossier, as_of=as_of).outcomes}
        for key in sorted(set(before) | set(after)):
            was, now = before.get(key), after.get(key)
            was_in = was is not None and was.status in IN_FORCE
            now_in = now is not None and now.status in IN_FORCE
            if was_in == now_in:
                continue
            outcome = now if now is not None else was
            assert outcome is not None  # INVARIANT: the key came from one of the two
            change = TargetChange(
                subject_id=dossier.subject.id,
                measure_id=key[0],
                target=outcome.target,
                old=was.status if was is not None else None,
                new=now.status if now is not None else None,
            )
            (gains if now_in else losses).append(change)
    gained = Counter(c.measure_id for c in gains)
    lost = Counter(c.measure_id for c in losses)
    per_measure = tuple(
        MeasureImpact(measure_id, gained[measure_id], lost[measure_id])
        for measure_id in sorted(set(gained) | set(lost))
    )
    return Impact(
        as_of=as_of,
        subjects=count,
        gains=tuple(gains),
        losses=tuple(losses),
        per_measure=per_measure,
    )
