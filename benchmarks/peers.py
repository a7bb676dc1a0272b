"""The peers: the same catalog in rule-engine, zen-engine (GoRules) and Cedar (cedarpy).

Input: a catalog's measures as checked conditions (``credit_rules.check`` IR: the language's
front end, so every peer sees the same resolved names), and per subject a hand-written
:class:`~benchmarks.handwritten.View` (the records that count). Output: per subject, the set
of measure ids whose condition holds. Errors: :class:`PeerUnavailable` when a peer package is
not installed, ``NotImplementedError`` when a peer cannot express a condition,
``RuntimeError`` when a peer reports an evaluation error.

Two ways of handing a subject to a peer:

**Flat** (:data:`PEERS`, the headline comparison of issue 8). Record filtering, time windows
and related subjects are **precomputed into flat attributes** by :func:`features`:

- ``listed("x")`` → a boolean attribute;
- ``any``/``no record where … [within/since]`` → a boolean (``no`` becomes ``not``);
- ``count(record where …) OP k`` → an integer attribute compared by the peer;
- ``rating("s")`` → the current grade as a string (``""`` when there is none);
- ``subject.kind`` / ``subject.region`` → strings; ``subject.minor`` / ``subject.state_owned``
  → booleans;
- ``any``/``no related(roles): body`` → a boolean computed over the related subjects.

The peer evaluates the boolean structure of every condition (``and``, ``or``, ``not``,
comparisons, set membership), one rule/expression/policy per measure. Cedar has no quantifier
over a set of records, so it is only ever run this way.

**Records** (:data:`RECORDS_PEERS`: rule-engine and zen-engine, whose languages can filter a
list). :class:`Native` translates each condition into comprehensions / closures over the
records that count; only which records count, the current lists and ratings, day numbers and
each window's first day are precomputed.

All precomputation is hand-written Python run outside the peers' timings; ``run.py`` reports
its cost separately.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.handwritten import Rec, View
from credit_rules.ast import CompareOp, Quantifier, Since, Within
from credit_rules.check import (
    AllOf,
    AnyOf,
    Checked,
    Condition,
    Const,
    CountTest,
    DateTest,
    DishonestTest,
    Exists,
    KindTest,
    Listed,
    Negation,
    Query,
    RatingTest,
    RegionTest,
    RelatedTest,
    SeverityTest,
    SubjectFlagTest,
    SubjectKindTest,
    TagTest,
    TextTest,
    walk,
)
from credit_rules.model import Period, Severity

FeatureValue = bool | int | str
Features = dict[str, FeatureValue]


class PeerUnavailable(Exception):
    """A peer's package cannot be imported."""


# ---------------------------------------------------------------------------------------------
# Flat conditions: the boolean structure a peer evaluates over precomputed attributes

# ("and", items) | ("or", items) | ("not", item) | ("var", name) | ("const", bool)
# | ("cmp", name, op, int) | ("in", name, values, negated)
Flat = tuple[Any, ...]


