"""Case tests of a catalog: YAML cases in, pass or fail with field-level differences, and coverage.

Input: case files (YAML, validated by ``schemas/cases.schema.json``; see docs/cases.md). A file
names the catalog it tests and lists cases; each case gives a dossier (inline in the records
format, or a records file), ``as_of``, an optional matter, and either the outcomes expected or
the error code expected.

Output: :func:`read_case_file` gives a :class:`CaseFile`; :class:`CaseRunner` evaluates every case
with the engine of its catalog and gives a :class:`RunReport`: a :class:`CaseResult` per case with
its :class:`Failure` values (each naming the measure, the target and the fields that differ),
and :class:`Coverage`: which measures no case exercises, and which branches of each ``when:`` no
case reaches (every sub-condition that :meth:`~credit_rules.explain.Explainer.steps` reports must
be seen true in some case and false in some case).

Errors: :class:`CasesError` holding every problem of every file at once, each at
file:line:column. Reading and schema problems use the codes CR-E100 to CR-E114; problems only
case files have use CR-E601 to CR-E607 (listed in docs/cases.md). A malformed dossier is not a
reading error: it is the case's result (a failure, or the error the case expects). Catalog
problems raise the catalog's own errors.
"""

from __future__ import annotations

import datetime
import difflib
import enum
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from credit_rules.catalog import CATALOG_SUFFIXES, load_catalog
from credit_rules.compile import Env, make_env
from credit_rules.decision import Decision, MeasureOutcome, OutcomeStatus, Target
from credit_rules.engine import CompiledMeasure, Engine, compile_catalog
from credit_rules.errors import CreditRulesError, Diagnostic, RecordsError, error
from credit_rules.explain import Explainer
from credit_rules.facts import Facts, SetAsideReason, build_facts
from credit_rules.loader import Path, Positions, load_yaml, read_file
from credit_rules.model import Dossier, Measure, Role, Subject, SubjectKind
from credit_rules.records import dossier_from_data, load_dossiers
from credit_rules.schema import validate
from credit_rules.spans import Span

__all__ = [
    "UNSET",
    "BranchCoverage",
    "Case",
    "CaseFile",
    "CaseResult",
    "CaseRunner",
    "CasesError",
    "Coverage",
    "ExpectedError",
    "ExpectedOutcome",
    "ExpectedSetAside",
    "ExpectedTarget",
    "Failure",
    "FailureKind",
    "FieldDifference",
    "MeasureCoverage",
    "RunReport",
    "compare",
    "evaluated_entities",
    "find_case_files",
    "read_case_file",
    "read_case_text",
    "run_case",
    "run_cases",
]


class CasesError(CreditRulesError):
    """A case file cannot be read, or does not have the shape the cases schema requires."""


class _Unset(enum.Enum):
    """The value of an expectation field the case does not give (so it is not checked).

    Distinct from ``None``: ``end: null`` expects a measure without an end date.
    """

    UNSET = "unset"

    def __repr__(self) -> str:
        return "UNSET"


#: an expectation field left out of the case: not checked
UNSET = _Unset.UNSET

# ---------------------------------------------------------------------------------------------
# What a case file holds


@attrs.frozen(slots=True)
class ExpectedTarget:
    """Whom an expected outcome is for: a subject id, and optionally how it is reached."""

    subject_id: str
    #: the organisation a person is reached through; None: the subject itself
    via: str | _Unset | None = UNSET
    role: Role | _Unset | None = UNSET

    def matches(self, target: Target) -> bool:
        """Whether an actual target is this one (fields left out match anything)."""
        if target.subject_id != self.subject_id:
            return False
        if self.via is not UNSET and target.via_id != self.via:
            return False
        return self.role is UNSET or target.role == self.role

    def text(self) -> str:
        """``P1``, or ``P1 via E1 as legal_representative`` when the case says so."""
        text = self.subject_id
        if isinstance(self.via, str):
            text += f" via {self.via}"
        if isinstance(self.role, Role):
            text += f" as {self.role.value}"
        return text


@attrs.frozen(slots=True)
class ExpectedOutcome:
    """One measure the decision must contain for one target, with the fields the case gives."""

    measure_id: str
    status: OutcomeStatus
    target: ExpectedTarget
    start: datetime.date | _Unset | None = UNSET
    end: datetime.date | _Unset | None = UNSET
    witnesses: tuple[str, ...] | _Unset = UNSET
    pending: tuple[str, ...] | _Unset = UNSET
    withheld_by: tuple[str, ...] | _Unset = UNSET
    failed_checks: tuple[str, ...] | _Unset = UNSET
    span: Span | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen(slots=True)
