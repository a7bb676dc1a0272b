"""Statistics of a batch result: counts per measure, list, region and issuer (跟踪、监测、统计).

Input: a batch result (the ``cr_outcomes`` rows, in a back end or in a file) and the catalog.
Output: :class:`Statistics` — for each measure, list (mandatory / recommended), region (of the
target subject) and issuer (of the catalog layer the measure comes from), how many targets
each status reaches — as a text table and as JSON. Errors:
:class:`~credit_rules.errors.RecordsError` when a result file cannot be read.

The unit counted is a target × measure: the target's own decision is used (rows where
``subject_id = target_id``: a person reached through an organisation is counted once, in the
person's own decision, not again in the organisation's), and a target reached by one measure
through several organisations or roles counts once, with its strongest status.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from credit_rules.errors import RecordsError, error
from credit_rules.model import Catalog

#: statuses in the matcher's order (strongest first)
STATUSES = ("applies", "advisory", "suspended", "withheld", "set_aside", "ended")


def statistics_query(view: str, subjects: str = "cr_subjects") -> str:
    """Rows (measure_id, status rank, region, count) of a result view (any SQL dialect)."""
    rank = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(STATUSES))
    return (
        "SELECT o.measure_id, o.status_rank, s.region, count(*) AS n FROM ("
        f"SELECT target_id, measure_id, min(CASE status {rank} END) AS status_rank "
        f"FROM {view} WHERE subject_id = target_id GROUP BY target_id, measure_id) o "
        f"LEFT JOIN {subjects} s ON s.id = o.target_id "
        "GROUP BY o.measure_id, o.status_rank, s.region "
        "ORDER BY o.measure_id, o.status_rank, s.region"
    )


@attrs.frozen(slots=True)
class Count:
    """Targets per status for one measure, list, region or issuer."""

    key: str | None
    label: str
    by_status: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        """Targets under every status."""
        return sum(n for _, n in self.by_status)

    def get(self, status: str) -> int:
        """Targets under one status."""
        return dict(self.by_status).get(status, 0)

    def to_data(self, key_name: str) -> dict[str, Any]:
        """JSON-ready form: the key, its label, a count per status and the total."""
        data: dict[str, Any] = {key_name: self.key}
        if self.label and self.label != self.key:
            data["title"] = self.label
        data.update({status: self.get(status) for status in STATUSES})
        data["total"] = self.total
        return data


@attrs.frozen(slots=True)
class Statistics:
    """Counts of a batch result by measure, list, region and issuer."""

    as_of: datetime.date
    catalog_id: str
    catalog_fingerprint: str
    subjects: int
    by_measure: tuple[Count, ...]
    by_list: tuple[Count, ...]
    by_region: tuple[Count, ...]
    by_issuer: tuple[Count, ...]

    def to_data(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "as_of": self.as_of.isoformat(),
            "catalog": self.catalog_id,
            "catalog_fingerprint": self.catalog_fingerprint,
            "subjects": self.subjects,
            "statuses": list(STATUSES),
            "by_measure": [c.to_data("measure") for c in self.by_measure],
            "by_list": [c.to_data("list") for c in self.by_list],
            "by_region": [c.to_data("region") for c in self.by_region],
            "by_issuer": [c.to_data("issuer") for c in self.by_issuer],
        }

    def to_json(self) -> str:
        """Deterministic JSON (keys in a fixed order, UTF-8 text kept)."""
        return json.dumps(self.to_data(), ensure_ascii=False, indent=2)

    def table(self) -> str:
        """Plain-text tables, one per dimension, a column per status."""
        out = [
            f"catalog {self.catalog_id} as of {self.as_of.isoformat()}: "
            f"{self.subjects} subjects evaluated"
        ]
        for title, rows in (
            ("measure", self.by_measure),
            ("list", self.by_list),
            ("region", self.by_region),
            ("issuer", self.by_issuer),
        ):
            out.append("")
            out.append(_table(title, rows))
        return "\n".join(out)


def _table(title: str, rows: Sequence[Count]) -> str:
    header = [title, *STATUSES, "total"]
    body = [
        [
            row.key if row.key is not None else "(none)",
            *(str(row.get(s)) for s in STATUSES),
            str(row.total),
        ]
        for row in rows
    ]
    widths = [max(_width(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = []
    for number, line in enumerate([header, *body]):
        cells = [_pad(cell, widths[i], right=i > 0 and number > 0) for i, cell in enumerate(line)]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


def _pad(text: str, width: int, *, right: bool) -> str:
    space = " " * (width - _width(text))
    return space + text if right else text + space


def summarise(
    catalog: Catalog,
    rows: Iterable[Sequence[Any]],
    *,
    as_of: datetime.date,
    subjects: int,
) -> Statistics:
    """Statistics from the rows of :func:`statistics_query`."""
    measures = {m.id: m for m in catalog.measures}
    issuers = {info.id: info.issuer for info in catalog.layers}
    per: dict[str, dict[str | None, dict[str, int]]] = {
        "measure": {},
        "list": {},
        "region": {},
        "issuer": {},
    }
    for measure_id, rank, region, count in rows:
        status = STATUSES[int(rank)]
        measure = measures.get(str(measure_id))
        keys = {
            "measure": str(measure_id),
            "list": measure.list.value if measure is not None else None,
            "region": region,
            "issuer": issuers.get(measure.catalog_id) if measure is not None else None,
        }
        for dimension, key in keys.items():
            bucket = per[dimension].setdefault(key, {})
            bucket[status] = bucket.get(status, 0) + int(count)

    def counts(dimension: str, labels: Mapping[str | None, str]) -> tuple[Count, ...]:
        order = list(labels) if dimension == "measure" else sorted(per[dimension], key=_none_last)
        return tuple(
            Count(
                key,
                labels.get(key, key or ""),
                tuple((s, per[dimension][key][s]) for s in STATUSES if s in per[dimension][key]),
            )
            for key in order
            if key in per[dimension]
        )

    return Statistics(
        as_of=as_of,
        catalog_id=catalog.info.id,
        catalog_fingerprint=catalog.fingerprint,
        subjects=subjects,
        by_measure=counts("measure", {m.id: m.title for m in catalog.measures}),
        by_list=counts("list", {}),
        by_region=counts("region", {}),
        by_issuer=counts("issuer", {}),
    )


def _none_last(key: str | None) -> tuple[int, str]:
    return (1, "") if key is None else (0, key)


def statistics_of_file(
    catalog: Catalog,
    *,
    result: str | os.PathLike[str],
    subjects: str | os.PathLike[str],
    as_of: datetime.date,
) -> Statistics:
    """Statistics of a result file written by a batch run, with DuckDB.

    Raises:
        RecordsError: a file cannot be read.
    """
    from credit_rules.batch.duck import DuckSession
    from credit_rules.batch.io import files_of
    from credit_rules.batch.tables import SUBJECTS

    session = DuckSession()
    try:
        session.load(SUBJECTS, subjects)
        files = files_of(result, "result")
        from credit_rules.batch.duck import _reader

        try:
            session.connection.execute(
                f"CREATE TEMP VIEW cr_result AS SELECT * FROM {_reader(files)}"
            )
            rows = session.connection.execute(statistics_query("cr_result")).fetchall()
            subject_count = session.count("cr_subjects")
        except Exception as exc:  # duckdb.Error, kept out of the signature
            raise RecordsError(
                [error("CR-E801", f"result: cannot read `{result}`: {str(exc).splitlines()[0]}")]
            ) from None
        return summarise(catalog, rows, as_of=as_of, subjects=subject_count)
    finally:
        session.close()