class Translation:
    """A catalog's conditions, flattened: the features to precompute and one Flat per measure."""

    def __init__(self, measures: Sequence[tuple[str, Checked]]) -> None:
        #: what to precompute (an IR node, or ("rating", scheme) / ("subject", attribute)) → name
        self.features: dict[Condition | tuple[str, str], str] = {}
        self.kinds: dict[str, str] = {}  # feature name → bool | int | str
        self.flats: dict[str, Flat] = {}
        #: features already computed, by id of the view, with the view itself held so that its
        #: id cannot be reused while cached (shared by the flat peers of a workload)
        self.cache: dict[int, tuple[View, Features]] = {}
        for measure_id, checked in measures:
            self.flats[measure_id] = self._flat(checked.condition)

    def _feature(self, node: Condition | tuple[str, str], label: str, kind: str) -> str:
        name = self.features.get(node)
        if name is None:
            slug = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:40]
            name = f"f{len(self.features)}_{slug}"
            self.features[node] = name
            self.kinds[name] = kind
        return name

    def _flat(self, node: Condition) -> Flat:
        if isinstance(node, AllOf):
            return ("and", tuple(self._flat(item) for item in node.items))
        if isinstance(node, AnyOf):
            return ("or", tuple(self._flat(item) for item in node.items))
        if isinstance(node, Negation):
            return ("not", self._flat(node.item))
        if isinstance(node, Const):
            return ("const", node.value)
        if isinstance(node, Listed):
            return ("var", self._feature(node, f"listed_{node.list_name}", "bool"))
        if isinstance(node, RatingTest):
            name = self._feature(("rating", node.scheme), f"rating_{node.scheme}", "str")
            return ("in", name, tuple(sorted(node.grades)), node.negated)
        if isinstance(node, SubjectKindTest):
            name = self._feature(("subject", "kind"), "subject_kind", "str")
            values = tuple(sorted(kind.value for kind in node.kinds))
            return ("in", name, values, node.negated)
        if isinstance(node, RegionTest):
            name = self._feature(("subject", "region"), "subject_region", "str")
            return ("in", name, tuple(sorted(node.regions)), node.negated)
        if isinstance(node, SubjectFlagTest):
            name = self._feature(("subject", node.attribute), node.attribute, "bool")
            return ("var", name) if node.value else ("not", ("var", name))
        if isinstance(node, Exists):
            probe = Exists(Quantifier.ANY, node.query)
            name = self._feature(probe, "any_record", "bool")
            return ("var", name) if node.quantifier is Quantifier.ANY else ("not", ("var", name))
        if isinstance(node, CountTest):
            probe_count = CountTest(node.query, CompareOp.GE, 0)
            name = self._feature(probe_count, "count_records", "int")
            return ("cmp", name, node.op.value, node.value)
        if isinstance(node, RelatedTest):
            probe_related = RelatedTest(Quantifier.ANY, node.roles, node.body)
            roles = "_".join(role.value for role in node.roles)
            name = self._feature(probe_related, f"related_{roles}", "bool")
            return ("var", name) if node.quantifier is Quantifier.ANY else ("not", ("var", name))
        raise TypeError(f"record test outside a filter: {node!r}")


# ---------------------------------------------------------------------------------------------
# Precomputation (hand-written, over the hand-written views)

_SEVERITIES = (Severity.GENERAL, Severity.SERIOUS, Severity.SEVERE)
_PY = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _record_test(node: Condition, rec: Rec, view: View) -> bool:
    if isinstance(node, AllOf):
        return all(_record_test(item, rec, view) for item in node.items)
    if isinstance(node, AnyOf):
        return any(_record_test(item, rec, view) for item in node.items)
    if isinstance(node, Negation):
        return not _record_test(node.item, rec, view)
    if isinstance(node, Const):
        return node.value
    if isinstance(node, KindTest):
        return (rec.kind in node.kinds) != node.negated
    if isinstance(node, SeverityTest):
        severity = _SEVERITIES[rec.rank] if rec.rank >= 0 else None
        return (severity in node.severities) != node.negated
    if isinstance(node, TextTest):
        record = rec.record
        value: str | None
        if node.field == "document":
            value = record.document.kind if record.document is not None else None
        elif node.field == "list":
            value = record.list_name
        else:
            value = getattr(record, node.field)
        return (value in node.values) != node.negated
    if isinstance(node, TagTest):
        return (node.tag in rec.tags) != node.negated
    if isinstance(node, DishonestTest):
        return rec.dishonest is node.value
    if isinstance(node, DateTest):
        return bool(_PY[node.op.value](rec.on, node.date))
    return _holds(node, view, None)


def _matching(query: Query, view: View, as_of: datetime.date) -> list[Rec]:
    window = query.window
    start: datetime.date | None = None
    since: datetime.date | None = None
    if isinstance(window, Within):
        start = window.period.subtract_from(as_of)
    elif isinstance(window, Since):
        since = window.date
    found = []
    for rec in view.records:
        if start is not None and rec.on <= start:
            continue
        if since is not None and rec.on < since:
            continue
        if query.filter is None or _record_test(query.filter, rec, view):
            found.append(rec)
    return found