class ExpectedSetAside:
    """A record the decision must set aside, and the reason code it must give."""

    record_id: str
    reason: SetAsideReason
    span: Span | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen(slots=True)
class ExpectedError:
    """The error a case expects instead of a decision: its code, and optionally where and what."""

    code: str
    path: str | None = None
    message: str | None = None
    span: Span | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen(slots=True)
class Case:
    """One dossier evaluated on one date, and what the decision must (and must not) hold."""

    name: str
    description: str
    as_of: datetime.date
    matter: str | None
    #: None when the dossier is malformed (``dossier_problems`` says why)
    dossier: Dossier | None
    dossier_problems: tuple[Diagnostic, ...] = ()
    exact: bool = False
    expect: tuple[ExpectedOutcome, ...] = ()
    expect_absent: tuple[str, ...] = ()
    expect_set_aside: tuple[ExpectedSetAside, ...] = ()
    expect_error: ExpectedError | None = None
    span: Span | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen(slots=True)
class CaseFile:
    """A case file: the catalog it tests (paths resolved against the file) and its cases."""

    path: str
    catalog_paths: tuple[str, ...]
    cases: tuple[Case, ...]
    description: str | None = None
    #: where each ``expect_absent`` and ``expect`` measure id stands, for CR-E602
    measure_refs: tuple[tuple[str, Span], ...] = attrs.field(default=(), eq=False, repr=False)


def find_case_files(paths: Iterable[str | os.PathLike[str]]) -> tuple[str, ...]:
    """The case files named, directories searched recursively for ``.yaml``/``.yml`` files."""
    found: list[str] = []
    for path in paths:
        name = os.fspath(path)
        if os.path.isdir(name):
            for root, dirs, files in os.walk(name):
                dirs.sort()
                found.extend(
                    os.path.join(root, f) for f in sorted(files) if f.endswith(CATALOG_SUFFIXES)
                )
        else:
            found.append(name)
    return tuple(dict.fromkeys(found))


def read_case_file(path: str | os.PathLike[str]) -> CaseFile:
    """Read and check one case file (not yet against its catalog).

    Raises:
        CasesError: every problem found, each at file:line:column.
    """
    name = os.fspath(path)
    text = read_file(name, CasesError)
    return read_case_text(text, source=name)


def read_case_text(text: str, *, source: str) -> CaseFile:
    """Read case-file text; ``source`` names it and anchors relative paths.

    Raises:
        CasesError: every problem found, each at ``source``:line:column.
    """
    try:
        data, positions = load_yaml(text, source)
    except CreditRulesError as exc:
        raise CasesError(exc.diagnostics) from None
    if data is None:
        raise CasesError(
            [error("CR-E111", "missing required field `catalog`", Span.point(source, 1, 1))]
        )
    problems = validate(data, positions, "cases")
    if problems:
        raise CasesError(problems)
    builder = _Builder(source, positions)
    case_file = builder.case_file(data)
    if builder.problems:
        raise CasesError(builder.problems)
    return case_file


