"""Population tables, input formats, validation errors, statistics, refusals and progress."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

import attrs
import duckdb
import pytest

from credit_rules.ast import NO_SPAN
from credit_rules.batch import BatchResult, OutcomeRow, TableRef, evaluate
from credit_rules.batch.arrow import write_population
from credit_rules.batch.io import FileFormat
from credit_rules.batch.progress import ProgressDisplay
from credit_rules.batch.stats import statistics_of_file
from credit_rules.batch.tables import Population, flatten, record_row, subject_row, to_dossiers
from credit_rules.catalog import load_catalog
from credit_rules.errors import CompileError, RecordsError, UsageError
from credit_rules.model import (
    Dossier,
    EffectiveDocument,
    Record,
    RecordKind,
    Related,
    Role,
    Subject,
    SubjectKind,
)
from credit_rules.spans import Span
from credit_rules.sql import DUCKDB, MeasureCondition, compile_plan

FIXTURES = Path(__file__).parent / "fixtures" / "catalogs" / "layered"
AS_OF = datetime.date(2024, 6, 1)

E1 = Subject("E1", SubjectKind.LEGAL_PERSON, "某食品有限公司", region="350100")
P1 = Subject("P1", SubjectKind.NATURAL_PERSON, "张三", region="110000")
E2 = Subject("E2", SubjectKind.LEGAL_PERSON, "某科技有限公司", region="350100")
E3 = Subject("E3", SubjectKind.LEGAL_PERSON, "某建设有限公司")


def _entry(rid: str, subject: str, list_name: str, on: datetime.date, **extra: object) -> Record:
    return Record(
        rid,
        subject,
        RecordKind.LIST_ENTRY,
        on,
        list_name=list_name,
        **extra,  # type: ignore[arg-type]
    )


RECORDS = {
    "E1": (
        _entry("R1", "E1", "judgment_defaulter", datetime.date(2024, 1, 10)),
        Record(
            "R2",
            "E1",
            RecordKind.RATING,
            datetime.date(2023, 9, 1),
            scheme="tax",
            grade="A",
            document=EffectiveDocument("纳税信用评价结果"),
        ),
    ),
    "E2": (_entry("R3", "E2", "red_list", datetime.date(2024, 2, 1)),),
    "E3": (
        _entry(
            "R4",
            "E3",
            "serious_dishonesty",
            datetime.date(2023, 3, 1),
            category="disrupt_market_order",
        ),
    ),
}
RELATED = Related(Role.LEGAL_REPRESENTATIVE, P1, (), since=datetime.date(2020, 1, 1))


def dossiers() -> list[Dossier]:
    return [
        Dossier(E1, RECORDS["E1"], (RELATED,)),
        Dossier(P1, (), (Related(Role.LEGAL_REPRESENTATIVE, E1, RECORDS["E1"], RELATED.since),)),
        Dossier(E2, RECORDS["E2"]),
        Dossier(E3, RECORDS["E3"]),
    ]


@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    return load_catalog(FIXTURES / "basic", FIXTURES / "fujian")


def keys(result: BatchResult) -> list[tuple[str, str, str, str | None, str]]:
    return [(r.subject_id, r.measure_id, r.target_id, r.via_id, r.status) for r in result.rows]


EXPECTED = [
    ("E1", "fj-key-supervision", "E1", None, "applies"),
    ("E1", "restrict-flight", "P1", "E1", "applies"),
    ("E1", "tax-a-green-channel", "E1", None, "withheld"),
    ("E2", "fj-green-channel", "E2", None, "applies"),
    ("E3", "fj-key-supervision", "E3", None, "applies"),
    ("E3", "restrict-procurement", "E3", None, "applies"),
    ("P1", "restrict-flight", "P1", "E1", "applies"),
]


def test_flatten_and_back_is_the_identity_on_a_closed_population() -> None:
    population = flatten(dossiers())
    assert [r["id"] for r in population.subjects] == ["E1", "P1", "E2", "E3"]
    assert population.relations == (
        {
            "subject_id": "E1",
            "related_id": "P1",
            "role": "legal_representative",
            "since": datetime.date(2020, 1, 1),
            "until": None,
        },
    )
    assert list(to_dossiers(population)) == dossiers()


def test_flatten_refuses_two_versions_of_a_subject() -> None:
    renamed = Dossier(Subject("E1", SubjectKind.LEGAL_PERSON, "另一个名字"))
    with pytest.raises(RecordsError) as caught:
        flatten([*dossiers(), renamed])
    assert [d.code for d in caught.value.diagnostics] == ["CR-E806"]
    assert caught.value.diagnostics[0].message == "subject `E1` is given twice, differently"


def test_outcomes_exactly(catalog) -> None:  # type: ignore[no-untyped-def]
    result = evaluate(catalog, subjects=flatten(dossiers()), as_of=AS_OF, strict=False)
    assert keys(result) == EXPECTED
    flight = next(r for r in result.rows if r.subject_id == "P1")
    assert flight == OutcomeRow(
        subject_id="P1",
        measure_id="restrict-flight",
        target_id="P1",
        via_id="E1",
        role="legal_representative",
        status="applies",
        start_date=datetime.date(2024, 1, 10),
        end_date=None,
        ends_by="list_exit",
        records=("R1",),
        pending=(),
        failed_checks=(),
        withheld_by=(),
    )
    withheld = next(r for r in result.rows if r.measure_id == "tax-a-green-channel")
    assert withheld.withheld_by == ("fj-key-supervision",)
    assert (result.subjects, result.outcomes) == (4, 7)


def test_matter_filters_measures(catalog) -> None:  # type: ignore[no-untyped-def]
    procurement = evaluate(
        catalog,
        subjects=flatten(dossiers()),
        as_of=AS_OF,
        matter="government_procurement",
        strict=False,
    )
    # restrict-flight applies only in air_travel
    assert keys(procurement) == [k for k in EXPECTED if k[1] != "restrict-flight"]
    with pytest.raises(UsageError) as caught:
        evaluate(catalog, subjects=flatten(dossiers()), as_of=AS_OF, matter="air_travle")
    assert caught.value.diagnostics[0].message == "unknown matter `air_travle`"
    assert caught.value.diagnostics[0].help == "did you mean `air_travel`?"


@pytest.mark.parametrize("fmt", list(FileFormat))
def test_every_input_and_output_format_gives_the_same_rows(
    catalog,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    fmt: FileFormat,
) -> None:
    directory = tmp_path / fmt.value
    counts = write_population(dossiers(), directory, format=fmt)
    assert counts == {"subjects": 4, "records": 4, "relations": 1}
    result = evaluate(
        catalog,
        subjects=str(directory / f"subjects.{fmt.value}"),
        records=str(directory / f"records.{fmt.value}"),
        relations=str(directory / f"relations.{fmt.value}"),
        as_of=AS_OF,
        strict=False,
    )
    assert keys(result) == EXPECTED
    output = tmp_path / f"out.{fmt.value}"
    written = evaluate(
        catalog,
        subjects=str(directory / f"subjects.{fmt.value}"),
        records=str(directory / f"records.{fmt.value}"),
        relations=str(directory / f"relations.{fmt.value}"),
        as_of=AS_OF,
        output=output,
        strict=False,
    )
    assert written.rows == ()
    reader = {
        FileFormat.PARQUET: "read_parquet",
        FileFormat.CSV: "read_csv",
        FileFormat.JSONL: "read_json",
    }[fmt]
    rows = duckdb.sql(
        f"SELECT subject_id, measure_id, target_id, via_id, status, records "
        f"FROM {reader}('{output}')"
    ).fetchall()
    records = '["R1"]' if fmt is FileFormat.CSV else ["R1"]
    assert rows[1] == ("E1", "restrict-flight", "P1", "E1", "applies", records)
    assert [r[:5] for r in rows] == [(*k[:4], k[4]) for k in EXPECTED]


def test_tables_of_an_existing_duckdb_database(catalog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    parquet = tmp_path / "pq"
    write_population(dossiers(), parquet)
    database = tmp_path / "platform.duckdb"
    con = duckdb.connect(str(database))
    for table in ("subjects", "records", "relations"):
        con.execute(f"CREATE TABLE credit_{table} AS FROM '{parquet}/{table}.parquet'")
    con.close()
    result = evaluate(
        catalog,
        subjects=TableRef("credit_subjects"),
        records=TableRef("credit_records"),
        relations=TableRef("credit_relations"),
        database=database,
        as_of=AS_OF,
        strict=False,
    )
    assert keys(result) == EXPECTED


def test_invalid_inputs_are_reported_together(catalog) -> None:  # type: ignore[no-untyped-def]
    population = flatten(dossiers())
    bad_subject = {**population.subjects[0], "kind": "company"}
    stray = record_row(Record("R9", "E404", RecordKind.JUDGMENT, datetime.date(2024, 1, 1)))
    broken = Population(
        (bad_subject, *population.subjects[1:], population.subjects[2]),
        (*population.records, stray),
        population.relations,
    )
    with pytest.raises(RecordsError) as caught:
        evaluate(catalog, subjects=broken, as_of=AS_OF, strict=False)
    assert sorted((d.code, d.message) for d in caught.value.diagnostics) == [
        (
            "CR-E803",
            "subjects: column `kind` has values outside legal_person, "
            "unincorporated_org, individual_business, natural_person, public_institution: "
            "`company`",
        ),
        ("CR-E804", "records: `subject_id` names no subject: `E404`"),
        ("CR-E805", "subjects: the same id is given to several subjects: `E2`"),
    ]


@pytest.mark.parametrize("backend", ["duckdb", "spark"])
def test_a_record_id_repeated_within_a_subject_is_refused_not_across_subjects(
    catalog,  # type: ignore[no-untyped-def]
    backend: str,
) -> None:
    from batch_strategies import spark

    population = flatten(dossiers())
    first = population.records[0]

    def run(*extra: dict[str, object]) -> BatchResult:
        records = (*population.records, *extra)
        return evaluate(
            catalog,
            subjects=Population(population.subjects, records, population.relations),
            as_of=AS_OF,
            strict=False,
            backend=backend,  # type: ignore[arg-type]
            spark=spark() if backend == "spark" else None,
        )

    # the same record id for another subject is allowed; twice for one subject is not
    assert run({**first, "subject_id": "E3"}).subjects == len(population.subjects)
    with pytest.raises(RecordsError) as caught:
        run(first)
    assert [(d.code, d.message) for d in caught.value.diagnostics] == [
        (
            "CR-E805",
            "records: the same id is given to several records of a subject: "
            f"`{first['subject_id']}/{first['id']}`",
        )
    ]


def test_a_missing_required_column_is_named(catalog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "subjects.csv"
    path.write_text("id,name\nE1,某公司\n", encoding="utf-8")
    with pytest.raises(RecordsError) as caught:
        evaluate(catalog, subjects=str(path), as_of=AS_OF, strict=False)
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.message, diagnostic.help) == (
        "CR-E802",
        "subjects: required column `kind` is missing",
        "columns found: id, name",
    )


def test_a_construct_the_back_end_cannot_express_is_refused_by_name(catalog) -> None:  # type: ignore[no-untyped-def]
    from credit_rules.engine import compile_measures

    @attrs.frozen
    class FutureNode:  # a node type the SQL emitter has never heard of
        value: bool
        span: Span = NO_SPAN

    compiled = compile_measures(catalog)[0]
    odd = MeasureCondition(
        compiled.measure,
        type(compiled.checked)(
            compiled.checked.expr,
            FutureNode(True),  # type: ignore[arg-type]
            compiled.checked.text,
        ),
    )
    with pytest.raises(CompileError) as caught:
        compile_plan(
            [odd],
            vocabulary=catalog.vocabulary,
            policy=catalog.policy,
            as_of=AS_OF,
            dialect=DUCKDB,
        )
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.message, diagnostic.measure_id) == (
        "CR-E322",
        "`FutureNode` cannot be compiled to SQL for duckdb",
        "restrict-flight",
    )


STATS_MEASURES = [
    {"measure": "restrict-flight", "title": "限制乘坐飞机", "applies": 1, "total": 1},
    {"measure": "restrict-procurement", "title": "限制参加政府采购活动", "applies": 1, "total": 1},
    {
        "measure": "tax-a-green-channel",
        "title": "纳税信用A级纳税人办税绿色通道",
        "withheld": 1,
        "total": 1,
    },
]


def test_statistics_by_measure_list_region_and_issuer(catalog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = evaluate(
        catalog, subjects=flatten(dossiers()), as_of=AS_OF, statistics=True, strict=False
    )
    stats = result.statistics
    assert stats is not None
    data = json.loads(stats.to_json())
    nonzero = [{k: v for k, v in row.items() if v not in (0, None)} for row in data["by_measure"]]
    assert nonzero[:3] == STATS_MEASURES
    assert [(c.key, c.get("applies"), c.total) for c in stats.by_measure[3:]] == [
        ("fj-key-supervision", 2, 2),
        ("fj-green-channel", 1, 1),
    ]
    assert [(c.key, dict(c.by_status)) for c in stats.by_list] == [
        ("mandatory", {"applies": 2}),
        ("recommended", {"applies": 3, "withheld": 1}),
    ]
    assert [(c.key, c.total) for c in stats.by_region] == [
        ("110000", 1),
        ("350100", 3),
        (None, 2),
    ]
    assert [(c.key, c.total) for c in stats.by_issuer] == [
        ("国家发展改革委、人民银行", 3),
        ("福建省发展和改革委员会", 3),
    ]
    table = stats.table()
    assert table.splitlines()[0] == "catalog fj-supplement as of 2024-06-01: 4 subjects evaluated"
    assert "(none)" in table
    # the same figures from the written result file
    output = tmp_path / "result.parquet"
    evaluate(catalog, subjects=flatten(dossiers()), as_of=AS_OF, output=output, strict=False)
    subjects = tmp_path / "pop"
    write_population(dossiers(), subjects)
    again = statistics_of_file(
        catalog, result=output, subjects=subjects / "subjects.parquet", as_of=AS_OF
    )
    assert again.to_data() == stats.to_data()


def test_progress_lines_on_a_pipe() -> None:
    stream = io.StringIO()
    display = ProgressDisplay(stream, interactive=False)
    display("reading", None)
    display("", 50.0)
    display.done("4 subjects")
    lines = stream.getvalue().splitlines()
    assert [line.split("s ", 1)[1] for line in lines] == ["reading", "4 subjects"]
    assert all(line.startswith("[credit-rules]") for line in lines)


def test_subject_rows_round_trip_every_field() -> None:
    subject = Subject(
        "P9",
        SubjectKind.NATURAL_PERSON,
        "李四",
        resident_id="11010519491231002X",
        region="110000",
        birth_date=datetime.date(1949, 12, 31),
    )
    population = Population((subject_row(subject),), (), ())
    assert next(iter(to_dossiers(population))).subject == subject