def _holds(node: Condition, view: View, as_of: datetime.date | None) -> bool:
    """Reference evaluation of a condition over a hand-written view (for related bodies)."""
    if isinstance(node, AllOf):
        return all(_holds(item, view, as_of) for item in node.items)
    if isinstance(node, AnyOf):
        return any(_holds(item, view, as_of) for item in node.items)
    if isinstance(node, Negation):
        return not _holds(node.item, view, as_of)
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Listed):
        return node.list_name in view.lists
    if isinstance(node, RatingTest):
        grade = view.ratings.get(node.scheme)
        return (grade in node.grades) != node.negated
    if isinstance(node, SubjectKindTest):
        return (view.kind in node.kinds) != node.negated
    if isinstance(node, SubjectFlagTest):
        flag = view.minor if node.attribute == "minor" else view.state_owned
        return flag is node.value
    if isinstance(node, RegionTest):
        return (view.region in node.regions) != node.negated
    assert as_of is not None, "record query inside a record filter"
    if isinstance(node, Exists):
        found = bool(_matching(node.query, view, as_of))
        return found if node.quantifier is Quantifier.ANY else not found
    if isinstance(node, CountTest):
        return bool(_PY[node.op.value](len(_matching(node.query, view, as_of)), node.value))
    if isinstance(node, RelatedTest):
        roles = {role.value for role in node.roles}
        hit = any(_holds(node.body, other, as_of) for role, other in view.related if role in roles)
        return hit if node.quantifier is Quantifier.ANY else not hit
    raise TypeError(f"record test outside a filter: {node!r}")


def features(translation: Translation, view: View, as_of: datetime.date) -> Features:
    """The flat attributes of one subject (one view: with or without pending records)."""
    cached = translation.cache.get(id(view))
    if cached is not None and cached[0] is view:
        return cached[1]
    values: Features = {}
    for node, name in translation.features.items():
        if isinstance(node, tuple):
            family, key = node
            if family == "rating":
                values[name] = view.ratings.get(key) or ""
            elif key == "kind":
                values[name] = view.kind.value
            elif key == "region":
                values[name] = view.region or ""
            elif key == "minor":
                values[name] = view.minor
            else:
                values[name] = view.state_owned
        elif isinstance(node, CountTest):
            values[name] = len(_matching(node.query, view, as_of))
        else:
            values[name] = _holds(node, view, as_of)
    translation.cache[id(view)] = (view, values)
    return values


# ---------------------------------------------------------------------------------------------
# Record-level translation, for the peers whose languages can filter a list of records

#: record fields always handed over; text fields a catalog tests are added (see TEXT_FIELDS)
_RECORD_FIELDS = ("kind", "on", "sev", "dishonest", "tags", "list", "domain")


