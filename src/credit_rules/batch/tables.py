"""The flat population format: three tables (subjects, records, relations) and dossiers.

Input: :class:`~credit_rules.model.Dossier` values (``flatten``) or rows of the three tables
(``to_dossiers``). Output: a :class:`Population` (rows as plain dicts, one per table) or
dossiers. Errors: :class:`~credit_rules.errors.RecordsError` when dossiers disagree about a
subject or a record, or when a row names an unknown subject, kind, status, severity or role.

The column names mirror :mod:`credit_rules.model`; nested values are flattened
(``document`` → ``document_kind``/``document_number``, ``lenience`` → ``lenience_*``).
Dates are calendar dates (``DATE`` in Parquet, DuckDB and Spark; ``YYYY-MM-DD`` in CSV and
JSON Lines). ``tags`` is a list of strings (a JSON array text such as ``["a","b"]`` in CSV).

A relation row ``(subject_id, related_id, role, since, until)`` says that ``related_id`` holds
``role`` in ``subject_id``: it appears in ``subject_id``'s dossier as a related subject and,
when ``related_id`` is a natural person and ``subject_id`` an organisation, in the person's
dossier as the organisation they hold the role in (the orientation of
:class:`~credit_rules.model.Related`). Every id a relation or record names must be a subject
row; this is what lets each subject be evaluated as its own dossier.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from credit_rules.errors import RecordsError, error
from credit_rules.model import (
    Dossier,
    EffectiveDocument,
    LenienceFacts,
    Record,
    RecordKind,
    RecordStatus,
    Related,
    Role,
    Severity,
    Subject,
    SubjectKind,
)

Row = dict[str, Any]


class ColumnType(enum.Enum):
    """The logical type of a column (each back end maps it to its own type)."""

    TEXT = "text"
    DATE = "date"
    BOOLEAN = "boolean"
    TEXT_LIST = "text_list"


@attrs.frozen(slots=True)
class Column:
    """One column of a population table."""

    name: str
    type: ColumnType
    required: bool = False
    #: the closed set of values a text column may hold (None: open)
    values: tuple[str, ...] | None = None
    #: value used when the column is absent or null (None: stays null)
    default: bool | None = None


@attrs.frozen(slots=True)
class TableSpec:
    """A population table: its name and columns in order."""

    name: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        """The column called ``name``; KeyError if there is none."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        """Column names in order."""
        return tuple(c.name for c in self.columns)


_T, _D, _B, _L = ColumnType.TEXT, ColumnType.DATE, ColumnType.BOOLEAN, ColumnType.TEXT_LIST

SUBJECTS = TableSpec(
    "subjects",
    (
        Column("id", _T, required=True),
        Column("kind", _T, required=True, values=SubjectKind.names()),
        Column("name", _T),
        Column("uscc", _T),
        Column("resident_id", _T),
        Column("region", _T),
        Column("state_owned", _B, default=False),
        Column("birth_date", _D),
    ),
)

RECORDS = TableSpec(
    "records",
    (
        Column("id", _T, required=True),
        Column("subject_id", _T, required=True),
        Column("kind", _T, required=True, values=RecordKind.names()),
        Column("decided_on", _D, required=True),
        Column("domain", _T),
        Column("severity", _T, values=Severity.names()),
        Column("document_kind", _T),
        Column("document_number", _T),
        Column("authority", _T),
        Column("status", _T, values=RecordStatus.names()),
        Column("status_since", _D),
        Column("tags", _L),
        Column("lenience_minor", _B, default=False),
        Column("lenience_force_majeure", _B, default=False),
        Column("lenience_unintentional", _B, default=False),
        Column("list_name", _T),
        Column("exit_on", _D),
        Column("category", _T),
        Column("scheme", _T),
        Column("grade", _T),
        Column("valid_until", _D),
        Column("expires_on", _D),
        Column("dishonest", _B),
    ),
)

RELATIONS = TableSpec(
    "relations",
    (
        Column("subject_id", _T, required=True),
        Column("related_id", _T, required=True),
        Column("role", _T, required=True, values=Role.names()),
        Column("since", _D),
        Column("until", _D),
    ),
)

TABLES = (SUBJECTS, RECORDS, RELATIONS)


@attrs.frozen(slots=True)
class Population:
    """Subjects, records and relations as rows (dicts keyed by column name)."""

    subjects: tuple[Row, ...] = ()
    records: tuple[Row, ...] = ()
    relations: tuple[Row, ...] = ()

    def table(self, name: str) -> tuple[Row, ...]:
        """The rows of ``subjects``, ``records`` or ``relations``."""
        rows: tuple[Row, ...] = getattr(self, name)
        return rows


# ---------------------------------------------------------------------------------------------
# Dossiers → rows


def subject_row(subject: Subject) -> Row:
    """One subjects row."""
    return {
        "id": subject.id,
        "kind": subject.kind.value,
        "name": subject.name,
        "uscc": subject.uscc,
        "resident_id": subject.resident_id,
        "region": subject.region,
        "state_owned": subject.state_owned,
        "birth_date": subject.birth_date,
    }


def record_row(record: Record) -> Row:
    """One records row."""
    document = record.document
    return {
        "id": record.id,
        "subject_id": record.subject_id,
        "kind": record.kind.value,
        "decided_on": record.decided_on,
        "domain": record.domain,
        "severity": record.severity.value if record.severity is not None else None,
        "document_kind": document.kind if document is not None else None,
        "document_number": document.number if document is not None else None,
        "authority": record.authority,
        "status": record.status.value,
        "status_since": record.status_since,
        "tags": sorted(record.tags),
        "lenience_minor": record.lenience.minor,
        "lenience_force_majeure": record.lenience.force_majeure,
        "lenience_unintentional": record.lenience.unintentional,
        "list_name": record.list_name,
        "exit_on": record.exit_on,
        "category": record.category,
        "scheme": record.scheme,
        "grade": record.grade,
        "valid_until": record.valid_until,
        "expires_on": record.expires_on,
        "dishonest": record.dishonest,
    }


def relation_row(holder_of: Subject, related: Related) -> Row:
    """The relations row for ``related`` as listed in the dossier of ``holder_of``.

    In a person's dossier an organisation is related because the person holds a role in it, so
    the row is oriented organisation → person; otherwise dossier subject → related subject.
    """
    other = related.subject
    if holder_of.is_person and not other.is_person:
        organisation, holder = other.id, holder_of.id
    else:
        organisation, holder = holder_of.id, other.id
    return {
        "subject_id": organisation,
        "related_id": holder,
        "role": related.role.value,
        "since": related.since,
        "until": related.until,
    }


def flatten(dossiers: Iterable[Dossier]) -> Population:
    """The three tables of a population of dossiers, each subject, record and relation once.

    Subjects are in order of first appearance; a subject that appears in several dossiers (as a
    dossier subject or as a related subject) must be the same subject each time, and so must
    a record listed more than once.

    Raises:
        RecordsError: two dossiers disagree about a subject or a record.
    """
    builder = PopulationBuilder()
    for dossier in dossiers:
        builder.add(dossier)
    return builder.population()


class PopulationBuilder:
    """Accumulates dossiers into tables; ``take()`` empties it (for writing in chunks)."""

    def __init__(self) -> None:
        self._subjects: dict[str, Row] = {}
        self._records: dict[tuple[str, str], Row] = {}
        self._relations: dict[tuple[Any, ...], Row] = {}
        self._problems: list[str] = []

    def add(self, dossier: Dossier) -> None:
        """Add one dossier: its subject, records and related subjects with their records.

        Raises:
            RecordsError: it disagrees with a dossier added before.
        """
        self._subject(dossier.subject)
        for record in dossier.records:
            self._record(record)
        for related in dossier.related:
            self._subject(related.subject)
            for record in related.records:
                self._record(record)
            row = relation_row(dossier.subject, related)
            self._relations.setdefault(tuple(row.values()), row)
        if self._problems:
            problems, self._problems = self._problems, []
            raise RecordsError([error("CR-E806", p) for p in problems])

    def population(self) -> Population:
        """Everything added so far."""
        return Population(
            tuple(self._subjects.values()),
            tuple(self._records.values()),
            tuple(self._relations.values()),
        )

    def take(self) -> Population:
        """Everything added since the last ``take``, then forget it (ids are not re-checked)."""
        population = self.population()
        self._subjects.clear()
        self._records.clear()
        self._relations.clear()
        return population

    def _subject(self, subject: Subject) -> None:
        row = subject_row(subject)
        held = self._subjects.setdefault(subject.id, row)
        if held != row:
            self._problems.append(f"subject `{subject.id}` is given twice, differently")

    def _record(self, record: Record) -> None:
        row = record_row(record)
        held = self._records.setdefault((record.subject_id, record.id), row)
        if held != row:
            self._problems.append(
                f"record `{record.id}` of subject `{record.subject_id}` is given twice, differently"
            )


# ---------------------------------------------------------------------------------------------
# Rows → dossiers


def to_subject(row: Mapping[str, Any]) -> Subject:
    """A subject from a subjects row (values already typed)."""
    return Subject(
        id=str(row["id"]),
        kind=SubjectKind(row["kind"]),
        name=row.get("name") or "",
        uscc=row.get("uscc"),
        resident_id=row.get("resident_id"),
        region=row.get("region"),
        state_owned=bool(row.get("state_owned") or False),
        birth_date=row.get("birth_date"),
    )


def to_record(row: Mapping[str, Any]) -> Record:
    """A record from a records row (values already typed)."""
    document_kind = row.get("document_kind")
    severity = row.get("severity")
    return Record(
        id=str(row["id"]),
        subject_id=str(row["subject_id"]),
        kind=RecordKind(row["kind"]),
        decided_on=_date(row["decided_on"]),
        domain=row.get("domain"),
        severity=Severity(severity) if severity is not None else None,
        document=(
            EffectiveDocument(document_kind, row.get("document_number"))
            if document_kind is not None
            else None
        ),
        authority=row.get("authority"),
        status=RecordStatus(row.get("status") or "active"),
        status_since=row.get("status_since"),
        tags=frozenset(row.get("tags") or ()),
        lenience=LenienceFacts.of(
            minor=bool(row.get("lenience_minor") or False),
            force_majeure=bool(row.get("lenience_force_majeure") or False),
            unintentional=bool(row.get("lenience_unintentional") or False),
        ),
        list_name=row.get("list_name"),
        exit_on=row.get("exit_on"),
        category=row.get("category"),
        scheme=row.get("scheme"),
        grade=row.get("grade"),
        valid_until=row.get("valid_until"),
        expires_on=row.get("expires_on"),
        dishonest=row.get("dishonest"),
    )


def _date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def to_dossiers(population: Population) -> Iterator[Dossier]:
    """One dossier per subjects row, in table order, built as described in the module doc.

    Raises:
        RecordsError: a record or relation names a subject that is not a subjects row.
    """
    subjects = {str(row["id"]): to_subject(row) for row in population.subjects}
    records: dict[str, list[Record]] = {}
    problems: list[str] = []
    for row in population.records:
        record = to_record(row)
        if record.subject_id not in subjects:
            problems.append(f"record `{record.id}` names unknown subject `{record.subject_id}`")
        records.setdefault(record.subject_id, []).append(record)
    related: dict[str, list[Related]] = {}
    for row in population.relations:
        organisation_id, holder_id = str(row["subject_id"]), str(row["related_id"])
        unknown = [i for i in (organisation_id, holder_id) if i not in subjects]
        if unknown:
            problems.extend(f"relation names unknown subject `{i}`" for i in unknown)
            continue
        organisation, holder = subjects[organisation_id], subjects[holder_id]
        role = Role(row["role"])
        since, until = row.get("since"), row.get("until")
        related.setdefault(organisation_id, []).append(
            Related(role, holder, tuple(records.get(holder_id, ())), since, until)
        )
        if holder.is_person and not organisation.is_person:
            related.setdefault(holder_id, []).append(
                Related(role, organisation, tuple(records.get(organisation_id, ())), since, until)
            )
    if problems:
        raise RecordsError([error("CR-E804", p) for p in problems])
    for subject_id, subject in subjects.items():
        yield Dossier(
            subject=subject,
            records=tuple(records.get(subject_id, ())),
            related=tuple(related.get(subject_id, ())),
        )
