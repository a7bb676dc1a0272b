"""A straightforward tree-walking interpreter of condition ASTs, for differential tests.

It reads the AST as written (not the checker's IR) and follows docs/language.md directly, so a
disagreement with compiled code points at the checker's normalisation or at the code
generator. It assumes the condition passed the checker, and is slow on purpose: no indexes,
no caches.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from credit_rules import ast
from credit_rules.ast import CompareOp, Quantifier
from credit_rules.facts import Facts, counts_as_dishonest
from credit_rules.model import (
    Record,
    RecordKind,
    Role,
    Severity,
    SubjectKind,
    Vocabulary,
)

Witnesses = tuple[Record, ...]
_MISSING = object()
_ENUMS: tuple[type[RecordKind] | type[Severity] | type[SubjectKind] | type[Role], ...] = (
    RecordKind,
    Severity,
    SubjectKind,
    Role,
)


@attrs.frozen
class _Subject:
    facts: Facts
    records: tuple[Record, ...]
    related: tuple[tuple[Role, _Subject], ...]


def _subject(facts: Facts, include_pending: bool) -> _Subject:
    pool = list(facts.counted) + (list(facts.pending) if include_pending else [])
    pool.sort(key=lambda record: (record.decided_on, record.id))
    related = tuple(
        (relation.role, _subject(related_facts, include_pending))
        for relation, related_facts in facts.related
    )
    return _Subject(facts, tuple(pool), related)


def evaluate(
    expr: ast.Expr, facts: Facts, vocabulary: Vocabulary, *, include_pending: bool
) -> Witnesses | None:
    """The witnesses of ``expr`` for the subject of ``facts`` (None when it is false)."""
    return _Interpreter(vocabulary).condition(expr, _subject(facts, include_pending))


def _merge(parts: Sequence[Witnesses]) -> Witnesses:
    out: list[Record] = []
    for part in parts:
        for record in part:
            if not any(record is kept for kept in out):
                out.append(record)
    return tuple(out)


class _Interpreter:
    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary

    # subject level

    def condition(self, node: ast.Expr, who: _Subject) -> Witnesses | None:
        if isinstance(node, ast.And):
            parts = [self.condition(item, who) for item in node.operands]
            if any(part is None for part in parts):
                return None
            return _merge([part for part in parts if part is not None])
        if isinstance(node, ast.Or):
            for item in node.operands:
                result = self.condition(item, who)
                if result is not None:
                    return result
            return None
        if isinstance(node, ast.Not):
            return () if self.condition(node.operand, who) is None else None
        if isinstance(node, ast.BooleanLiteral):
            return () if node.value else None
        if isinstance(node, ast.Call):  # listed("name")
            assert node.function == "listed"
            name = node.args[0]
            assert isinstance(name, ast.StringLiteral)
            entries = tuple(
                r
                for r in who.records
                if r.kind is RecordKind.LIST_ENTRY and r.list_name == name.value
            )
            return entries or None
        if isinstance(node, ast.SubjectAttribute):
            return () if self.subject_value(node, who) is True else None
        if isinstance(node, ast.RecordQuery):
            matches = self.matches(node.filter, node.window, who)
            if node.quantifier is Quantifier.ANY:
                return matches or None
            return None if matches else ()
        if isinstance(node, ast.Related):
            roles = {role.name for role in node.roles}
            found: list[Witnesses] = []
            for role, other in who.related:
                if role.value not in roles:
                    continue
                result = self.condition(node.body, other)
                if result is not None:
                    if node.quantifier is Quantifier.NO:
                        return None
                    found.append(result)
            if node.quantifier is Quantifier.NO:
                return ()
            return _merge(found) if found else None
        assert isinstance(node, ast.Compare)
        return self.subject_compare(node, who)

    def subject_value(self, node: ast.Value, who: _Subject) -> object:
        assert isinstance(node, ast.SubjectAttribute)
        subject = who.facts.subject
        if node.name == "minor":
            return who.facts.minor
        if node.name == "state_owned":
            return subject.state_owned
        if node.name == "kind":
            return subject.kind
        return subject.region

    def subject_compare(self, node: ast.Compare, who: _Subject) -> Witnesses | None:
        """Comparisons of the subject, its ratings and record counts."""
        witnesses: Witnesses = ()
        sides: list[object] = []
        scheme = None
        for side in (node.left, node.right):
            if isinstance(side, ast.Count):
                matches = self.matches(side.filter, side.window, who)
                witnesses = matches
                sides.append(len(matches))
            elif isinstance(side, ast.Call):  # rating("scheme")
                name = side.args[0]
                assert isinstance(name, ast.StringLiteral)
                scheme = name.value
                rating = self.current_rating(scheme, who)
                witnesses = () if rating is None else (rating,)
                sides.append(_MISSING if rating is None else rating.grade)
            elif isinstance(side, ast.SubjectAttribute):
                value = self.subject_value(side, who)
                sides.append(_MISSING if value is None else value)
            else:
                sides.append(self.literal(side))
        key: Callable[[object], Any] = self.grade_key(scheme) if scheme is not None else _key
        if not _holds(sides[0], node.op, sides[1], key):
            return None
        return witnesses

    def current_rating(self, scheme: str, who: _Subject) -> Record | None:
        ratings = [r for r in who.records if r.kind is RecordKind.RATING and r.scheme == scheme]
        return max(ratings, key=lambda r: (r.decided_on, r.id)) if ratings else None

    def grade_key(self, scheme: str) -> Callable[[object], Any]:
        grades = self.vocabulary.ratings[scheme].grades

        def key(grade: object) -> Any:
            return -grades.index(str(grade))  # best first: a better grade is greater

        return key

    # record level

    def matches(
        self, query_filter: ast.Expr | None, window: ast.Window | None, who: _Subject
    ) -> Witnesses:
        as_of = who.facts.as_of
        out = []
        for record in who.records:
            if isinstance(window, ast.Within):
                if not record.decided_on > window.period.subtract_from(as_of):
                    continue
            elif isinstance(window, ast.Since) and record.decided_on < window.date:
                continue
            if query_filter is None or self.passes(query_filter, record, who):
                out.append(record)
        return tuple(out)

    def passes(self, node: ast.Expr, record: Record, who: _Subject) -> bool:
        if isinstance(node, ast.And):
            return all(self.passes(item, record, who) for item in node.operands)
        if isinstance(node, ast.Or):
            return any(self.passes(item, record, who) for item in node.operands)
        if isinstance(node, ast.Not):
            return not self.passes(node.operand, record, who)
        if isinstance(node, ast.BooleanLiteral):
            return node.value
        if isinstance(node, ast.Name):  # dishonest
            return counts_as_dishonest(record)
        if isinstance(node, ast.SubjectAttribute):
            return self.subject_value(node, who) is True
        assert isinstance(node, ast.Compare)
        sides = [self.record_value(side, record, who) for side in (node.left, node.right)]
        return _holds(sides[0], node.op, sides[1], _key)

    def record_value(self, node: ast.Value, record: Record, who: _Subject) -> object:
        if isinstance(node, ast.Name) and node.name in _FIELDS:
            value = _FIELDS[node.name](record)
            return _MISSING if value is None else value
        if isinstance(node, ast.SubjectAttribute):
            value = self.subject_value(node, who)
            return _MISSING if value is None else value
        return self.literal(node)

    def literal(self, node: ast.Value) -> object:
        if isinstance(node, ast.SetLiteral):
            return [self.literal(item) for item in node.items]
        if isinstance(node, ast.Name):
            for enum_type in _ENUMS:
                for member in enum_type:
                    if member.value == node.name:
                        return member
            raise AssertionError(f"unchecked name {node.name}")
        assert isinstance(
            node, ast.StringLiteral | ast.IntegerLiteral | ast.DateLiteral | ast.BooleanLiteral
        )
        return node.value


_FIELDS: dict[str, Callable[[Record], object]] = {
    "kind": lambda r: r.kind,
    "domain": lambda r: r.domain,
    "severity": lambda r: r.severity,
    "authority": lambda r: r.authority,
    "document": lambda r: None if r.document is None else r.document.kind,
    "list": lambda r: r.list_name,
    "scheme": lambda r: r.scheme,
    "grade": lambda r: r.grade,
    "category": lambda r: r.category,
    "tags": lambda r: r.tags,
    "dishonest": counts_as_dishonest,  # facts.Facts
    "decided_on": lambda r: r.decided_on,
}


def _key(value: object) -> Any:
    if isinstance(value, Severity):
        return list(Severity).index(value)
    assert isinstance(value, int | datetime.date)
    return value


def _holds(left: object, op: CompareOp, right: object, key: Callable[[object], Any]) -> bool:
    """``left OP right``; a missing value is equal to nothing and ordered against nothing."""
    if op in (CompareOp.IN, CompareOp.NOT_IN):
        if isinstance(right, frozenset):  # "tag" in tags
            found = left in right
        else:
            assert isinstance(right, list)
            found = left is not _MISSING and any(left == item for item in right)
        return found if op is CompareOp.IN else not found
    if op in (CompareOp.EQ, CompareOp.NE):
        same = left is not _MISSING and right is not _MISSING and left == right
        return same if op is CompareOp.EQ else not same
    if left is _MISSING or right is _MISSING:
        return False
    a, b = key(left), key(right)
    if op is CompareOp.LT:
        return bool(a < b)
    if op is CompareOp.LE:
        return bool(a <= b)
    if op is CompareOp.GT:
        return bool(a > b)
    return bool(a >= b)