class Native:
    """A catalog's conditions in rule-engine or zen syntax over a subject's counted records.

    What is handed over precomputed: which records count (status, expiry, lenience, as
    ``handwritten.split`` decides), each record's date as a day number, the subject's current
    lists and current rating per scheme, and the first day of every time window (``w0``, ``w1``
    … as day numbers, relative to ``as_of``). Filtering records, windows, counting and looking
    through related subjects are done by the peer.
    """

    def __init__(self, measures: Sequence[tuple[str, Checked]], *, style: str) -> None:
        self.style = style
        self.windows: dict[Period, str] = {}
        self.fields: set[str] = set(_RECORD_FIELDS)
        self.texts: dict[str, str] = {}
        for measure_id, checked in measures:
            self.texts[measure_id] = self.cond(checked.condition, "", 0)

    # subject-level conditions -------------------------------------------------------------

    def cond(self, node: Condition, scope: str, depth: int) -> str:
        zen = self.style == "zen"
        if isinstance(node, AllOf):
            return "(" + " and ".join(self.cond(i, scope, depth) for i in node.items) + ")"
        if isinstance(node, AnyOf):
            return "(" + " or ".join(self.cond(i, scope, depth) for i in node.items) + ")"
        if isinstance(node, Negation):
            return f"(not {self.cond(node.item, scope, depth)})"
        if isinstance(node, Const):
            return "true" if node.value else "false"
        if isinstance(node, Listed):
            return f"({json.dumps(node.list_name)} in {_at(scope, 'lists')})"
        if isinstance(node, RatingTest):
            grade = _at(scope, "ratings." + node.scheme)
            test = f"({grade} in {_array(sorted(node.grades))})"
            return f"(not {test})" if node.negated else test
        if isinstance(node, SubjectKindTest | RegionTest | SubjectFlagTest):
            return self.subject_test(node, scope)
        if isinstance(node, Exists | CountTest):
            records = _at(scope, "records")
            where = self.filter(node.query, "#" if zen else f"r{depth}", scope)
            if isinstance(node, Exists):
                negated = node.quantifier is Quantifier.NO
                if zen:
                    word = "none" if negated else "some"
                    return f"{word}({records}, {where or 'true'})"
                op = "==" if negated else ">"
                return f"({self.comprehension(records, f'r{depth}', where)}.length {op} 0)"
            if zen:
                return f"(count({records}, {where or 'true'}) {node.op.value} {node.value})"
            found = self.comprehension(records, f"r{depth}", where)
            return f"({found}.length {node.op.value} {node.value})"
        if isinstance(node, RelatedTest):
            roles = _array([role.value for role in node.roles])
            negated = node.quantifier is Quantifier.NO
            if zen:
                if any(isinstance(n, Exists | CountTest) for n in walk(node.body)) and any(
                    isinstance(n, SubjectKindTest | RegionTest | SubjectFlagTest)
                    for n in walk(node.body)
                ):
                    raise NotImplementedError("zen: subject test inside a related record filter")
                body = self.cond(node.body, "#", depth + 1)
                word = "none" if negated else "some"
                return f"{word}({_at(scope, 'related')}, #.role in {roles} and {body})"
            var = f"p{depth}"
            body = self.cond(node.body, var, depth + 1)
            found = self.comprehension(
                _at(scope, "related"), var, f"{var}.role in {roles} and {body}"
            )
            return f"({found}.length {'==' if negated else '>'} 0)"
        raise TypeError(f"record test outside a filter: {node!r}")

    def subject_test(self, node: Condition, scope: str) -> str:
        if isinstance(node, SubjectKindTest):
            test = f"({_at(scope, 'kind')} in {_array(sorted(k.value for k in node.kinds))})"
            return f"(not {test})" if node.negated else test
        if isinstance(node, RegionTest):
            test = f"({_at(scope, 'region')} in {_array(sorted(node.regions))})"
            return f"(not {test})" if node.negated else test
        assert isinstance(node, SubjectFlagTest)
        flag = f"({_at(scope, node.attribute)} == true)"
        return flag if node.value else f"(not {flag})"

    def comprehension(self, source: str, var: str, test: str | None) -> str:
        if test is None:
            return source
        return f"[{var} for {var} in {source} if {test}]"

    # record filters ------------------------------------------------------------------------

    def filter(self, query: Query, r: str, scope: str) -> str | None:
        tests = []
        if isinstance(query.window, Within):
            name = self.windows.setdefault(query.window.period, f"w{len(self.windows)}")
            tests.append(f"{r}.on > {name}")
        elif isinstance(query.window, Since):
            tests.append(f"{r}.on >= {query.window.date.toordinal()}")
        if query.filter is not None:
            tests.append(self.record(query.filter, r, scope))
        return " and ".join(tests) if tests else None

    def record(self, node: Condition, r: str, scope: str) -> str:
        if isinstance(node, AllOf):
            return "(" + " and ".join(self.record(i, r, scope) for i in node.items) + ")"
        if isinstance(node, AnyOf):
            return "(" + " or ".join(self.record(i, r, scope) for i in node.items) + ")"
        if isinstance(node, Negation):
            return f"(not {self.record(node.item, r, scope)})"
        if isinstance(node, Const):
            return "true" if node.value else "false"
        if isinstance(node, KindTest):
            test = f"({r}.kind in {_array(sorted(k.value for k in node.kinds))})"
            return f"(not {test})" if node.negated else test
        if isinstance(node, SeverityTest):
            ranks = sorted(_SEVERITIES.index(s) for s in node.severities)
            test = f"({r}.sev in [{', '.join(map(str, ranks))}])"
            return f"(not {test})" if node.negated else test
        if isinstance(node, TextTest):
            field = node.field
            self.fields.add(field)
            test = f"({r}.{field} in {_array(sorted(node.values))})"
            return f"(not {test})" if node.negated else test
        if isinstance(node, TagTest):
            test = f"({json.dumps(node.tag)} in {r}.tags)"
            return f"(not {test})" if node.negated else test
        if isinstance(node, DishonestTest):
            return f"({r}.dishonest == {'true' if node.value else 'false'})"
        if isinstance(node, DateTest):
            return f"({r}.on {node.op.value} {node.date.toordinal()})"
        if isinstance(node, SubjectKindTest | RegionTest | SubjectFlagTest):
            return self.subject_test(node, scope)
        raise TypeError(f"not a record test: {node!r}")

    # the data handed over ------------------------------------------------------------------

    def context(self, view: View, as_of: datetime.date, schemes: Sequence[str]) -> Features:
        """The peer's input for one subject view: the subject, its records, window starts."""
        data: dict[str, Any] = self.entity(view, schemes)
        for period, name in self.windows.items():
            data[name] = period.subtract_from(as_of).toordinal()
        return data

    def entity(self, view: View, schemes: Sequence[str]) -> dict[str, Any]:
        fields = self.fields
        records = []
        for rec in view.records:
            record = rec.record
            item: dict[str, Any] = {
                "kind": rec.kind.value,
                "on": rec.on.toordinal(),
                "sev": rec.rank,
                "dishonest": rec.dishonest,
                "tags": sorted(rec.tags),
                "list": rec.list_name or "",
                "domain": rec.domain or "",
            }
            if len(fields) > len(_RECORD_FIELDS):
                for field in fields.difference(_RECORD_FIELDS):
                    if field == "document":
                        value = record.document.kind if record.document is not None else ""
                    else:
                        value = getattr(record, field) or ""
                    item[field] = value
            records.append(item)
        return {
            "kind": view.kind.value,
            "minor": view.minor,
            "state_owned": view.state_owned,
            "region": view.region or "",
            "lists": sorted(view.lists),
            "ratings": {scheme: view.ratings.get(scheme) or "" for scheme in schemes},
            "records": records,
            "related": [
                {"role": role, **self.entity(other, schemes)} for role, other in view.related
            ],
        }