class _Builder:
    """Schema-valid case-file data → :class:`CaseFile`; other problems go to ``problems``.

    INVARIANT: the data has passed the cases schema, so fields have their types.
    """

    def __init__(self, source: str, positions: Positions) -> None:
        self.source = source
        self.base = os.path.dirname(source)
        self.positions = positions
        self.problems: list[Diagnostic] = []
        self.refs: list[tuple[str, Span]] = []

    def at(self, path: Path, *, key: bool = False) -> Span:
        return self.positions.at(path, key=key)

    def problem(
        self, code: str, message: str, path: Path, *, key: bool = False, help: str | None = None
    ) -> None:
        self.problems.append(
            error(code, message, self.at(path, key=key), help=help, catalog_path=_path_text(path))
        )

    def resolve(self, relative: str) -> str:
        return os.path.normpath(os.path.join(self.base, relative))

    def case_file(self, data: Mapping[str, Any]) -> CaseFile:
        catalog_paths = []
        for index, relative in enumerate(data["catalog"]):
            resolved = self.resolve(relative)
            if not os.path.exists(resolved):
                self.problem(
                    "CR-E603",
                    f"no catalog file or directory `{relative}` (looked for `{resolved}`)",
                    ("catalog", index),
                    help="catalog paths are relative to the case file",
                )
            catalog_paths.append(resolved)
        cases = []
        seen: dict[str, int] = {}
        for index, item in enumerate(data["cases"]):
            name = item["name"]
            if name in seen:
                first = self.at(("cases", seen[name], "name")).line
                self.problem(
                    "CR-E601",
                    f"duplicate case name `{_escaped(name)}` (first at line {first})",
                    ("cases", index, "name"),
                )
            else:
                seen[name] = index
            cases.append(self.case(item, ("cases", index)))
        return CaseFile(
            path=self.source,
            catalog_paths=tuple(catalog_paths),
            cases=tuple(cases),
            description=data.get("description"),
            measure_refs=tuple(self.refs),
        )

    def case(self, data: Mapping[str, Any], path: Path) -> Case:
        dossier, problems = self.dossier(data, path)
        outcome_keys = [
            k for k in ("expect", "expect_absent", "expect_set_aside", "exact") if k in data
        ]
        expect_error = None
        if "expect_error" in data:
            if outcome_keys:
                self.problem(
                    "CR-E605",
                    f"case `{_escaped(data['name'])}` expects an error and also "
                    f"`{outcome_keys[0]}`",
                    (*path, outcome_keys[0]),
                    key=True,
                    help="a case expects either an error or a decision",
                )
            found = data["expect_error"]
            expect_error = ExpectedError(
                code=found["code"],
                path=found.get("path"),
                message=found.get("message"),
                span=self.at((*path, "expect_error")),
            )
        subject_id = dossier.subject.id if dossier is not None else ""
        expect = tuple(
            self.outcome(item, (*path, "expect", index), subject_id)
            for index, item in enumerate(data.get("expect") or ())
        )
        absent = tuple(data.get("expect_absent") or ())
        for index, measure_id in enumerate(absent):
            self.refs.append((measure_id, self.at((*path, "expect_absent", index))))
        expected_ids = {e.measure_id for e in expect}
        for index, measure_id in enumerate(absent):
            if measure_id in expected_ids:
                self.problem(
                    "CR-E606",
                    f"measure `{measure_id}` is both expected and expected absent",
                    (*path, "expect_absent", index),
                )
        set_aside = tuple(
            ExpectedSetAside(
                record_id=item["record"],
                reason=SetAsideReason(item["reason"]),
                span=self.at((*path, "expect_set_aside", index)),
            )
            for index, item in enumerate(data.get("expect_set_aside") or ())
        )
        return Case(
            name=data["name"],
            description=data["description"],
            as_of=_date(data["as_of"]),
            matter=data.get("matter"),
            dossier=dossier,
            dossier_problems=problems,
            exact=bool(data.get("exact", False)),
            expect=expect,
            expect_absent=absent,
            expect_set_aside=set_aside,
            expect_error=expect_error,
            span=self.at(path),
        )

    def dossier(
        self, data: Mapping[str, Any], path: Path
    ) -> tuple[Dossier | None, tuple[Diagnostic, ...]]:
        inline = [k for k in ("subject", "records", "related") if k in data]
        if "dossier" in data:
            if inline:
                self.problem(
                    "CR-E604",
                    f"case `{_escaped(data['name'])}` gives both `dossier` and `{inline[0]}`",
                    (*path, inline[0]),
                    key=True,
                    help="give the dossier inline (subject, records, related) or as a records file",
                )
                return None, ()
            return self.dossier_file(data["dossier"], (*path, "dossier"))
        if "subject" not in data:
            self.problem(
                "CR-E604",
                f"case `{_escaped(data['name'])}` gives no dossier",
                path,
                help="give `subject` (with `records` and `related`) or `dossier: FILE`",
            )
            return None, ()
        plain = {k: data[k] for k in inline}
        try:
            return dossier_from_data(plain, source=self.source), ()
        except RecordsError as exc:
            return None, tuple(self.placed(d, path) for d in exc.diagnostics)

    def dossier_file(
        self, relative: str, path: Path
    ) -> tuple[Dossier | None, tuple[Diagnostic, ...]]:
        resolved = self.resolve(relative)
        if not os.path.isfile(resolved):
            self.problem("CR-E607", f"no records file `{relative}` (looked for `{resolved}`)", path)
            return None, ()
        try:
            dossiers = load_dossiers(resolved)
        except RecordsError as exc:
            return None, exc.diagnostics
        if len(dossiers) != 1:
            self.problem(
                "CR-E607",
                f"records file `{relative}` holds {len(dossiers)} dossiers; a case needs "
                "exactly one",
                path,
            )
            return None, ()
        return dossiers[0], ()

    def placed(self, diagnostic: Diagnostic, case_path: Path) -> Diagnostic:
        """A dossier diagnostic (positioned nowhere) moved to its place in the case file."""
        inner = _parse_path(diagnostic.catalog_path or "")
        full = (*case_path, *inner)
        key = diagnostic.code in ("CR-E110", "CR-E206")
        return attrs.evolve(diagnostic, span=self.at(full, key=key), catalog_path=_path_text(full))

    def outcome(self, data: Mapping[str, Any], path: Path, subject_id: str) -> ExpectedOutcome:
        self.refs.append((data["measure"], self.at((*path, "measure"))))
        target = data.get("target")
        if target is None:
            expected_target = ExpectedTarget(subject_id)
        elif isinstance(target, str):
            expected_target = ExpectedTarget(target)
        else:
            role = target.get("role", UNSET)
            expected_target = ExpectedTarget(
                target["id"],
                via=target.get("via", UNSET),
                role=Role(role) if isinstance(role, str) else role,
            )
        return ExpectedOutcome(
            measure_id=data["measure"],
            status=OutcomeStatus(data["status"]),
            target=expected_target,
            start=_optional_date(data, "start"),
            end=_optional_date(data, "end"),
            witnesses=_ids(data, "witnesses"),
            pending=_ids(data, "pending"),
            withheld_by=_ids(data, "withheld_by"),
            failed_checks=_ids(data, "failed_checks"),
            span=self.at(path),
        )