def _at(scope: str, name: str) -> str:
    """``name`` of the subject in ``scope`` (top level: a context variable of its own)."""
    return f"{scope}.{name}" if scope else name


def _array(values: Sequence[str]) -> str:
    return "[" + ", ".join(json.dumps(value) for value in values) + "]"


# ---------------------------------------------------------------------------------------------
# The peers


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "?"


class Peer:
    """A peer engine holding one catalog.

    ``prepare`` turns a subject view into the peer's input (outside the timings); ``evaluate``
    returns the measure ids whose condition holds for that input.
    """

    name = ""
    package = ""
    #: what the peer is handed precomputed, for the report
    handed = ""
    #: so slow that it is timed on a sample of the subjects
    slow = False

    def __init__(
        self,
        measures: Sequence[tuple[str, Checked]],
        *,
        schemes: Sequence[str] = (),
        translation: Translation | None = None,
    ) -> None:
        self.measures = [measure_id for measure_id, _ in measures]
        self.schemes = tuple(schemes)
        self.shared = translation
        self.build(measures)

    @property
    def version(self) -> str:
        """The installed version of the peer's package."""
        return _version(self.package)

    def build(self, measures: Sequence[tuple[str, Checked]]) -> None:
        """Compile the catalog into the peer's own form."""
        raise NotImplementedError

    def prepare(self, view: View, as_of: datetime.date) -> Any:
        """The peer's input for one subject view (not timed)."""
        raise NotImplementedError

    def evaluate(self, data: Any) -> set[str]:
        """The measures whose condition holds for this input."""
        raise NotImplementedError


FLAT_HANDED = (
    "record queries (any/no/count), related subjects, current ratings, subject attributes "
    "and list membership as flat attributes"
)
RECORDS_HANDED = (
    "the records that count (status, expiry, lenience applied), current lists and ratings, "
    "dates as day numbers and each window's first day; the peer filters, counts, applies "
    "windows and walks related subjects"
)


class _FlatPeer(Peer):
    handed = FLAT_HANDED

    def build(self, measures: Sequence[tuple[str, Checked]]) -> None:
        self.translation = self.shared if self.shared is not None else Translation(measures)
        self.build_flat(self.translation)

    def build_flat(self, translation: Translation) -> None:
        raise NotImplementedError

    def prepare(self, view: View, as_of: datetime.date) -> Any:
        return features(self.translation, view, as_of)


class _RecordsPeer(Peer):
    handed = RECORDS_HANDED
    style = ""

    def build(self, measures: Sequence[tuple[str, Checked]]) -> None:
        self.native = Native(measures, style=self.style)
        self.build_native(self.native)

    def build_native(self, native: Native) -> None:
        raise NotImplementedError

    def prepare(self, view: View, as_of: datetime.date) -> Any:
        return self.native.context(view, as_of, self.schemes)


def _rule_engine() -> Any:
    try:
        import rule_engine  # type: ignore[import-untyped]
    except ImportError as problem:
        raise PeerUnavailable(f"rule-engine: {problem}") from None
    return rule_engine


def _zen() -> Any:
    try:
        import zen
    except ImportError as problem:
        raise PeerUnavailable(f"zen-engine: {problem}") from None
    return zen


def _cedarpy() -> Any:
    try:
        import cedarpy
    except ImportError as problem:
        raise PeerUnavailable(f"cedarpy: {problem}") from None
    return cedarpy


class RuleEngineRecords(_RecordsPeer):
    """``rule-engine``: one ``Rule`` per measure over the subject's records (comprehensions)."""

    name = "rule-engine (records)"
    package = "rule-engine"
    style = "rule_engine"
    slow = True

    def build_native(self, native: Native) -> None:
        rule_engine = _rule_engine()
        context = rule_engine.Context()
        self.rules = [
            (measure_id, rule_engine.Rule(text, context=context))
            for measure_id, text in native.texts.items()
        ]

    def evaluate(self, data: Any) -> set[str]:
        return {measure_id for measure_id, rule in self.rules if rule.matches(data)}


class RuleEngineFlat(_FlatPeer):
    """``rule-engine`` handed every record query precomputed: one ``Rule`` per measure."""

    name = "rule-engine"
    package = "rule-engine"

    def build_flat(self, translation: Translation) -> None:
        rule_engine = _rule_engine()
        context = rule_engine.Context()
        self.rules = [
            (measure_id, rule_engine.Rule(_text(flat, var=str, style="py"), context=context))
            for measure_id, flat in translation.flats.items()
        ]

    def evaluate(self, data: Any) -> set[str]:
        return {measure_id for measure_id, rule in self.rules if rule.matches(data)}


def _zen_decision(texts: Sequence[str]) -> tuple[str, Any]:
    """One decision: input → one expression node (an expression per measure) → output."""
    zen = _zen()
    expressions = [{"id": f"e{i}", "key": f"m{i}", "value": text} for i, text in enumerate(texts)]
    content = {
        "nodes": [
            {"id": "input", "type": "inputNode", "name": "subject", "position": _ORIGIN},
            {
                "id": "measures",
                "type": "expressionNode",
                "name": "measures",
                "position": _ORIGIN,
                "content": {"expressions": expressions},
            },
            {"id": "output", "type": "outputNode", "name": "triggered", "position": _ORIGIN},
        ],
        "edges": [
            {"id": "a", "sourceId": "input", "targetId": "measures", "type": "edge"},
            {"id": "b", "sourceId": "measures", "targetId": "output", "type": "edge"},
        ],
    }
    text = json.dumps(content, ensure_ascii=False)
    return text, zen.ZenEngine().create_decision(text)


_ORIGIN = {"x": 0, "y": 0}


class ZenRecords(_RecordsPeer):
    """``zen-engine``: one decision with an expression per measure (``some``/``none``/``count``
    closures over the records), evaluated once per subject."""

    name = "zen-engine (records)"
    package = "zen-engine"
    style = "zen"

    def build_native(self, native: Native) -> None:
        self.keys = {f"m{i}": measure_id for i, measure_id in enumerate(native.texts)}
        self.content, self.decision = _zen_decision(list(native.texts.values()))

    def evaluate(self, data: Any) -> set[str]:
        result = self.decision.evaluate(data)["result"]
        keys = self.keys
        return {keys[key] for key, hit in result.items() if hit is True}