def _date(text: str) -> datetime.date:
    # INVARIANT: the schema's date format has accepted the text
    return datetime.date.fromisoformat(text)


def _optional_date(data: Mapping[str, Any], name: str) -> datetime.date | _Unset | None:
    if name not in data:
        return UNSET
    value = data[name]
    return None if value is None else _date(value)


def _ids(data: Mapping[str, Any], name: str) -> tuple[str, ...] | _Unset:
    if name not in data:
        return UNSET
    return tuple(sorted(data[name]))


_PATH_PART = re.compile(r"\[(\d+)\]|\.?([^.\[]+)")


def _parse_path(text: str) -> Path:
    """``records[0].status_since`` → ``("records", 0, "status_since")``."""
    parts: list[str | int] = []
    for match in _PATH_PART.finditer(text):
        index, key = match.groups()
        parts.append(int(index) if index is not None else key)
    return tuple(parts)


def _path_text(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _escaped(text: str) -> str:
    shown = "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )
    return shown if len(shown) <= 60 else shown[:57] + "..."


# ---------------------------------------------------------------------------------------------
# Results


class FailureKind(enum.Enum):
    """How a case failed."""

    #: an expected outcome is not in the decision
    MISSING = "missing"
    #: an expected outcome is in the decision, with other values
    DIFFERENT = "different"
    #: ``exact``: an outcome the case does not expect
    UNEXPECTED = "unexpected"
    #: a measure expected absent is in the decision
    PRESENT = "present"
    #: an expected set-aside record is not set aside
    SET_ASIDE_MISSING = "set_aside_missing"
    #: a record is set aside for another reason
    SET_ASIDE_DIFFERENT = "set_aside_different"
    #: ``exact``: a record set aside that the case does not expect
    SET_ASIDE_UNEXPECTED = "set_aside_unexpected"
    #: the case expects an error; the evaluation succeeded
    NO_ERROR = "no_error"
    #: the case expects an error; another one was raised
    OTHER_ERROR = "other_error"
    #: the case expects a decision; an error was raised (malformed dossier, unknown matter …)
    ERROR = "error"


@attrs.frozen(slots=True)
class FieldDifference:
    """One field of an outcome: what the case expects and what the decision has."""

    field: str
    expected: str
    actual: str


@attrs.frozen(slots=True)
class Failure:
    """One way a case failed, with the measure, target and fields concerned."""

    kind: FailureKind
    message: str
    measure_id: str | None = None
    target: str | None = None
    differences: tuple[FieldDifference, ...] = ()
    #: the expectation in the case file (or the case, when no single expectation is at fault)
    span: Span | None = None
    #: the errors raised, for ``error`` and ``other_error``
    diagnostics: tuple[Diagnostic, ...] = ()


@attrs.frozen(slots=True)
class CaseResult:
    """The result of one case: its failures (none when it passed) and the decision made."""

    file: str
    case: Case
    failures: tuple[Failure, ...]
    decision: Decision | None = None

    @property
    def passed(self) -> bool:
        """No failure."""
        return not self.failures


@attrs.frozen(slots=True)
class BranchCoverage:
    """One sub-condition of a ``when:`` and in how many cases it was seen true and false."""

    text: str
    span: Span
    depth: int
    true_in: int
    false_in: int

    @property
    def missing(self) -> tuple[bool, ...]:
        """The values never seen: ``(True,)``, ``(False,)``, both, or none."""
        return tuple(v for v, n in ((True, self.true_in), (False, self.false_in)) if n == 0)


@attrs.frozen(slots=True)
class MeasureCoverage:
    """How the cases exercised one measure."""

    measure: Measure
    #: the catalog file the measure is defined in
    file: str
    #: cases that exercised it (an outcome, or an ``expect_absent`` the case evaluated)
    exercised_by: tuple[str, ...]
    #: cases in which its condition was evaluated on some subject
    evaluated_in: int
    branches: tuple[BranchCoverage, ...]

    @property
    def exercised(self) -> bool:
        """Some case exercised it."""
        return bool(self.exercised_by)


@attrs.frozen(slots=True)
class Coverage:
    """Measure and branch coverage over every catalog the cases were run against."""

    measures: tuple[MeasureCoverage, ...]

    @property
    def unexercised(self) -> tuple[MeasureCoverage, ...]:
        """Measures no case exercises."""
        return tuple(m for m in self.measures if not m.exercised)

    @property
    def branch_count(self) -> int:
        """Branches in all: two (true, false) per sub-condition."""
        return sum(2 * len(m.branches) for m in self.measures)

    @property
    def branches_reached(self) -> int:
        """Branches seen in some case."""
        return sum(
            2 * len(m.branches) - sum(len(b.missing) for b in m.branches) for m in self.measures
        )

    def missing_branches(self) -> tuple[tuple[MeasureCoverage, BranchCoverage, bool], ...]:
        """(measure, sub-condition, value) for every branch no case reaches."""
        return tuple(
            (m, b, value) for m in self.measures for b in m.branches for value in b.missing
        )


@attrs.frozen(slots=True)
class RunReport:
    """Every case's result and the coverage they give."""

    results: tuple[CaseResult, ...]
    coverage: Coverage

    @property
    def failed(self) -> tuple[CaseResult, ...]:
        """The cases that failed."""
        return tuple(r for r in self.results if not r.passed)

    @property
    def passed(self) -> bool:
        """Every case passed."""
        return not self.failed


# ---------------------------------------------------------------------------------------------
# Running


class CaseRunner:
    """Runs case files; catalogs are loaded and compiled once, and coverage accumulates."""

    def __init__(self, *, strict: bool = True) -> None:
        """``strict=False`` evaluates catalogs that have unacknowledged lint errors too."""
        self.strict = strict
        self._engines: dict[tuple[str, ...], tuple[Engine, Explainer]] = {}
        self._coverage = _CoverageTracker()

    def engine(self, case_file: CaseFile) -> Engine:
        """The compiled catalog a case file tests (catalog errors propagate)."""
        return self._engine(case_file)[0]

    def _engine(self, case_file: CaseFile) -> tuple[Engine, Explainer]:
        key = tuple(os.path.realpath(p) for p in case_file.catalog_paths)
        found = self._engines.get(key)
        if found is None:
            engine = compile_catalog(load_catalog(*case_file.catalog_paths), strict=self.strict)
            found = self._engines[key] = (engine, Explainer(engine))
            self._coverage.add_engine(engine, found[1])
        return found

    def check(self, files: Sequence[CaseFile]) -> None:
        """Check every measure id the cases name against their catalogs.

        Raises:
            CasesError: ``CR-E602`` for each unknown measure id.
        """
        problems: list[Diagnostic] = []
        for case_file in files:
            ids = {m.id for m in self.engine(case_file).catalog.measures}
            for measure_id, span in case_file.measure_refs:
                if measure_id not in ids:
                    close = difflib.get_close_matches(measure_id, sorted(ids), n=1)
                    problems.append(
                        error(
                            "CR-E602",
                            f"unknown measure `{measure_id}` in the catalog of this file",
                            span,
                            help=f"did you mean `{close[0]}`?" if close else None,
                        )
                    )
        if problems:
            raise CasesError(problems)

    def run(self, files: Sequence[CaseFile]) -> RunReport:
        """Run every case of every file (after :meth:`check`)."""
        self.check(files)
        results = []
        for case_file in files:
            engine, explainer = self._engine(case_file)
            for case in case_file.cases:
                result = run_case(engine, case, file=case_file.path)
                results.append(result)
                if result.decision is not None:
                    label = f"{case_file.path}::{case.name}"
                    self._coverage.observe(engine, explainer, case, result.decision, label)
        return RunReport(tuple(results), self._coverage.coverage())


def run_cases(paths: Iterable[str | os.PathLike[str]], *, strict: bool = True) -> RunReport:
    """Read, check and run the case files at ``paths`` (files or directories).

    ``strict=False`` evaluates catalogs with unacknowledged lint errors instead of refusing them.

    Raises:
        CasesError: a case file is unreadable or malformed (every problem of every file), or
            names no file at all.
    """
    names = find_case_files(paths)
    if not names:
        raise CasesError([error("CR-E100", "no case file (`.yaml` or `.yml`) found")])
    files = []
    problems: list[Diagnostic] = []
    for name in names:
        try:
            files.append(read_case_file(name))
        except CasesError as exc:
            problems.extend(exc.diagnostics)
    if problems:
        raise CasesError(problems)
    return CaseRunner(strict=strict).run(files)


def run_case(engine: Engine, case: Case, *, file: str = "") -> CaseResult:
    """Evaluate one case and compare the decision with what it expects."""
    if case.dossier is None:
        return CaseResult(file, case, _error_failures(case, case.dossier_problems))
    try:
        decision = engine.evaluate(case.dossier, as_of=case.as_of, matter=case.matter)
    except CreditRulesError as exc:
        return CaseResult(file, case, _error_failures(case, exc.diagnostics))
    if case.expect_error is not None:
        expected = case.expect_error
        failure = Failure(
            FailureKind.NO_ERROR,
            f"expected error {expected.code}, but the evaluation succeeded",
            span=expected.span,
        )
        return CaseResult(file, case, (failure,), decision)
    return CaseResult(file, case, compare(case, decision), decision)


def _error_failures(case: Case, diagnostics: Sequence[Diagnostic]) -> tuple[Failure, ...]:
    expected = case.expect_error
    if expected is None:
        codes = ", ".join(sorted({d.code for d in diagnostics}))
        return (
            Failure(
                FailureKind.ERROR,
                f"expected a decision, got error {codes}",
                span=case.span,
                diagnostics=tuple(diagnostics),
            ),
        )
    for diagnostic in diagnostics:
        if (
            diagnostic.code == expected.code
            and (expected.path is None or _relative_path(diagnostic.catalog_path) == expected.path)
            and (expected.message is None or diagnostic.message == expected.message)
        ):
            return ()
    wanted = expected.code + (f" at `{expected.path}`" if expected.path else "")
    if expected.message:
        wanted += f": {expected.message}"
    return (
        Failure(
            FailureKind.OTHER_ERROR,
            f"expected error {wanted}, got {', '.join(sorted({d.code for d in diagnostics}))}",
            span=expected.span,
            diagnostics=tuple(diagnostics),
        ),
    )


def _relative_path(catalog_path: str | None) -> str | None:
    """A diagnostic's path inside the dossier (``cases[2].subject.uscc`` → ``subject.uscc``)."""
    if catalog_path is None:
        return None
    return re.sub(r"^cases\[\d+\]\.", "", catalog_path)


# ---------------------------------------------------------------------------------------------
# Comparing


def compare(case: Case, decision: Decision) -> tuple[Failure, ...]:
    """Every difference between what a case expects and a decision, in the case's order."""
    failures: list[Failure] = []
    claimed: set[int] = set()
    outcomes = decision.outcomes
    for expected in case.expect:
        candidates = [
            i
            for i, o in enumerate(outcomes)
            if o.measure.id == expected.measure_id and expected.target.matches(o.target)
        ]
        free = [i for i in candidates if i not in claimed]
        exact = [i for i in free if not _differences(expected, outcomes[i])]
        if exact:
            claimed.add(exact[0])
            continue
        if free:
            chosen = free[0]
            claimed.add(chosen)
            actual = outcomes[chosen]
            failures.append(
                Failure(
                    FailureKind.DIFFERENT,
                    f"{expected.measure_id} for {_target_text(actual.target)}: differs",
                    measure_id=expected.measure_id,
                    target=_target_text(actual.target),
                    differences=_differences(expected, actual),
                    span=expected.span,
                )
            )
            continue
        others = [_target_text(o.target) for o in outcomes if o.measure.id == expected.measure_id]
        hint = f" (the decision has it for {', '.join(others)})" if others else ""
        failures.append(
            Failure(
                FailureKind.MISSING,
                f"{expected.measure_id} for {expected.target.text()}: expected "
                f"{expected.status.value}, not in the decision{hint}",
                measure_id=expected.measure_id,
                target=expected.target.text(),
                span=expected.span,
            )
        )
    absent = set(case.expect_absent)
    for index, outcome in enumerate(outcomes):
        if outcome.measure.id in absent:
            failures.append(
                Failure(
                    FailureKind.PRESENT,
                    f"{outcome.measure.id} for {_target_text(outcome.target)}: expected absent, "
                    f"got {outcome.status.value}",
                    measure_id=outcome.measure.id,
                    target=_target_text(outcome.target),
                    span=case.span,
                )
            )
        elif case.exact and index not in claimed:
            failures.append(
                Failure(
                    FailureKind.UNEXPECTED,
                    f"{outcome.measure.id} for {_target_text(outcome.target)}: not expected, got "
                    f"{outcome.status.value}",
                    measure_id=outcome.measure.id,
                    target=_target_text(outcome.target),
                    span=case.span,
                )
            )
    failures.extend(_compare_set_aside(case, decision))
    return tuple(failures)


def _compare_set_aside(case: Case, decision: Decision) -> list[Failure]:
    failures: list[Failure] = []
    actual = {s.record.id: s for s in decision.set_aside}
    for expected in case.expect_set_aside:
        found = actual.get(expected.record_id)
        if found is None:
            failures.append(
                Failure(
                    FailureKind.SET_ASIDE_MISSING,
                    f"record {expected.record_id}: expected set aside "
                    f"({expected.reason.value}), but it counts",
                    span=expected.span,
                )
            )
        elif found.reason is not expected.reason:
            failures.append(
                Failure(
                    FailureKind.SET_ASIDE_DIFFERENT,
                    f"record {expected.record_id}: set aside for another reason",
                    differences=(
                        FieldDifference("reason", expected.reason.value, found.reason.value),
                    ),
                    span=expected.span,
                )
            )
    if case.exact:
        wanted = {e.record_id for e in case.expect_set_aside}
        for found in decision.set_aside:
            if found.record.id not in wanted:
                failures.append(
                    Failure(
                        FailureKind.SET_ASIDE_UNEXPECTED,
                        f"record {found.record.id}: set aside ({found.reason.value}: "
                        f"{found.detail}), not expected",
                        span=case.span,
                    )
                )
    return failures


def _differences(expected: ExpectedOutcome, actual: MeasureOutcome) -> tuple[FieldDifference, ...]:
    found: list[FieldDifference] = []

    def differ(name: str, want: object, have: object) -> None:
        if want is not UNSET and want != have:
            found.append(FieldDifference(name, _value_text(want), _value_text(have)))

    differ("status", expected.status, actual.status)
    differ("start", expected.start, actual.start)
    differ("end", expected.end, actual.end)
    differ("witnesses", expected.witnesses, tuple(sorted(r.id for r in actual.witnesses)))
    differ("pending", expected.pending, tuple(sorted(r.id for r in actual.pending)))
    differ("withheld_by", expected.withheld_by, tuple(sorted(actual.withheld_by)))
    differ(
        "failed_checks",
        expected.failed_checks,
        tuple(sorted(c.code for c in actual.checks if not c.passed)),
    )
    return tuple(found)


def _value_text(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, OutcomeStatus):
        return value.value
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def _target_text(target: Target) -> str:
    if target.role is None:
        return target.subject_id
    return f"{target.subject_id} via {target.via_id} as {target.role.value}"


# ---------------------------------------------------------------------------------------------
# Coverage


@attrs.define
class _Seen:
    """What the cases have shown of one measure so far."""

    measure: Measure
    file: str
    texts: tuple[tuple[str, Span, int], ...]
    exercised_by: list[str] = attrs.field(factory=list)
    evaluated_in: int = 0
    true_in: list[int] = attrs.field(factory=list)
    false_in: list[int] = attrs.field(factory=list)


class _CoverageTracker:
    """Accumulates measure and branch coverage, per measure of each catalog file."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], _Seen] = {}

    def add_engine(self, engine: Engine, explainer: Explainer) -> None:
        """Register every measure of an engine (once per catalog file and measure id)."""
        blank = Env(
            as_of=datetime.date(2000, 1, 1),
            subject=Subject("-", SubjectKind.LEGAL_PERSON),
            minor=False,
            records=(),
        )
        for item in engine.measures:
            key = _measure_key(item.measure, engine)
            if key in self._seen:
                continue
            steps = explainer.steps(item, blank)
            self._seen[key] = _Seen(
                measure=item.measure,
                file=key[0],
                texts=tuple((s.text, s.span, s.depth) for s in steps),
                true_in=[0] * len(steps),
                false_in=[0] * len(steps),
            )

    def observe(
        self, engine: Engine, explainer: Explainer, case: Case, decision: Decision, label: str
    ) -> None:
        """Record what one evaluated case (and its decision) shows of every measure."""
        assert case.dossier is not None  # INVARIANT: only cases with a decision are observed
        catalog = engine.catalog
        facts = build_facts(
            case.dossier, as_of=case.as_of, vocabulary=catalog.vocabulary, policy=catalog.policy
        )
        envs = _EnvCache()
        decided = {o.measure.id for o in decision.outcomes}
        absent = set(case.expect_absent)
        for item in engine.measures:
            seen = self._seen[_measure_key(item.measure, engine)]
            entities = evaluated_entities(engine, item, facts, as_of=case.as_of, matter=case.matter)
            if item.measure.id in decided or (entities and item.measure.id in absent):
                seen.exercised_by.append(label)
            if not entities:
                continue
            seen.evaluated_in += 1
            values: set[tuple[int, bool]] = set()
            for entity in entities:
                for env in envs.of(entity):
                    for index, step in enumerate(explainer.steps(item, env)):
                        values.add((index, step.holds))
            for index, holds in values:
                if holds:
                    seen.true_in[index] += 1
                else:
                    seen.false_in[index] += 1

    def coverage(self) -> Coverage:
        """The coverage so far, measures in file then catalog order."""
        measures = []
        for seen in self._seen.values():
            branches = tuple(
                BranchCoverage(text, span, depth, seen.true_in[i], seen.false_in[i])
                for i, (text, span, depth) in enumerate(seen.texts)
            )
            measures.append(
                MeasureCoverage(
                    measure=seen.measure,
                    file=seen.file,
                    exercised_by=tuple(dict.fromkeys(seen.exercised_by)),
                    evaluated_in=seen.evaluated_in,
                    branches=branches,
                )
            )
        return Coverage(tuple(measures))


class _EnvCache:
    """The Envs of each entity of one case: without, and (if any) with pending records."""

    def __init__(self) -> None:
        self._envs: dict[int, tuple[Env, ...]] = {}

    def of(self, facts: Facts) -> tuple[Env, ...]:
        found = self._envs.get(id(facts))
        if found is None:
            confirmed = make_env(facts, include_pending=False)
            found = (
                (confirmed, make_env(facts, include_pending=True))
                if facts.pending
                else (confirmed,)
            )
            self._envs[id(facts)] = found
        return found


def evaluated_entities(
    engine: Engine,
    item: CompiledMeasure,
    facts: Facts,
    *,
    as_of: datetime.date,
    matter: str | None,
) -> tuple[Facts, ...]:
    """The subjects on which the engine evaluates a measure's condition for a dossier.

    None when the measure is not in force on ``as_of`` or not in ``matter``. Otherwise the
    dossier's subject when it can be a target (its kind is targeted, or it is an organisation
    with a current related person in a targeted role), and, for a natural person, each current
    related organisation in which the person holds a targeted role.
    """
    measure = item.measure
    if matter is not None and measure.applies_in and matter not in measure.applies_in:
        return ()
    if not engine.measure_in_force(measure, as_of):
        return ()
    subject = facts.subject
    found: list[Facts] = []
    if subject.kind in measure.target_kinds or (
        not subject.is_person
        and any(
            rel.role in measure.target_roles and rel.subject.is_person for rel, _ in facts.related
        )
    ):
        found.append(facts)
    if subject.is_person:
        found.extend(
            org
            for rel, org in facts.related
            if not rel.subject.is_person and rel.role in measure.target_roles
        )
    return tuple(found)


def _measure_key(measure: Measure, engine: Engine) -> tuple[str, str]:
    source = measure.span.source if measure.span is not None else engine.catalog.info.path
    return (os.path.relpath(os.path.realpath(source)), measure.id)