class ZenFlat(_FlatPeer):
    """``zen-engine`` handed every record query precomputed (one decision, one expression node)."""

    name = "zen-engine"
    package = "zen-engine"

    def build_flat(self, translation: Translation) -> None:
        self.keys = {f"m{i}": measure_id for i, measure_id in enumerate(translation.flats)}
        texts = [_text(flat, var=str, style="py") for flat in translation.flats.values()]
        self.content, self.decision = _zen_decision(texts)

    def evaluate(self, data: Any) -> set[str]:
        result = self.decision.evaluate(data)["result"]
        keys = self.keys
        return {keys[key] for key, hit in result.items() if hit is True}


class CedarFlat(_FlatPeer):
    """``cedarpy``: one ``permit`` policy per measure (``@id`` = measure id), one
    ``is_authorized`` call per subject; the satisfied policies are the measures that hold.
    Cedar has no quantifier over a set of records, so it always gets flat attributes."""

    name = "cedarpy"
    package = "cedarpy"

    def build_flat(self, translation: Translation) -> None:
        cedarpy = _cedarpy()
        self.is_authorized = cedarpy.is_authorized
        policies = []
        for measure_id, flat in translation.flats.items():
            condition = _text(flat, var=lambda name: f"context.{name}", style="cedar")
            policies.append(
                f'@id("{measure_id}")\npermit(principal, action, resource) when {{ {condition} }};'
            )
        self.text = "\n".join(policies)
        self.policies = cedarpy.PolicySet.from_str(self.text)
        self.entities = cedarpy.Entities.from_json_str("[]")

    def prepare(self, view: View, as_of: datetime.date) -> Any:
        return {
            "principal": 'Subject::"s"',
            "action": 'Action::"match"',
            "resource": 'Catalog::"c"',
            "context": features(self.translation, view, as_of),
        }

    def evaluate(self, data: Any) -> set[str]:
        result = self.is_authorized(data, self.policies, self.entities)
        diagnostics = result.diagnostics
        if diagnostics.errors:
            raise RuntimeError(f"cedar evaluation errors: {diagnostics.errors[:3]}")
        return set(diagnostics.id_annotations_by_reason.values())


def _text(flat: Flat, *, var: Callable[[str], str], style: str) -> str:
    """A flat condition in rule-engine / zen syntax (``style`` "py") or Cedar's (``"cedar"``)."""
    cedar = style == "cedar"
    tag = flat[0]
    if tag in ("and", "or"):
        joiner = {"and": " && ", "or": " || "}[tag] if cedar else f" {tag} "
        return "(" + joiner.join(_text(item, var=var, style=style) for item in flat[1]) + ")"
    if tag == "not":
        inner = _text(flat[1], var=var, style=style)
        return f"(!{inner})" if cedar else f"(not {inner})"
    if tag == "var":
        return var(flat[1])
    if tag == "const":
        return "true" if flat[1] else "false"
    if tag == "cmp":
        return f"({var(flat[1])} {flat[2]} {flat[3]})"
    if tag == "in":
        _, name, values, negated = flat
        items = ", ".join(json.dumps(value) for value in values)
        if cedar:
            test = f"[{items}].contains({var(name)})"
            return f"(!{test})" if negated else test
        test = f"({var(name)} in [{items}])"
        return f"(not {test})" if negated else test
    raise TypeError(f"not a flat condition: {flat!r}")


#: the peers of the headline comparison, handed record queries precomputed (issue 8)
PEERS: tuple[type[Peer], ...] = (RuleEngineFlat, ZenFlat, CedarFlat)
#: the peers whose languages can filter records, doing it themselves
RECORDS_PEERS: tuple[type[Peer], ...] = (RuleEngineRecords, ZenRecords)


def peer_answer(peer: Peer, inputs: tuple[Any, Any | None]) -> frozenset[tuple[str, bool]]:
    """A peer's answer in the benchmark's form: applies, or holds only with pending records."""
    confirmed = peer.evaluate(inputs[0])
    result = {(measure_id, False) for measure_id in confirmed}
    if inputs[1] is not None:
        result.update((m, True) for m in peer.evaluate(inputs[1]) - confirmed)
    return frozenset(result)


def peer_inputs(
    peer: Peer, confirmed: View, with_pending: View | None, as_of: datetime.date
) -> tuple[Any, Any | None]:
    """A peer's inputs for a subject: without and (when it has any) with pending records."""
    first = peer.prepare(confirmed, as_of)
    second = None if with_pending is None else peer.prepare(with_pending, as_of)
    return first, second
